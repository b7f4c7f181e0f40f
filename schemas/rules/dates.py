"""Date order: which time may not precede which.

Two comparisons exist. Instants (``not_before``, ``not_after``) for times recorded to the
second, such as reception and due time. Calendar days in Vietnam (``not_before_day``,
``not_after_day``) for dates that are days by nature, such as a document's issuing date
(ngày ban hành), which systems store as 00:00 local time while the signature carries the
exact time: comparing instants would reject a document signed at 09:00 and issued "the
same day".

Each check names the offending field first and returns a :class:`Problem` on it.

Every time in a contract must also be plausible, so that no date arithmetic downstream
(SLA clocks, calendars, day buckets, local time zones) ever meets the edge of Python's
calendar (years 1 and 9999), and so that a typo (year 0202, 20250) is refused at the
door instead of stored for ever:

- ``envelope.occurred_at`` (when the fact happened) lies in :data:`EVENTS_SINCE` (2000:
  no agency system of the axis recorded events earlier) .. now + :data:`EVENTS_AHEAD`
  (one day: source clocks drift and time zones get mislabelled, but a fact cannot
  happen next week). "Now" is the validator's clock, injected as the pydantic
  validation context ``{"now": datetime}`` (the gate passes its own clock).
- every other time (legal dates: reception, due and return dates, signing, issuing,
  onset, quarantine, feedback deadlines) lies in :data:`LEGAL_DATES` (1990-01-01 ..
  2100-01-01 UTC): old documents and dossiers are referenced, and due dates lie ahead,
  but not by centuries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from lienthong.schemas.rules.problem import Problem

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Asia/Ho_Chi_Minh: UTC+07:00 without daylight saving since 1975 (no tz database needed)."""


EVENTS_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
EVENTS_AHEAD = timedelta(days=1)
LEGAL_DATES = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def legal_date_problem(value: datetime) -> str | None:
    """Why ``value`` is not a plausible legal date (``None`` when it is)."""
    first, end = LEGAL_DATES
    if first <= value < end:
        return None
    return (
        f"{value.isoformat()} is outside {first.year}-{end.year - 1}; "
        "a legal date before 1990 or after 2099 is a typo (check the year)"
    )


def occurred_at_problem(value: datetime, now: datetime) -> str | None:
    """Why ``value`` is not a plausible ``occurred_at`` at ``now`` (``None`` when it is)."""
    if value < EVENTS_SINCE:
        return (
            f"{value.isoformat()} is before {EVENTS_SINCE.year}; occurred_at is when the "
            "fact happened in the source system (check the year, or the epoch unit: ms)"
        )
    if value > now + EVENTS_AHEAD:
        return (
            f"{value.isoformat()} is more than a day after now ({now.isoformat()}); "
            "check the source system's clock and time zone"
        )
    return None


def vietnam_day(moment: datetime) -> date:
    """The calendar day in Vietnam at ``moment`` (an aware datetime)."""
    return moment.astimezone(VIETNAM_TIME).date()


def not_before(
    field: str, value: datetime | None, bound_field: str, bound: datetime | None
) -> Problem | None:
    """``value`` must not be an earlier instant than ``bound`` (absent either: no rule)."""
    if value is None or bound is None or value >= bound:
        return None
    return Problem(
        field,
        "date_order",
        f"{field} ({value.isoformat()}) is before {bound_field} ({bound.isoformat()})",
    )


def not_after(
    field: str, value: datetime | None, bound_field: str, bound: datetime | None
) -> Problem | None:
    """``value`` must not be a later instant than ``bound`` (absent either: no rule)."""
    if value is None or bound is None or value <= bound:
        return None
    return Problem(
        field,
        "date_order",
        f"{field} ({value.isoformat()}) is after {bound_field} ({bound.isoformat()})",
    )


def not_before_day(
    field: str, value: datetime | None, bound_field: str, bound: datetime | None
) -> Problem | None:
    """``value``'s day in Vietnam must not be before ``bound``'s day."""
    if value is None or bound is None or vietnam_day(value) >= vietnam_day(bound):
        return None
    return Problem(
        field,
        "date_order",
        f"{field} ({vietnam_day(value)}) is an earlier day than {bound_field} "
        f"({vietnam_day(bound)})",
    )


def not_after_day(
    field: str, value: datetime | None, bound_field: str, bound: datetime | None
) -> Problem | None:
    """``value``'s day in Vietnam must not be after ``bound``'s day."""
    if value is None or bound is None or vietnam_day(value) <= vietnam_day(bound):
        return None
    return Problem(
        field,
        "date_order",
        f"{field} ({vietnam_day(value)}) is a later day than {bound_field} ({vietnam_day(bound)})",
    )
