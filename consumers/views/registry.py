"""The views of one worker app, as the query API, the timer, tests and benchmarks see them."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import faust

from lienthong.consumers.state_json import loads
from lienthong.consumers.views.entities import State
from lienthong.consumers.views.overdue import DueIndex
from lienthong.consumers.views.settings import ViewsSettings
from lienthong.consumers.views.tally import DossierTally
from lienthong.schemas import headers as h

if TYPE_CHECKING:
    from lienthong.consumers.views.stage import MaterializeStage

Send = Callable[[str, bytes | None, bytes | None, h.Headers], Awaitable[Awaitable[Any]]]
"""Queues one record (topic, key, value, headers); awaits to the delivery's future."""

Applied = Callable[[str, str, int], None]
"""(event_type, event_id, applied at ms) → None: a hook for benchmarks and tests."""


@dataclass
class Views:
    """The views of one worker: its tables and counters (for the API, tests, benchmarks)."""

    app: faust.App
    tables: dict[str, Any]
    settings: ViewsSettings
    applied: int = 0
    duplicates: int = 0
    undecodable: int = 0
    overdue_sent: int = 0
    on_applied: list[Applied] = field(default_factory=list)
    due: DueIndex = field(default_factory=DueIndex)  # open dossiers by due time
    tally: DossierTally = field(default_factory=DossierTally)  # dossier counts (tally.py)
    stage: MaterializeStage | None = None  # what the worker's pipeline applies batches with
    topic: str | None = None  # the views' own topic (overdue announcements), read in batches

    def states(self, name: str) -> Iterator[State]:
        """Every state of a table held by this worker (its assigned partitions)."""
        for raw in self.tables[name].values():
            if raw is not None:
                yield loads(raw)

    def get(self, name: str, key: str) -> State | None:
        raw = self.tables[name].get(key.encode())
        return None if raw is None else dict(loads(raw))


_REGISTERED: weakref.WeakKeyDictionary[Any, Views] = weakref.WeakKeyDictionary()


def register(views: Views) -> None:
    """Make ``views`` what :func:`views_of` answers for its app."""
    _REGISTERED[views.app] = views


def views_of(app: faust.App) -> Views | None:
    """The views registered on ``app`` (benchmarks and tests reach them this way)."""
    return _REGISTERED.get(app)
