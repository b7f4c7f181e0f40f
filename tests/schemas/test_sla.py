"""The legal clock around Tết, make-up Saturdays, supplement pauses and late receipts."""

from __future__ import annotations

from datetime import datetime

import pytest

from lienthong.schemas.calendar import VN_TZ, WorkingCalendar
from lienthong.schemas.sla import Outcome, SlaClock, SlaPolicy, classify, clock_start, due_at

CAL = WorkingCalendar()


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


def test_tet_2026_is_nine_days_without_work() -> None:
    assert not any(CAL.is_working_day(vn(2026, 2, d).date()) for d in range(14, 23))
    assert CAL.is_working_day(vn(2026, 2, 23).date())


def test_three_days_across_tet() -> None:
    # Thu 12/2 09:00 → Fri 13/2 is day 1, Tết 14–22/2, Mon 23 day 2, Tue 24 day 3.
    assert due_at(vn(2026, 2, 12, 9), 3, CAL) == vn(2026, 2, 24, 9)


def test_after_cutoff_new_year_swap_day_starts_next_working_day() -> None:
    # Wed 31/12/2025 16:00 is after 15:00; 1/1 holiday, 2/1 swapped day off, weekend.
    assert clock_start(vn(2025, 12, 31, 16), CAL, SlaPolicy()) == vn(2026, 1, 5, 7)
    assert due_at(vn(2025, 12, 31, 16), 3, CAL) == vn(2026, 1, 7, 17)


def test_makeup_saturday_counts() -> None:
    assert CAL.is_working_day(vn(2026, 1, 10).date())
    assert due_at(vn(2026, 1, 9, 9), 1, CAL) == vn(2026, 1, 10, 9)


def test_ordinary_saturday_does_not_count() -> None:
    assert due_at(vn(2025, 12, 5, 9), 1, CAL) == vn(2025, 12, 8, 9)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (vn(2025, 12, 1, 14), vn(2025, 12, 1, 17)),  # same day
        (vn(2025, 12, 1, 15, 30), vn(2025, 12, 2, 17)),  # after the cut-off
        (vn(2025, 12, 6, 10), vn(2025, 12, 8, 17)),  # a Saturday
        (vn(2025, 12, 1, 6), vn(2025, 12, 1, 17)),  # before opening
    ],
)
def test_same_day_procedures(received: datetime, due: datetime) -> None:
    assert due_at(received, 0, CAL) == due


def test_lunch_break_does_not_run_the_clock() -> None:
    assert CAL.add_working_minutes(vn(2025, 12, 1, 10, 30), 60) == vn(2025, 12, 1, 13, 30)
    assert CAL.working_minutes_between(vn(2025, 12, 1, 10), vn(2025, 12, 1, 14)) == 120


def test_supplement_pause_moves_the_due_time() -> None:
    clock = SlaClock(due=due_at(vn(2025, 12, 1, 9), 3, CAL))
    assert clock.due == vn(2025, 12, 4, 9)
    paused = clock.on_status(5, vn(2025, 12, 2, 9), CAL)
    assert paused.paused
    assert not paused.is_overdue(vn(2025, 12, 5, 9))  # the clock stands still
    resumed = paused.on_status(4, vn(2025, 12, 8, 9), CAL)
    # Tue 09:00 → Mon 09:00 is four working days of office time.
    assert resumed.due == vn(2025, 12, 10, 9)
    assert not resumed.paused


def test_pause_is_idempotent_and_resume_without_pause_is_a_no_op() -> None:
    clock = SlaClock(due=vn(2025, 12, 4, 9))
    assert clock.pause(vn(2025, 12, 2, 9)).pause(vn(2025, 12, 3, 9)).paused_since == vn(
        2025, 12, 2, 9
    )
    assert clock.resume(vn(2025, 12, 3, 9), CAL) == clock


def test_clock_paused_after_its_due_stays_overdue() -> None:
    late = SlaClock(due=vn(2025, 12, 4, 9)).pause(vn(2025, 12, 5, 9))
    assert late.is_overdue(vn(2025, 12, 5, 10))


@pytest.mark.parametrize(
    ("finished", "outcome"),
    [
        (vn(2025, 12, 3, 16), Outcome.EARLY),
        (vn(2025, 12, 4, 8), Outcome.ON_TIME),
        (vn(2025, 12, 4, 9), Outcome.ON_TIME),
        (vn(2025, 12, 4, 9, 1), Outcome.OVERDUE),
    ],
)
def test_classification(finished: datetime, outcome: Outcome) -> None:
    assert classify(finished, vn(2025, 12, 4, 9)) == outcome


def test_pending_policy_day_is_configurable() -> None:
    day = vn(2026, 11, 24).date()
    assert CAL.is_working_day(day)
    assert not WorkingCalendar(pending_as_holiday=True).is_working_day(day)
