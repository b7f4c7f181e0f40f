"""Date order by instant and by Vietnamese calendar day."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.schemas.rules.dates import (
    not_after,
    not_after_day,
    not_before,
    not_before_day,
    vietnam_day,
)
from lienthong.schemas.rules.problem import Problem

EARLY = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
LATE = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # 16:00 in Vietnam
NEXT_DAY_IN_VIETNAM = datetime(2025, 3, 4, 17, 30, tzinfo=UTC)  # 00:30 on the 5th


def test_instants() -> None:
    assert not_before("due", LATE, "received", EARLY) is None
    assert not_before("due", EARLY, "received", EARLY) is None
    problem = not_before("due", EARLY, "received", LATE)
    assert problem == Problem(
        "due",
        "date_order",
        "due (2025-03-04T02:00:00+00:00) is before received (2025-03-04T09:00:00+00:00)",
    )
    assert not_after("onset", EARLY, "report", LATE) is None
    assert not_after("onset", LATE, "report", EARLY) is not None


def test_absent_times_have_no_order() -> None:
    assert not_before("due", None, "received", LATE) is None
    assert not_after("onset", LATE, "report", None) is None
    assert not_before_day("x", None, "y", None) is None


def test_days_are_vietnamese_days() -> None:
    assert vietnam_day(NEXT_DAY_IN_VIETNAM).isoformat() == "2025-03-05"
    # Same Vietnamese day, different instants: fine either way.
    assert not_after_day("signed", LATE, "issued", EARLY) is None
    assert not_before_day("received", EARLY, "issued", LATE) is None
    # The UTC date is the same, but in Vietnam it is already the next day.
    problem = not_after_day("signed", NEXT_DAY_IN_VIETNAM, "issued", LATE)
    assert problem is not None
    assert problem.message == "signed (2025-03-05) is a later day than issued (2025-03-04)"
    assert not_before_day("received", LATE, "issued", NEXT_DAY_IN_VIETNAM) is not None
