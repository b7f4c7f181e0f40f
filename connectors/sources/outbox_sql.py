"""Pure parts of the outbox source: SQL text, the row shape, and the gap guard.

The outbox follows Debezium's column convention: ``id`` (the event id), ``aggregatetype``,
``aggregateid`` (the entity: the Kafka key, so each entity keeps its order), ``type``
(the event type) and ``payload`` (JSON). Polling needs one more column, an increasing
integer that says the order rows were written in (``seq bigserial`` in PostgreSQL;
SQLite's ``rowid`` or an ``INTEGER PRIMARY KEY``).

Why a gap guard: in PostgreSQL a sequence value is taken when a row is inserted but
becomes visible only when its transaction commits, so rows may appear out of order —
seq 41 can be visible while seq 40 is still being committed. A poller that moved its
position past 41 would never see 40. The guard stops at a hole in the sequence and
waits for it to fill, up to ``gap_wait_s``; only then does it conclude that the value
was burnt (a rolled-back insert) and move on. SQLite serialises writers, so rows
commit in order and its outbox needs no wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from lienthong.connectors.sql import quote

Placeholder = Literal["?", "%s"]


@dataclass(frozen=True)
class Columns:
    """The outbox table and the names of its columns."""

    table: str = "outbox"
    position: str = "seq"
    id: str = "id"
    aggregatetype: str = "aggregatetype"
    aggregateid: str = "aggregateid"
    type: str = "type"
    payload: str = "payload"
    occurred_at: str | None = None


def select_sql(columns: Columns, placeholder: Placeholder) -> str:
    """Rows after a position, in position order; parameters: (after, limit)."""
    c = columns
    selected = [c.position, c.id, c.aggregatetype, c.aggregateid, c.type, c.payload]
    if c.occurred_at:
        selected.append(c.occurred_at)
    listed = ", ".join(quote(name) for name in selected)
    return (  # names are checked identifiers, quoted; values are parameters
        f"SELECT {listed} FROM {quote(c.table)} "  # noqa: S608
        f"WHERE {quote(c.position)} > {placeholder} "
        f"ORDER BY {quote(c.position)} LIMIT {placeholder}"
    )


def delete_sql(columns: Columns, placeholder: Placeholder) -> str:
    """Delete the rows up to a published position; parameter: (position,)."""
    table, position = quote(columns.table), quote(columns.position)
    return f"DELETE FROM {table} WHERE {position} <= {placeholder}"  # noqa: S608 - checked names


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as read (payload as the driver gives it: text, bytes or a dict)."""

    position: int
    id: Any
    aggregatetype: str
    aggregateid: str
    type: str
    payload: Any
    occurred_at: datetime | None = None

    @classmethod
    def from_tuple(cls, values: Sequence[Any]) -> OutboxRow:
        occurred = values[6] if len(values) > 6 else None
        return cls(
            position=int(values[0]),
            id=values[1],
            aggregatetype=str(values[2]),
            aggregateid=str(values[3]),
            type=str(values[4]),
            payload=values[5],
            occurred_at=occurred if isinstance(occurred, datetime) else None,
        )


class GapGuard:
    """Decides how many fetched rows may be published now (see the module docstring)."""

    def __init__(self, wait_s: float, clock: Callable[[], float]) -> None:
        self.wait_s = wait_s
        self._clock = clock
        self._hole: tuple[int, float] | None = None  # (missing position, first seen)

    def admit(self, after: int, positions: Sequence[int]) -> int:
        """How many of ``positions`` (ascending, all > ``after``) to take, from the start."""
        expected = after + 1
        taken = 0
        for position in positions:
            if position != expected and not self._waited(expected):
                break
            taken += 1
            expected = position + 1
        if taken == len(positions):
            self._hole = None
        return taken

    def _waited(self, missing: int) -> bool:
        if self.wait_s <= 0:
            return True
        now = self._clock()
        if self._hole is None or self._hole[0] != missing:
            self._hole = (missing, now)
            return False
        if now - self._hole[1] >= self.wait_s:
            self._hole = None
            return True
        return False
