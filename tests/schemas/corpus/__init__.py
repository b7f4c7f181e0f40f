"""Valid and invalid examples of every event type, as the Avro dicts fastavro reads.

Each example says whether the ``.avsc`` can tell it is wrong (``kind="avro"``: both the
schema and the model must reject it), or only a business rule can (``kind="rule"``: the
schema accepts it, the model must reject it), or it is fine (``kind="valid"``).
"""

from tests.schemas.corpus import document, dossier, epidemic, feedback
from tests.schemas.corpus._build import Example

EXAMPLES: tuple[Example, ...] = (
    *dossier.EXAMPLES,
    *epidemic.EXAMPLES,
    *feedback.EXAMPLES,
    *document.EXAMPLES,
)

__all__ = ["EXAMPLES", "Example"]
