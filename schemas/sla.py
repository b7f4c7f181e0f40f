"""The legal processing clock of a dossier (pure): due time, pauses, classification.

What governs it (sources in ``reference/SOURCES.md``):

- One-stop dossiers are handled under Decree 118/2025/NĐ-CP (from 1 July 2025; before,
  Decree 61/2018/NĐ-CP as amended by 107/2021/NĐ-CP). No rule of its own on how a
  period in days is counted was found in it, so the Civil Code applies (art. 145(1):
  its counting applies unless a law provides otherwise).
- Civil Code 2015 art. 147(3): a period that starts with an event (the receipt) does not
  count the day of the event; it counts from the next day. Art. 148(1), (4): a period
  in days ends at the end (24:00) of its last day. Art. 148(5): if that last day is a
  weekend or holiday, it ends at the end of the next working day.

The rules the clock follows by default (:attr:`Counting.CIVIL_CODE`):

- The day of receipt is the local day of NgayTiepNhan. Where the procedure has a sourced
  cut-off (certification: Decree 23/2015/NĐ-CP art. 7, 15:00), a receipt at or after
  it counts as the next working day's.
- N days in the procedure's unit (``reference.DayUnit``: working or calendar days, each
  row sourced) are counted from the day after the day of receipt; the dossier is due at
  24:00 of the N-th day (a calendar period ending on a day off moves to the next working
  day). N = 0 ("in the day") is due at 24:00 of the day of receipt, or of the next
  working day if that is not one.
- The clock pauses while the dossier waits for the applicant: supplement requested (5)
  and financial obligation (6), per reference/dossier_status_codes.md §4. On resuming,
  the due date moves by the counted days from the day after the pause to the day of
  resumption, both included (the day the dossier comes back is not whole office time);
  days before the counting began are never credited (the cut-off already excluded them).
- A result at or before the due time is on time; one on an earlier day than the due
  day is early; anything after the due time is overdue.

:attr:`Counting.OFFICE_HOURS` keeps the former practice for comparison: N×(office
minutes per day) after the clock starts, a 15:00 cut-off for every procedure (received
Monday 09:00 with 3 days → due Thursday 09:00). A desk's appointment (a procedure outside
the reference) is a time, so its clock also moves by office minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from lienthong.schemas.calendar import VN_TZ, WorkingCalendar
from lienthong.schemas.reference import DayUnit, Procedure
from lienthong.schemas.rules.dossier_codes import STATUSES


class Counting(StrEnum):
    """How a period in days becomes a due time."""

    CIVIL_CODE = "civil_code"  # the law (default): whole days, ends at 24:00
    OFFICE_HOURS = "office_hours"  # the former practice: N × office minutes


@dataclass(frozen=True)
class SlaPolicy:
    """The choices the clock makes; defaults follow the law (see the module's docs)."""

    counting: Counting = Counting.CIVIL_CODE
    office_hours_cutoff: time = time(15)  # OFFICE_HOURS only: its cut-off for every one
    pausing_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset(code for code, s in STATUSES.items() if s.pauses_clock)
    )


@dataclass(frozen=True)
class Period:
    """A legal processing period: ``days`` in ``unit``, with the procedure's cut-off."""

    days: Decimal
    unit: DayUnit = DayUnit.WORKING
    cutoff: time | None = None

    @classmethod
    def of(cls, procedure: Procedure) -> Period:
        return cls(procedure.days, procedure.day_unit, procedure.cutoff)


class Outcome(StrEnum):
    """How a finished dossier met its due time."""

    EARLY = "early"
    ON_TIME = "on_time"
    OVERDUE = "overdue"


def _period(period: Period | int | Decimal) -> Period:
    found = period if isinstance(period, Period) else Period(Decimal(period))
    if found.days < 0:
        raise ValueError(f"a period must be ≥ 0 days, got {found.days}")
    return found


def _end_of(day: date) -> datetime:
    """24:00 of ``day`` (Civil Code art. 148(4)), i.e. the next day's first instant."""
    return datetime.combine(day + timedelta(days=1), time(0), VN_TZ)


def receipt_day(received_at: datetime, calendar: WorkingCalendar, cutoff: time | None) -> date:
    """The day of receipt as counted: the next working day's if at or after the cut-off."""
    local = received_at.astimezone(VN_TZ)
    if cutoff is not None and local.time() >= cutoff:
        return calendar.next_working_day(local.date())
    return local.date()


def shift_days(day: date, count: int, unit: DayUnit, calendar: WorkingCalendar) -> date:
    """The ``count``-th day of ``unit`` after ``day`` (a calendar end rolls off days off)."""
    if unit is DayUnit.CALENDAR:
        end = day + timedelta(days=count)
        return end if calendar.is_working_day(end) else calendar.next_working_day(end)
    for _ in range(count):
        day = calendar.next_working_day(day)
    return day


def counted_days(first: date, last: date, unit: DayUnit, calendar: WorkingCalendar) -> int:
    """How many days of ``unit`` lie in ``first`` … ``last`` (both included)."""
    if last < first:
        return 0
    if unit is DayUnit.CALENDAR:
        return (last - first).days + 1
    return sum(
        calendar.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1)
    )


