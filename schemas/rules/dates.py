"""Date order: which time may not precede which.

Two comparisons exist. Instants (``not_before``, ``not_after``) for times recorded to the
second, such as reception and due time. Calendar days in Vietnam (``not_before_day``,
``not_after_day``) for dates that are days by nature, such as a document's issuing date
(ngày ban hành), which systems store as 00:00 local time while the signature carries the
exact time: comparing instants would reject a document signed at 09:00 and issued "the
same day".

Each check names the offending field first and returns a :class:`Problem` on it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lienthong.schemas.rules.problem import Problem

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Asia/Ho_Chi_Minh: UTC+07:00 without daylight saving since 1975 (no tz database needed)."""


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
