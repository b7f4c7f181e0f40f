"""An entity's memory at the gate: its last known statuses and the event ids it passed.

One :class:`EntityState` per Kafka key (the entity's id), kept in the worker's faust
table. It answers the two stateful questions of the gate:

- *has this event already passed?* — ``event_id`` is the idempotency key; the ids of
  the entity's most recent passed events are kept, bounded in number (``max_ids``) and
  age (``max_age_ms``), so the table grows with the number of entities, not of events;
- *what was the entity's status?* — per event type, since two types may share a key.

Only events that passed are remembered: a refused event can be fixed and replayed with
the same id. Pure data and functions; the table and its changelog are the worker's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lienthong.consumers.state_json import dumps, loads

DEFAULT_MAX_IDS = 64
DEFAULT_MAX_AGE_MS = 7 * 86_400_000


@dataclass(frozen=True)
class DedupPolicy:
    """How much of an entity's history the gate keeps to recognise duplicates."""

    max_ids: int = DEFAULT_MAX_IDS
    max_age_ms: int = DEFAULT_MAX_AGE_MS


@dataclass(frozen=True)
class EntityState:
    """What the gate remembers about one entity (immutable; updates return a copy)."""

    statuses: dict[str, str] = field(default_factory=dict)
    recent: tuple[tuple[str, int], ...] = ()
    """(event_id, ms when it passed), oldest first."""
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Entity kind → the agencies that own it (:mod:`lienthong.consumers.ownership`)."""

    def has_passed(self, event_id: str) -> bool:
        """Whether an event with ``event_id`` already passed the gate for this entity."""
        return any(seen == event_id for seen, _ in self.recent)

    def status(self, event_type: str) -> str | None:
        """The entity's last known status for ``event_type`` (``None``: not known)."""
        return self.statuses.get(event_type)

    def passed(
        self,
        event_id: str,
        now_ms: int,
        policy: DedupPolicy,
        *,
        event_type: str | None = None,
        status: str | None = None,
        owned: tuple[str, tuple[str, ...]] | None = None,
    ) -> EntityState:
        """The state after ``event_id`` passed, carrying ``status`` for ``event_type``
        and ``owned`` = (entity kind, its owners now)."""
        horizon = now_ms - policy.max_age_ms
        kept = [(i, t) for i, t in self.recent if t >= horizon]
        kept.append((event_id, now_ms))
        statuses = self.statuses
        if event_type is not None and status is not None and statuses.get(event_type) != status:
            statuses = {**statuses, event_type: status}
        owners = self.owners
        if owned is not None and owners.get(owned[0]) != owned[1]:
            owners = {**owners, owned[0]: owned[1]}
        return EntityState(statuses, tuple(kept[-policy.max_ids :]), owners)

    def to_bytes(self) -> bytes:
        """Compact JSON for the table (readable with any Kafka tool)."""
        body: dict[str, object] = {"s": self.statuses, "r": [list(pair) for pair in self.recent]}
        if self.owners:
            body["o"] = {kind: list(agencies) for kind, agencies in self.owners.items()}
        return dumps(body)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> EntityState:
        """The state stored by :meth:`to_bytes`; an empty state for ``None``."""
        if not data:
            return EMPTY
        body = loads(data)
        return cls(
            statuses={str(k): str(v) for k, v in body.get("s", {}).items()},
            recent=tuple((str(i), int(t)) for i, t in body.get("r", [])),
            owners={str(k): tuple(map(str, v)) for k, v in body.get("o", {}).items()},
        )


EMPTY = EntityState()
"""The state of an entity the gate has never seen."""


class RecentIds:
    """The last ``capacity`` event ids seen by one process, oldest forgotten first.

    A second line of defence after the gate's table: the route stage and the subscriber
    SDK drop an id they passed on moments ago (a redelivery after a rebalance, or a copy
    the gate let through when its own state was lost). In memory only.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._ids: dict[str, None] = {}

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: str) -> bool:
        """Remember ``event_id``; ``False`` when it was already there (a duplicate)."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            # dicts keep insertion order: the first key is the oldest.
            del self._ids[next(iter(self._ids))]
        return True
