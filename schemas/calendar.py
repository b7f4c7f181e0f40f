"""The public sector's working calendar: which days and hours the legal clock runs.

Working days are Monday to Friday, minus public holidays and announced swap days off,
plus announced make-up working Saturdays, all from ``reference/holidays_vn_2025_2027.csv``.
Days whose status is ``pending_policy`` (e.g. Ngày Văn hóa Việt Nam, not yet in the
Labour Code when the data was compiled) count as working days unless the caller says
otherwise.

Office hours are a setting, not a sourced fact: each province's People's Committee sets
its own (e.g. Phú Yên 07:30–12:00/13:30–17:00 from 1/11/2021, Thừa Thiên Huế's one-stop
desks 07:30–11:30/13:00–17:00 from 1/9/2022; see reference/SOURCES.md) and no decision of
Hậu Giang or Cần Thơ was found. The default, 07:00–11:00 and 13:00–17:00
Asia/Ho_Chi_Minh, is an assumption; ``LIENTHONG_OFFICE_HOURS`` (:class:`CalendarSettings`)
sets the real one. Under the Civil Code's counting (the default of ``sla``) office hours
do not move a due date; they matter only to the office-hours clock and to appointments.

All arithmetic is on *working minutes*: time that passes only inside office hours on
working days. Pure functions, no I/O beyond the bundled reference file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.schemas.reference import Holiday, holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DAYS_OFF = {"statutory", "statutory_compensatory", "announced_swap_day_off", "expected_statutory"}
_MAKEUP = "announced_makeup_workday"
_PENDING = "pending_policy"


@dataclass(frozen=True)
class OfficeHours:
    """The intervals of a working day in which the legal clock runs (local time)."""

    intervals: tuple[tuple[time, time], ...] = ((time(7), time(11)), (time(13), time(17)))

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(end) - _minutes(start) for start, end in self.intervals)

    @property
    def opens(self) -> time:
        return self.intervals[0][0]

    @property
    def closes(self) -> time:
        return self.intervals[-1][1]


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def parse_office_hours(text: str) -> OfficeHours:
    """``"07:00-11:00,13:00-17:00"`` → :class:`OfficeHours` (ordered, not overlapping)."""
    intervals: list[tuple[time, time]] = []
    for part in text.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        if start >= end or (intervals and start < intervals[-1][1]):
            raise ValueError(f"{part.strip()!r}: intervals must be ordered and not overlap")
        intervals.append((start, end))
    return OfficeHours(tuple(intervals))


class CalendarSettings(BaseSettings):
    """The office hours the legal clock runs in (``LIENTHONG_OFFICE_HOURS``)."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    office_hours: str = Field(
        default="07:00-11:00,13:00-17:00",
        description=(
            "Office hours of the one-stop desks, local time, as HH:MM-HH:MM intervals "
            "separated by commas. Set by each province's People's Committee; the default "
            "is an assumption (no Hậu Giang / Cần Thơ decision was found)."
        ),
    )

    @field_validator("office_hours")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_office_hours(value)
        return value

    def hours(self) -> OfficeHours:
        return parse_office_hours(self.office_hours)


class WorkingCalendar:
    """Working days and working minutes for the public sector."""

    def __init__(
        self,
        days: Iterable[Holiday] | None = None,
        *,
        office_hours: OfficeHours | None = None,
        pending_as_holiday: bool = False,
    ) -> None:
        entries = tuple(holidays() if days is None else days)
        off = _DAYS_OFF | ({_PENDING} if pending_as_holiday else set())
        self._off = frozenset(h.day for h in entries if h.status in off)
        self._makeup = frozenset(h.day for h in entries if h.status == _MAKEUP)
        self.hours = office_hours or OfficeHours()

    def is_working_day(self, day: date) -> bool:
        if day in self._makeup:
            return True
        return day.weekday() < 5 and day not in self._off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _minute_of_day(self, moment: datetime) -> int:
        """Working minutes already elapsed on ``moment``'s day at ``moment``."""
        clock = _minutes(moment.time())
        elapsed = 0
        for start, end in self.hours.intervals:
            elapsed += max(0, min(clock, _minutes(end)) - _minutes(start))
        return elapsed

    def _at_working_minute(self, day: date, minute: int) -> datetime:
        """The local time on ``day`` when ``minute`` working minutes have elapsed."""
        left = minute
        for start, end in self.hours.intervals:
            length = _minutes(end) - _minutes(start)
            # A boundary between intervals belongs to the later one (13:00, not 11:00).
            if left < length:
                total = _minutes(start) + left
                return datetime.combine(day, time(total // 60, total % 60), VN_TZ)
            left -= length
        return datetime.combine(day, self.hours.closes, VN_TZ)

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Working minutes that pass from ``start`` to ``end`` (0 if end ≤ start)."""
        a, b = start.astimezone(VN_TZ), end.astimezone(VN_TZ)
        if b <= a:
            return 0
        per_day = self.hours.minutes_per_day
        total, day = 0, a.date()
        while day <= b.date():
            if self.is_working_day(day):
                first = self._minute_of_day(a) if day == a.date() else 0
                last = self._minute_of_day(b) if day == b.date() else per_day
                total += max(0, last - first)
            day += timedelta(days=1)
        return total

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment at which ``minutes`` working minutes have passed since ``start``.

        A start outside office hours begins at the next opening; ``minutes=0`` returns
        that normalised start.
        """
        local = start.astimezone(VN_TZ)
        day, used = local.date(), self._minute_of_day(local)
        per_day = self.hours.minutes_per_day
        if not self.is_working_day(day) or used >= per_day:
            day, used = self.next_working_day(day), 0
        left = minutes
        while used + left > per_day:
            left -= per_day - used
            day, used = self.next_working_day(day), 0
        return self._at_working_minute(day, used + left)
