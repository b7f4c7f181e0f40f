"""The SLA clock's arithmetic is safe everywhere the contracts let a date be.

Dates come from validated events: legal dates in 1990-2099, ``occurred_at`` (when a
status changed, so when the clock pauses and resumes) from 2000 to a day ahead. Any
combination of those, any procedure of the reference, any pause: no exception.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lienthong.schemas.calendar import WorkingCalendar
from lienthong.schemas.reference import procedures
from lienthong.schemas.rules.dates import EVENTS_AHEAD, EVENTS_SINCE, LEGAL_DATES
from lienthong.schemas.sla import SlaClock, classify, due_at

CALENDAR = WorkingCalendar()
_LONGEST = max(p.days for p in procedures())
_FIRST, _END = LEGAL_DATES


def _instants(first: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    span_ms = int((end - first) / timedelta(milliseconds=1)) - 1
    return st.integers(0, span_ms).map(lambda ms: first + timedelta(milliseconds=ms))


legal_dates = _instants(_FIRST, _END)
status_times = _instants(EVENTS_SINCE, datetime.now(EVENTS_SINCE.tzinfo) + EVENTS_AHEAD)
edges = st.sampled_from([_FIRST, _END - timedelta(milliseconds=1)])


@given(
    received=legal_dates | edges,
    days=st.integers(0, int(_LONGEST)) | st.just(_LONGEST),
    pause=status_times,
    resume=status_times | legal_dates | edges,
    finished=legal_dates | edges,
)
def test_due_pause_resume_and_classify_never_raise_inside_the_contracts(
    received: datetime, days: int, pause: datetime, resume: datetime, finished: datetime
) -> None:
    due = due_at(received, days, CALENDAR)
    assert due >= received - timedelta(days=1)
    clock = SlaClock(due).on_status(5, pause, CALENDAR).on_status(4, resume, CALENDAR)
    assert clock.due >= due
    classify(finished, clock.due)
    clock.is_overdue(finished)
