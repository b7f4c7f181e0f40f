"""The legal clock, each rule with dates computed by hand (the computation in a comment).

Calendar facts used (reference/holidays_vn_2025_2027.csv): 1/12/2025 is a Monday;
1/1/2026 holiday and 2/1/2026 a swapped day off, made up on Saturday 10/1/2026; Tết 2026
keeps 14–22/2 off; 30/4 and 1/5/2026 (Thu, Fri) are holidays.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from lienthong.schemas.calendar import VN_TZ, CalendarSettings, WorkingCalendar
from lienthong.schemas.reference import DayUnit, procedures
from lienthong.schemas.sla import (
    Counting,
    Outcome,
    Period,
    SlaClock,
    SlaPolicy,
    classify,
    clock_start,
    due_at,
    start,
)

CAL = WorkingCalendar()
OFFICE = SlaPolicy(counting=Counting.OFFICE_HOURS)
BY_CODE = {p.code: p for p in procedures() if p.code}
CERTIFY_COPY = Period.of(BY_CODE["2.000815"])  # chứng thực bản sao: in the day, 15:00
BIRTH = Period.of(BY_CODE["1.001193"])  # khai sinh: in the day, no sourced cut-off
FOREIGN_MARRIAGE = Period.of(BY_CODE["2.000806"])  # 15 "ngày": calendar days


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=VN_TZ)


def end_of(y: int, mo: int, d: int) -> datetime:
    """24:00 of that day (Civil Code art. 148(4)) = 00:00 of the next."""
    return vn(y, mo, d) + (vn(2025, 1, 2) - vn(2025, 1, 1))


# --- Civil Code counting (the default) ------------------------------------------------


def test_the_day_of_receipt_is_not_counted_and_the_period_ends_at_midnight() -> None:
    # Mon 1/12 09:00, 3 working days: Mon not counted (art. 147(3)); Tue 2 = 1,
    # Wed 3 = 2, Thu 4 = 3 → due 24:00 Thu 4/12 (art. 148(1),(4)). (Office hours: Thu 09:00.)
    assert due_at(vn(2025, 12, 1, 9), 3, CAL) == end_of(2025, 12, 4)
    # The hour of receipt does not matter without a cut-off: Mon 16:30 → same due.
    assert due_at(vn(2025, 12, 1, 16, 30), 3, CAL) == end_of(2025, 12, 4)


def test_three_days_across_tet() -> None:
    # Thu 12/2/2026 09:00: Fri 13/2 = 1; 14–22/2 off; Mon 23 = 2, Tue 24 = 3 → 24:00 Tue 24/2.
    assert due_at(vn(2026, 2, 12, 9), 3, CAL) == end_of(2026, 2, 24)


def test_received_on_a_saturday_counts_from_monday() -> None:
    # Sat 6/12/2025, 1 working day: the next working day Mon 8/12 = 1 → 24:00 Mon 8/12.
    assert due_at(vn(2025, 12, 6, 10), 1, CAL) == end_of(2025, 12, 8)


def test_a_makeup_saturday_counts_an_ordinary_one_does_not() -> None:
    # Fri 9/1/2026, 1 working day: Sat 10/1 is a make-up working day = 1 → 24:00 Sat 10/1.
    assert due_at(vn(2026, 1, 9, 9), 1, CAL) == end_of(2026, 1, 10)
    # Fri 5/12/2025, 1 working day: Sat 6, Sun 7 off; Mon 8 = 1 → 24:00 Mon 8/12.
    assert due_at(vn(2025, 12, 5, 9), 1, CAL) == end_of(2025, 12, 8)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Khai sinh has no sourced cut-off: in the day, even at 16:30 → 24:00 Mon 1/12.
        (vn(2025, 12, 1, 16, 30), end_of(2025, 12, 1)),
        (vn(2025, 12, 1, 6), end_of(2025, 12, 1)),  # before opening: still that day
        # Sat 6/12: not a working day → the next one, Mon 8/12, 24:00.
        (vn(2025, 12, 6, 10), end_of(2025, 12, 8)),
    ],
)
def test_in_the_day_procedures_without_a_cutoff(received: datetime, due: datetime) -> None:
    assert due_at(received, BIRTH, CAL) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Certification (Decree 23/2015 art. 7): 14:59 is before 15:00 → 24:00 Mon 1/12.
        (vn(2025, 12, 1, 14, 59), end_of(2025, 12, 1)),
        # 15:00 is "after 15:00" → the next working day, Tue 2/12, 24:00.
        (vn(2025, 12, 1, 15), end_of(2025, 12, 2)),
        # Wed 31/12/2025 15:30: 1/1 holiday, 2/1 swapped off, 3–4/1 weekend → Mon 5/1/2026.
        (vn(2025, 12, 31, 15, 30), end_of(2026, 1, 5)),
    ],
)
def test_the_cutoff_applies_where_a_source_sets_it(received: datetime, due: datetime) -> None:
    assert CERTIFY_COPY.cutoff == time(15)
    assert due_at(received, CERTIFY_COPY, CAL) == due


def test_calendar_days_count_every_day() -> None:
    # Foreign marriage, 15 "ngày" (Law on Civil Status art. 38(2)), received Mon 1/12/2025:
    # day 1 = Tue 2/12, day 15 = Tue 16/12 (a working day) → 24:00 Tue 16/12.
    assert FOREIGN_MARRIAGE.unit is DayUnit.CALENDAR
    assert due_at(vn(2025, 12, 1, 10), FOREIGN_MARRIAGE, CAL) == end_of(2025, 12, 16)
    # Counted as working days it would be Dec 2–5 (4), 8–12 (9), 15–19 (14), Mon 22 (15).
    as_working = Period(Decimal(15), DayUnit.WORKING)
    assert due_at(vn(2025, 12, 1, 10), as_working, CAL) == end_of(2025, 12, 22)


def test_a_calendar_period_ending_on_a_day_off_ends_on_the_next_working_day() -> None:
    # 10 calendar days from Mon 20/4/2026: day 10 = Thu 30/4 (holiday); Fri 1/5 holiday,
    # 2–3/5 weekend → the end of Mon 4/5 (Civil Code art. 148(5)).
    ten_days = Period(Decimal(10), DayUnit.CALENDAR)
    assert due_at(vn(2026, 4, 20, 9), ten_days, CAL) == end_of(2026, 5, 4)


def test_a_pause_moves_the_due_date_by_the_days_with_the_applicant() -> None:
    # Mon 1/12 09:00, 3 working days → 24:00 Thu 4/12. Paused Tue 2/12 09:00, resumed
    # Mon 8/12 09:00: days Wed 3, Thu 4, Fri 5, Mon 8 are lost (4 working days);
    # Thu 4/12 + 4 working days = Fri 5, Mon 8, Tue 9, Wed 10 → 24:00 Wed 10/12.
    clock = start(vn(2025, 12, 1, 9), 3, CAL)
    paused = clock.on_status(5, vn(2025, 12, 2, 9), CAL)
    assert paused.paused
    assert not paused.is_overdue(vn(2025, 12, 9, 9))
    resumed = paused.on_status(4, vn(2025, 12, 8, 9), CAL)
    assert resumed.due == end_of(2025, 12, 10)
    assert not resumed.paused


def test_a_pause_resumed_the_same_day_loses_nothing() -> None:
    # Paused and resumed on Tue 2/12: no day from Wed 3/12 to Tue 2/12 → due unchanged.
    clock = start(vn(2025, 12, 1, 9), 3, CAL)
    resumed = clock.pause(vn(2025, 12, 2, 9)).resume(vn(2025, 12, 2, 15), CAL)
    assert resumed.due == end_of(2025, 12, 4)


def test_a_pause_after_the_cutoff_is_not_credited_for_excluded_time() -> None:
    # A 2-working-day period with a 15:00 cut-off, received Mon 1/12 15:30: the day of
    # receipt is Tue 2/12, counting starts Wed 3/12: Wed = 1, Thu = 2 → 24:00 Thu 4/12.
    # Paused Mon 16:00, resumed Tue 10:00: every paused day is before Wed → nothing lost
    # (crediting Tue would have pushed the due to 24:00 Fri 5/12).
    period = Period(Decimal(2), DayUnit.WORKING, time(15))
    clock = start(vn(2025, 12, 1, 15, 30), period, CAL)
    assert clock.due == end_of(2025, 12, 4)
    resumed = clock.pause(vn(2025, 12, 1, 16)).resume(vn(2025, 12, 2, 10), CAL)
    assert resumed.due == end_of(2025, 12, 4)


def test_classify_against_a_midnight_due() -> None:
    due = end_of(2025, 12, 4)  # 24:00 Thu 4/12
    assert classify(vn(2025, 12, 4, 23, 59), due) is Outcome.ON_TIME
    assert classify(due, due) is Outcome.ON_TIME  # 24:00 itself still belongs to Thu
    assert classify(vn(2025, 12, 3, 16), due) is Outcome.EARLY
    assert classify(vn(2025, 12, 5, 0, 0, 1), due) is Outcome.OVERDUE


# --- The former office-hours counting, kept as a policy -------------------------------


def test_office_hours_counting_is_n_times_office_days() -> None:
    # Mon 1/12 09:00 + 3 × 8 office hours → Thu 4/12 09:00.
    assert due_at(vn(2025, 12, 1, 9), 3, CAL, OFFICE) == vn(2025, 12, 4, 9)
    # Wed 31/12/2025 16:00 is after 15:00: starts Mon 5/1/2026 07:00; + 24 h → Wed 7/1 17:00.
    assert clock_start(vn(2025, 12, 31, 16), CAL, OFFICE) == vn(2026, 1, 5, 7)
    assert due_at(vn(2025, 12, 31, 16), 3, CAL, OFFICE) == vn(2026, 1, 7, 17)


def test_office_hours_pause_after_the_cutoff_is_not_credited() -> None:
    # Mon 1/12 15:30 is after 15:00: the clock starts Tue 2/12 07:00; + 3 × 8 h → Thu 4/12
    # 17:00. Paused Mon 16:00, resumed Tue 07:00: none of it after the start → Thu 17:00
    # (the former code credited Mon 16:00–17:00 = 60 min → Fri 5/12 08:00, a day later).
    clock = start(vn(2025, 12, 1, 15, 30), 3, CAL, OFFICE)
    assert clock.due == vn(2025, 12, 4, 17)
    assert clock.pause(vn(2025, 12, 1, 16)).resume(vn(2025, 12, 2, 7), CAL).due == clock.due
    # Resumed Tue 09:00: only Tue 07:00–09:00 (120 min) counts → Fri 5/12 09:00.
    later = clock.pause(vn(2025, 12, 1, 16)).resume(vn(2025, 12, 2, 9), CAL)
    assert later.due == vn(2025, 12, 5, 9)


def test_office_hours_pause_moves_the_due_time() -> None:
    clock = SlaClock(due=due_at(vn(2025, 12, 1, 9), 3, CAL, OFFICE))
    paused = clock.on_status(5, vn(2025, 12, 2, 9), CAL)
    # Tue 09:00 → Mon 09:00 is four working days of office time: Thu 09:00 → Wed 10/12.
    assert paused.on_status(4, vn(2025, 12, 8, 9), CAL).due == vn(2025, 12, 10, 9)


def test_lunch_break_does_not_run_the_office_clock() -> None:
    assert CAL.add_working_minutes(vn(2025, 12, 1, 10, 30), 60) == vn(2025, 12, 1, 13, 30)
    assert CAL.working_minutes_between(vn(2025, 12, 1, 10), vn(2025, 12, 1, 14)) == 120


def test_pause_is_idempotent_and_resume_without_pause_is_a_no_op() -> None:
    clock = SlaClock(due=vn(2025, 12, 4, 9))
    assert clock.pause(vn(2025, 12, 2, 9)).pause(vn(2025, 12, 3, 9)).paused_since == vn(
        2025, 12, 2, 9
    )
    assert clock.resume(vn(2025, 12, 3, 9), CAL) == clock


def test_classify_office_due() -> None:
    due = vn(2025, 12, 4, 9)
    assert classify(vn(2025, 12, 3, 16), due) is Outcome.EARLY
    assert classify(vn(2025, 12, 4, 8), due) is Outcome.ON_TIME
    assert classify(vn(2025, 12, 4, 9, 1), due) is Outcome.OVERDUE


def test_paused_after_due_stays_overdue() -> None:
    clock = SlaClock(due=vn(2025, 12, 4, 9)).pause(vn(2025, 12, 5, 9))
    assert clock.is_overdue(vn(2025, 12, 20, 9))


def test_negative_period_is_refused() -> None:
    with pytest.raises(ValueError, match="≥ 0"):
        due_at(vn(2025, 12, 1, 9), -1, CAL)


# --- Office hours are a setting -------------------------------------------------------


def test_office_hours_come_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_OFFICE_HOURS", "07:30-11:30,13:30-17:00")
    hours = CalendarSettings().hours()
    assert hours.minutes_per_day == 240 + 210
    # Mon 09:00 + 450 office minutes: Mon leaves 150 + 210 = 360, then 90 from Tue 07:30.
    cal = WorkingCalendar(office_hours=hours)
    assert due_at(vn(2025, 12, 1, 9), 1, cal, OFFICE) == vn(2025, 12, 2, 9)


@pytest.mark.parametrize("bad", ["13:00-11:00", "07:00-11:00,10:00-12:00", "0700"])
def test_bad_office_hours_are_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("LIENTHONG_OFFICE_HOURS", bad)
    with pytest.raises(ValidationError, match="office_hours"):
        CalendarSettings()


# --- The reference says which unit and which cut-off, with a source -------------------


def test_every_procedure_has_a_unit_and_cutoffs_only_where_sourced() -> None:
    for p in procedures():
        assert p.day_unit in (DayUnit.WORKING, DayUnit.CALENDAR)
    with_cutoff = {p.code for p in procedures() if p.cutoff is not None}
    assert with_cutoff == {"2.000815", "2.000884"}  # Decree 23/2015/NĐ-CP art. 7
    assert BY_CODE["2.001019"].cutoff is None  # contracts: art. 7 excepts art. 37
    calendar_rows = {p.name for p in procedures() if p.day_unit is DayUnit.CALENDAR}
    assert len(calendar_rows) == 4
    assert "Đăng ký kết hôn có yếu tố nước ngoài" in calendar_rows
