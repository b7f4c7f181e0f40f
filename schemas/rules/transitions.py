"""Which dossier status may follow which: the legal transitions, as a table.

Derived from ``reference/dossier_status_codes.md`` (the meaning of each code and the
OpenCPS triggers) and the one-stop procedure it describes; each edge says why:

- *first event* (no previous status) → 1 (submitted online), 2 (received in person at
  the desk) or 3 (refused at the desk): a dossier enters the system only by submission
  or at reception.
- 1 registered → 2 received, 3 not received, 7 withdrawn (before the desk acts).
- 2 received → 4 sent for processing, 5 supplement requested, 6 financial obligation,
  7 withdrawn, 8 stopped, and 9 processed: same-day procedures (reference
  ``procedures.csv`` lists several with 0 working days, "ngay sau khi nhận đủ giấy tờ")
  are settled at the desk without a processing step.
- 4 processing → 5, 6, 7, 8, 9.
- 5 supplement requested → 4 (supplement received, processing resumes), 7, 8. It does
  not jump to 9: the supplement must be examined first.
- 6 financial obligation → 4 (paid, processing resumes), 9 (payment was the last step),
  7, 8.
- 9 processed → 10 result returned.
- 3, 7, 8 and 10 are terminal (§4 of the reference).

An event that repeats the current status (a re-sync: DongBoHoSoMC sends whole dossiers
again with ``isUpdating``) is legal in every state, terminal ones included, because it
changes no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lienthong.schemas.rules.dossier_codes import STATUSES, StatusCode

_S = StatusCode

FIRST_STATUSES: frozenset[int] = frozenset({_S.REGISTERED, _S.RECEIVED, _S.NOT_RECEIVED})
"""Statuses a dossier's first event may carry."""

TRANSITIONS: Mapping[int, frozenset[int]] = MappingProxyType(
    {
        _S.REGISTERED: frozenset({_S.RECEIVED, _S.NOT_RECEIVED, _S.WITHDRAWN}),
        _S.RECEIVED: frozenset(
            {
                _S.PROCESSING,
                _S.SUPPLEMENT_REQUESTED,
                _S.FINANCIAL_OBLIGATION,
                _S.WITHDRAWN,
                _S.STOPPED,
                _S.PROCESSED,
            }
        ),
        _S.NOT_RECEIVED: frozenset(),
        _S.PROCESSING: frozenset(
            {
                _S.SUPPLEMENT_REQUESTED,
                _S.FINANCIAL_OBLIGATION,
                _S.WITHDRAWN,
                _S.STOPPED,
                _S.PROCESSED,
            }
        ),
        _S.SUPPLEMENT_REQUESTED: frozenset({_S.PROCESSING, _S.WITHDRAWN, _S.STOPPED}),
        _S.FINANCIAL_OBLIGATION: frozenset({_S.PROCESSING, _S.PROCESSED, _S.WITHDRAWN, _S.STOPPED}),
        _S.WITHDRAWN: frozenset(),
        _S.STOPPED: frozenset(),
        _S.PROCESSED: frozenset({_S.RESULT_RETURNED}),
        _S.RESULT_RETURNED: frozenset(),
    }
)
"""Status → the statuses that may follow it (besides itself)."""


def _codes(codes: frozenset[int]) -> str:
    return ", ".join(str(c) for c in sorted(codes)) or "none: it is terminal"


def transition_problem(previous: int | None, new: int) -> str | None:
    """Why the dossier may not go from ``previous`` to ``new``, or ``None`` if it may.

    ``previous`` is ``None`` for the dossier's first event.
    """
    for code in (previous, new):
        if code is not None and code not in STATUSES:
            return f"{code} is not a portal dossier status code"
    if previous is None:
        if new in FIRST_STATUSES:
            return None
        return f"a dossier's first status must be one of {_codes(FIRST_STATUSES)}, not {new}"
    if new == previous or new in TRANSITIONS[previous]:
        return None
    return (
        f"status {previous} cannot be followed by {new} "
        f"(allowed after {previous}: {_codes(TRANSITIONS[previous])})"
    )


def legal_transition(previous: int | None, new: int) -> bool:
    """Whether a dossier may go from status ``previous`` (``None``: first event) to ``new``."""
    return transition_problem(previous, new) is None
