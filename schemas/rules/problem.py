"""One broken rule, as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A rule a value breaks.

    ``field`` is a dotted path into the event (``"NgayHenTra"``, ``"envelope.event_type"``,
    ``"ward_codes.2"``); ``rule`` is a stable identifier callers can match on (it becomes
    the pydantic error type); ``message`` says what is wrong and what is expected.
    """

    field: str
    rule: str
    message: str
