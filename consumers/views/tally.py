"""Dossier statistics kept as the states change, so a request does not scan the table.

A :class:`DossierTally` is derived from the dossier states this worker holds, exactly as
:func:`.query.dossier_stats` would compute them by scanning: the views note every state
they write (:meth:`DossierTally.note`), which replaces that dossier's contribution to the
counts. It is not a changelogged counter: a count kept in its own changelog can be
written while its entity is not (or the reverse) at a crash, and a redelivered event is
then a no-op for the entity but not for the count. Derived from the states, the figures
are right after any crash; the price is a rebuild from the table after every rebalance
(:meth:`DossierTally.rebuild`, in the same pass as the due index), during which the
query API scans as before.

``open_overdue`` depends on the time: an open dossier is overdue once ``now`` passes its
due time (a paused clock: only if it was paused after it). Each open dossier waits in a
heap by that moment; :meth:`advance` moves those now late into the counts, so a request
costs the dossiers that became late since the last one, not the table.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lienthong.consumers.views.dossiers import is_open, local_day
from lienthong.consumers.views.query import STAT_DIMENSIONS, Row, overdue_list

_FIELDS = {
    "agency": "agency",
    "procedure": "procedure",
    "unit": "unit_code",
    "unit_historical": "unit_code_original",
}
_DAY = STAT_DIMENSIONS.index("day")


Share = tuple[tuple[str, ...], str, str | None, int | None]
"""One dossier's part of the counts: its value for each of STAT_DIMENSIONS (in that
order), its status, its outcome, and (open) the first ms at which it counts as overdue.
A plain tuple of strings and ints, not a class: CPython's collector stops tracking such
tuples, and a worker holds one per dossier (10⁶ tracked objects make full collections
long)."""


def _keys(state: Mapping[str, Any]) -> tuple[str, ...]:
    values = []
    for by in STAT_DIMENSIONS:
        if by == "status":
            values.append(str(state.get("status")))
        elif by == "day":
            values.append(local_day(state.get("received_at")) or "not_received")
        else:
            values.append(str(state.get(_FIELDS[by]) or "unknown"))
    return tuple(values)


def _late_from(state: Mapping[str, Any]) -> int | None:
    sla = state["sla"]
    if sla["outcome"] is not None or sla["due"] is None or not is_open(state):
        return None
    paused = sla["paused_since"]
    if paused is not None:
        return 0 if paused > sla["due"] else None  # paused: late only if paused late
    due: int = sla["due"]
    return due + 1  # overdue once now > due


def share(state: Mapping[str, Any]) -> Share | None:
    """What a dossier state adds to the counts (``None``: not a dossier yet)."""
    if state.get("status") is None:
        return None
    return (_keys(state), str(state["status"]), state["sla"]["outcome"], _late_from(state))


def _row() -> Row:
    return {"dossiers": 0, "status": {}, "early": 0, "on_time": 0, "overdue": 0, "open_overdue": 0}


class DossierTally:
    """Counts per dimension value (and per reception day), kept exact per dossier."""

    def __init__(self) -> None:
        self._shares: dict[bytes, Share] = {}
        self._rows: dict[str, dict[str, Row]] = {by: {} for by in STAT_DIMENSIONS}
        self._day_rows: dict[tuple[str, str], dict[str, Row]] = {}  # (day, dimension)
        self._waiting: list[tuple[int, bytes]] = []  # (late_from, key), lazily pruned
        self._late: set[bytes] = set()  # counted in open_overdue
        self._late_rows: dict[bytes, Row | None] = {}  # /ioc/overdue's, made on demand
        self._now = 0
        self.ready = False  # built from the table since the last rebalance

    def __len__(self) -> int:
        return len(self._shares)

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]  # the same empty state as a new tally

    def note(self, key: bytes, state: Mapping[str, Any] | None) -> None:
        """``key``'s dossier is now ``state`` (``None``: gone)."""
        old = self._shares.pop(key, None)
        if old is not None:
            self._add(old, -1, late=key in self._late)
            self._late.discard(key)
            self._late_rows.pop(key, None)
        new = None if state is None else share(state)
        if new is None:
            return
        self._shares[key] = new
        self._add(new, 1, late=False)
        late_from = new[3]
        if late_from is not None:
            heapq.heappush(self._waiting, (late_from, key))
            if len(self._waiting) > 2 * len(self._shares) + 1024:
                self._compact()

    def _rows_of(self, s: Share) -> Iterator[Row]:
        keys = s[0]
        day = keys[_DAY]
        for by, value in zip(STAT_DIMENSIONS, keys, strict=True):
            for rows in (self._rows[by], self._day_rows.setdefault((day, by), {})):
                row = rows.get(value)
                if row is None:
                    row = rows[value] = _row()
                yield row

    def _add(self, s: Share, sign: int, *, late: bool) -> None:
        _, status, outcome, _ = s
        for row in self._rows_of(s):
            row["dossiers"] += sign
            row["status"][status] = row["status"].get(status, 0) + sign
            if outcome is not None:
                row[outcome] += sign
            if late:
                row["open_overdue"] += sign

    def advance(self, now_ms: int) -> None:
        """Count the open dossiers that became late by ``now_ms``."""
        self._now = max(self._now, now_ms)
        waiting = self._waiting
        while waiting and waiting[0][0] <= self._now:
            late_from, key = heapq.heappop(waiting)
            s = self._shares.get(key)
            if s is None or s[3] != late_from or key in self._late:
                continue  # a stale entry: the dossier changed since
            self._late.add(key)
            for row in self._rows_of(s):
                row["open_overdue"] += 1

    def _compact(self) -> None:
        self._waiting = [
            (late_from, k)
            for k, s in self._shares.items()
            if (late_from := s[3]) is not None and k not in self._late
        ]
        heapq.heapify(self._waiting)

    def stats(self, by: str, now_ms: int, *, day: str | None = None) -> dict[str, Row]:
        """The same rows as :func:`.query.dossier_stats` over the noted states."""
        if by not in STAT_DIMENSIONS:
            raise ValueError(f"by must be one of {', '.join(STAT_DIMENSIONS)}, not {by!r}")
        self.advance(now_ms)
        rows = self._rows[by] if day is None else self._day_rows.get((day, by), {})
        return {
            value: {**row, "status": {k: n for k, n in row["status"].items() if n}}
            for value, row in rows.items()
            if row["dossiers"] > 0
        }

    def late(self, now_ms: int) -> list[bytes]:
        """The open dossiers overdue at ``now_ms``."""
        self.advance(now_ms)
        return list(self._late)

    def late_rows(
        self, now_ms: int, read: Callable[[bytes], Mapping[str, Any] | None]
    ) -> list[Row]:
        """``/ioc/overdue``'s rows of the dossiers late at ``now_ms``, unsorted.

        Each row is made once from the state ``read`` gives and kept until the dossier
        changes: a request then costs the dossiers that became late since the last one.
        """
        self.advance(now_ms)
        rows = self._late_rows
        for key in self._late:
            if key not in rows:
                state = read(key)
                made = overdue_list([state], now_ms) if state is not None else []
                rows[key] = made[0] if made else None
        return [row for row in rows.values() if row is not None]
