"""When two schema texts are the same schema, for registries and their clients.

Not Avro's Parsing Canonical Form: that strips ``default``, ``doc`` and logical types,
so two schemas that differ only in a default would share an id and evolution checks
would go wrong. Confluent compares the whole schema; so do we, ignoring only layout:
key order, whitespace, and ``{"type": "int"}`` written for ``"int"``.
"""

from __future__ import annotations

import json
from typing import Any

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def collapse(node: Any) -> Any:
    """``{"type": "int"}`` → ``"int"`` everywhere, so both spellings are one schema."""
    if isinstance(node, dict):
        if len(node) == 1 and node.get("type") in _PRIMITIVES:
            return node["type"]
        return {key: collapse(value) for key, value in node.items()}
    if isinstance(node, list):
        return [collapse(item) for item in node]
    return node


def identity_form(document: Any) -> str:
    """A text equal for equal schemas, whatever their layout (``document`` is parsed JSON)."""
    return json.dumps(collapse(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_identity(text: str) -> str:
    """:func:`identity_form` of a schema given as JSON text."""
    return identity_form(json.loads(text))
