"""Who may change an entity on the bus: the ownership rule the gate applies.

An entity (a dossier, a feedback case, an official document, an epidemic case report)
belongs to the agency whose event first brought it to the axis, and to the agencies
the events hand it to: a feedback case's ``assigned_agency``; a document's
``issuing_agency`` and ``recipient_agencies`` (it is forwarded to them). An event about
an entity from an agency that is not among its owners is refused with reason
``not_owner`` — a valid key or Kafka credential for agency A never lets A change B's
dossier. An owner's event may add owners (assign or forward), never remove one.

Dossiers carry no agency code for a hand-over (``DonViXuLy`` is a unit's name), so a
dossier stays its creating agency's. Quarantine zones are not owned: any agency
allowed to publish them may open or lift one.

Pure: :func:`judge_ownership` takes the event and the owners known so far and answers
the new owners or the refusal; the gate keeps the owners in the entity's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lienthong.schemas.models import EventModel, FeedbackCase, OfficialDocument

ENTITY_KINDS: Mapping[str, str] = {
    "dossier.lifecycle": "dossier",
    "dossier.progress": "dossier",
    "case.feedback": "feedback case",
    "document.official": "document",
    "case.epidemic": "case report",
}
"""Event type → the kind of entity it changes (event types sharing a kind share owners)."""


@dataclass(frozen=True)
class Owned:
    """The event may change the entity; ``owners`` is who owns it afterwards."""

    kind: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class NotOwner:
    """The event's agency does not own the entity: refused with reason ``not_owner``."""

    kind: str
    owners: tuple[str, ...]
    agency: str

    @property
    def message(self) -> str:
        return (
            f"this {self.kind} belongs to {', '.join(self.owners)}; agency {self.agency} "
            "may not change it (an owner must assign or forward it first)"
        )


def handed_to(event: EventModel) -> tuple[str, ...]:
    """The agencies an event assigns or forwards its entity to."""
    if isinstance(event, FeedbackCase):
        return (event.assigned_agency,) if event.assigned_agency else ()
    if isinstance(event, OfficialDocument):
        return (event.issuing_agency, *event.recipient_agencies)
    return ()


def judge_ownership(
    event: EventModel, owners: Mapping[str, tuple[str, ...]]
) -> Owned | NotOwner | None:
    """The ownership verdict on ``event`` given the owners known per entity kind.

    None when the event type has no owned entity (nothing to check or keep).
    """
    kind = ENTITY_KINDS.get(event.EVENT_TYPE)
    if kind is None:
        return None
    agency = event.envelope.source_agency
    current = owners.get(kind, ())
    if current and agency not in current:
        return NotOwner(kind, current, agency)
    base = current or (agency,)
    return Owned(kind, tuple(dict.fromkeys((*base, *handed_to(event)))))
