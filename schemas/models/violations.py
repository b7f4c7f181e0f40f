"""Validation errors as data: ``[{field, rule, message}]`` for gateways and dead letters.

pydantic's own error list carries the offending input, which for these contracts may be
personal data (names, identity numbers, phones); these records never do, so they are
safe to return to a caller, to log, and to put in a dead-letter header.
"""

from __future__ import annotations

from typing import TypedDict

from pydantic import ValidationError

WHOLE_RECORD = ""
"""The ``field`` of a violation that concerns the record itself (e.g. not a mapping)."""


class Violation(TypedDict):
    """One broken rule: where (dotted path), which rule (stable id), and why."""

    field: str
    rule: str
    message: str


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or WHOLE_RECORD


def violations(error: ValidationError) -> list[Violation]:
    """Every error of ``error``, in order, as ``{field, rule, message}`` dicts.

    ``rule`` is pydantic's error type for type errors (``missing``, ``int_type``,
    ``enum``, ``extra_forbidden``, …) and the contract's rule id otherwise
    (``agency_code``, ``date_order``, ``status_transition``, …).
    """
    return [
        Violation(field=_field(e["loc"]), rule=e["type"], message=e["msg"])
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def describe(items: list[Violation]) -> str:
    """One line per violation, ``field: message [rule]``, for logs and CLI output."""
    return "\n".join(f"{v['field'] or '(event)'}: {v['message']} [{v['rule']}]" for v in items)
