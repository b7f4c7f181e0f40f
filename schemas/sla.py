"""The legal processing clock of a dossier (pure): due time, pauses, classification.

The rules, each a parameter of :class:`SlaPolicy`:

- The clock starts when the dossier is received (NgayTiepNhan). A dossier received on a
  day off, or at or after the cut-off (15:00; procedures.csv notes the one-stop
  practice "received after 15:00 → next working day", article not verified), starts at
  the next working day's opening.
- A procedure of N working days is due when N working days of office time have passed
  (received Monday 09:00 with 3 days → due Thursday 09:00). N = 0 ("in the day") is due
  at the close of the day the clock started.
- The clock pauses while the dossier waits for the applicant: supplement requested (5)
  and financial obligation (6), per reference/dossier_status_codes.md §4. On resuming,
  the due time moves by the working time the pause lasted.
- A result at or before the due time is on time; one on an earlier working day than the
  due day is early; anything after the due time is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum

from lienthong.schemas.calendar import VN_TZ, WorkingCalendar
from lienthong.schemas.rules.dossier_codes import STATUSES


@dataclass(frozen=True)
class SlaPolicy:
    """The choices the clock makes; defaults follow the reference documents."""

    cutoff: time = time(15)
    pausing_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset(code for code, s in STATUSES.items() if s.pauses_clock)
    )


class Outcome(StrEnum):
    """How a finished dossier met its due time."""

    EARLY = "early"
    ON_TIME = "on_time"
    OVERDUE = "overdue"


def clock_start(received_at: datetime, calendar: WorkingCalendar, policy: SlaPolicy) -> datetime:
    """When the legal clock starts for a dossier received at ``received_at``."""
    local = received_at.astimezone(VN_TZ)
    if not calendar.is_working_day(local.date()) or local.time() >= policy.cutoff:
        day = calendar.next_working_day(local.date())
        return datetime.combine(day, calendar.hours.opens, VN_TZ)
    return calendar.add_working_minutes(local, 0)


def due_at(
    received_at: datetime,
    working_days: int | Decimal,
    calendar: WorkingCalendar,
    policy: SlaPolicy | None = None,
) -> datetime:
    """The due time of a procedure of ``working_days`` for a dossier received then."""
    policy = policy or SlaPolicy()
    days = Decimal(working_days)
    if days < 0:
        raise ValueError(f"working_days must be ≥ 0, got {working_days}")
    start = clock_start(received_at, calendar, policy)
    if days == 0:
        return datetime.combine(start.date(), calendar.hours.closes, VN_TZ)
    minutes = int(days * calendar.hours.minutes_per_day)
    return calendar.add_working_minutes(start, minutes)


@dataclass(frozen=True)
class SlaClock:
    """A dossier's clock: its current due time and whether it is paused.

    Immutable; every transition returns a new clock, so a table can store it and
    replaying the same events gives the same clock.
    """

    due: datetime
    paused_since: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def pause(self, at: datetime) -> SlaClock:
        return self if self.paused else replace(self, paused_since=at)

    def resume(self, at: datetime, calendar: WorkingCalendar) -> SlaClock:
        if self.paused_since is None:
            return self
        lost = calendar.working_minutes_between(self.paused_since, at)
        return SlaClock(due=calendar.add_working_minutes(self.due, lost) if lost else self.due)

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
    if finished_at.astimezone(VN_TZ).date() < due.astimezone(VN_TZ).date():
        return Outcome.EARLY
    return Outcome.ON_TIME
