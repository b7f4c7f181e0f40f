"""The due index: which dossiers the overdue scanner reads, and why none is missed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from lienthong.consumers.views.overdue import DueIndex


def state(due: int | None, status: int = 2, emitted: bool = False) -> dict[str, Any]:
    return {"status": status, "sla": {"due": due, "overdue_emitted": emitted}}


def test_note_keeps_open_unannounced_dossiers_by_due_time() -> None:
    index = DueIndex()
    index.note(b"a", state(100))
    index.note(b"b", state(200))
    index.note(b"c", state(None))  # no legal time: never overdue
    index.note(b"d", state(50, status=10))  # returned: closed
    index.note(b"e", state(50, emitted=True))  # announced already
    assert sorted(index.due_by(150)) == [b"a"]
    assert sorted(index.due_by(200)) == [b"a", b"b"]
    assert len(index) == 2


def test_a_later_state_moves_or_removes_the_entry() -> None:
    index = DueIndex()
    index.note(b"a", state(100))
    index.note(b"a", state(300))  # resumed after a supplement: due later
    assert index.due_by(200) == []
    index.note(b"a", state(300, emitted=True))
    assert b"a" not in index
    assert index.due_by(10**12) == []


class Table:
    """A dossier table as faust's memory store keeps it: a live dict, no snapshot."""

    def __init__(self, rows: dict[bytes, dict[str, Any]]) -> None:
        self.rows = {k: json.dumps(v).encode() for k, v in rows.items()}

    def keys(self) -> Any:
        return self.rows.keys()

    def items(self) -> Any:
        return self.rows.items()

    def get(self, key: bytes) -> bytes | None:
        return self.rows.get(key)

    def write(self, index: DueIndex, key: bytes, value: dict[str, Any]) -> None:
        """What the views do for each state: store it, then note it."""
        self.rows[key] = json.dumps(value).encode()
        index.note(key, value)


def test_rebuild_reads_the_table_and_states_noted_meanwhile_win() -> None:
    rows = {f"k{n}".encode(): state(n) for n in range(1000)}
    index = DueIndex()
    assert index.stale
    table = Table(rows)
    rebuilt = []

    async def rebuild_while_the_views_write() -> None:
        task = asyncio.create_task(index.rebuild(table, lambda: True))
        await asyncio.sleep(0)  # the rebuild has started and yielded
        table.write(index, b"k5", state(5, status=10))  # closed while the table was read
        table.write(index, b"new", state(7))  # created meanwhile
        rebuilt.append(await task)

    asyncio.run(rebuild_while_the_views_write())
    assert rebuilt == [True]
    assert not index.stale
    assert b"k5" not in index
    assert sorted(index.due_by(9)) == sorted(
        [f"k{n}".encode() for n in range(10) if n != 5] + [b"new"]
    )


def test_rebuild_gives_up_when_a_rebalance_starts_and_stays_stale() -> None:
    index = DueIndex()
    table = Table({f"k{n}".encode(): state(n) for n in range(1000)})
    assert asyncio.run(index.rebuild(table, lambda: False)) is False
    assert index.stale  # the next scan rebuilds again


def test_rebuild_survives_a_table_that_grows_and_shrinks_at_every_turn() -> None:
    """Issue 17: at 10^5 open dossiers the views wrote the table while the rebuild read
    it, and iterating the memory store raised at every start."""
    count = 100_000
    table = Table({f"k{n}".encode(): state(n) for n in range(count)})
    index = DueIndex()

    async def rebuild_while_the_pipeline_writes() -> bool:
        task = asyncio.create_task(index.rebuild(table, lambda: True))
        turn = 0
        while not task.done():
            table.write(index, f"new{turn}".encode(), state(turn))  # a new dossier
            table.rows.pop(f"k{count - 1 - turn}".encode(), None)  # gone (compaction)
            turn += 1
            await asyncio.sleep(0)
        return await task

    assert asyncio.run(rebuild_while_the_pipeline_writes()) is True
    assert not index.stale
    assert f"new{count // 400}".encode() in index
    assert len(index) >= count // 2