def clock_start(received_at: datetime, calendar: WorkingCalendar, policy: SlaPolicy) -> datetime:
    """When the office-hours clock starts (:attr:`Counting.OFFICE_HOURS`)."""
    local = received_at.astimezone(VN_TZ)
    if not calendar.is_working_day(local.date()) or local.time() >= policy.office_hours_cutoff:
        day = calendar.next_working_day(local.date())
        return datetime.combine(day, calendar.hours.opens, VN_TZ)
    return calendar.add_working_minutes(local, 0)


def _civil_clock(received_at: datetime, period: Period, calendar: WorkingCalendar) -> SlaClock:
    day = receipt_day(received_at, calendar, period.cutoff)
    days = int(period.days.to_integral_value(ROUND_CEILING))  # a part day ends with its day
    if days == 0:  # "in the day": the day of receipt itself is the period
        last = day if calendar.is_working_day(day) else calendar.next_working_day(day)
        return SlaClock(
            due=_end_of(last), started=_end_of(day - timedelta(days=1)), unit=period.unit
        )
    last = shift_days(day, days, period.unit, calendar)
    return SlaClock(due=_end_of(last), started=_end_of(day), unit=period.unit)


def start(
    received_at: datetime,
    period: Period | int | Decimal,
    calendar: WorkingCalendar,
    policy: SlaPolicy | None = None,
) -> SlaClock:
    """The clock of a dossier received at ``received_at`` with its legal ``period``.

    A bare number is that many working days without a cut-off.
    """
    policy, found = policy or SlaPolicy(), _period(period)
    if policy.counting is Counting.CIVIL_CODE:
        return _civil_clock(received_at, found, calendar)
    begun = clock_start(received_at, calendar, policy)
    if found.days == 0:
        due = datetime.combine(begun.date(), calendar.hours.closes, VN_TZ)
        return SlaClock(due=due, started=begun)
    minutes = int(found.days * calendar.hours.minutes_per_day)
    return SlaClock(due=calendar.add_working_minutes(begun, minutes), started=begun)


def due_at(
    received_at: datetime,
    period: Period | int | Decimal,
    calendar: WorkingCalendar,
    policy: SlaPolicy | None = None,
) -> datetime:
    """The due time of a dossier received then with its legal ``period``."""
    return start(received_at, period, calendar, policy).due


@dataclass(frozen=True)
class SlaClock:
    """A dossier's clock: its current due time and whether it is paused.

    ``started`` is when the counting began (pauses before it credit nothing); ``unit``
    says the clock counts whole days of that unit, ``None`` office minutes. Immutable;
    every transition returns a new clock, so a table can store it and replaying the same
    events gives the same clock.
    """

    due: datetime
    paused_since: datetime | None = None
    started: datetime | None = None
    unit: DayUnit | None = None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def pause(self, at: datetime) -> SlaClock:
        return self if self.paused else replace(self, paused_since=at)

    def resume(self, at: datetime, calendar: WorkingCalendar) -> SlaClock:
        if self.paused_since is None:
            return self
        since = self.paused_since
        if self.started is not None:
            since = max(since, self.started)
        resumed = replace(self, paused_since=None)
        if self.unit is None:
            lost = calendar.working_minutes_between(since, at)
            return replace(
                resumed, due=calendar.add_working_minutes(self.due, lost) if lost else self.due
            )
        first = since.astimezone(VN_TZ).date() + timedelta(days=1)
        if self.started is not None:
            first = max(first, self.started.astimezone(VN_TZ).date())
        lost = counted_days(first, at.astimezone(VN_TZ).date(), self.unit, calendar)
        if not lost:
            return resumed
        last = (self.due - timedelta(days=1)).astimezone(VN_TZ).date()
        return replace(resumed, due=_end_of(shift_days(last, lost, self.unit, calendar)))

    def on_status(
        self, status: int, at: datetime, calendar: WorkingCalendar, policy: SlaPolicy | None = None
    ) -> SlaClock:
        """The clock after the dossier moved to ``status`` at ``at``."""
        policy = policy or SlaPolicy()
        if status in policy.pausing_statuses:
            return self.pause(at)
        return self.resume(at, calendar)

    def is_overdue(self, now: datetime) -> bool:
        """Past due, counting only unpaused time (a clock paused after its due stays late)."""
        if self.paused_since is not None:
            return self.paused_since > self.due
        return now > self.due


def classify(finished_at: datetime, due: datetime) -> Outcome:
    """Early, on time or overdue, for a result given at ``finished_at``."""
    if finished_at > due:
        return Outcome.OVERDUE
    # The due day is the day of the period's last instant (24:00 belongs to the day before).
    due_day = (due - timedelta(microseconds=1)).astimezone(VN_TZ).date()
    if finished_at.astimezone(VN_TZ).date() < due_day:
        return Outcome.EARLY
    return Outcome.ON_TIME
