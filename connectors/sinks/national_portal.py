"""National-portal sync: dossier events → DongBoHoSoMC / CapNhatTienDoHoSoMC, acknowledged.

Every ``dossier.lifecycle`` and ``dossier.progress`` event read is mapped to its portal
item (:mod:`.portal_mapping`) and written to a **ledger** (SQLite) as *pending*, in the
same SQLite transaction as the Kafka offsets that follow it — so the ledger, not Kafka,
says where reading resumes, and an event is never recorded twice. A sender then submits
pending items and records, per item, the portal's acknowledgement (its reply and when);
an item the portal did not acknowledge (an error code, a 5xx, a timeout) stays pending
and is resubmitted after a backoff, until it is acknowledged or, after
``max_attempts``, marked failed and dead-lettered (``portal_rejected``).

Order per dossier: only the oldest pending item of each dossier is ever in flight, so a
progress step never reaches the portal before the dossier sync it follows.
``isUpdating`` is "False" until the portal has acknowledged a DongBoHoSoMC for that
dossier, "True" after. A circuit breaker pauses submissions while the portal is down.

The ledger is one file per connector: run one instance per connector name.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from kafka import TopicPartition
from pydantic import Field, SecretStr

from lienthong.connectors.errors import SinkUnavailable
from lienthong.connectors.positions import DeadLetterWriter
from lienthong.connectors.resilience import Backoff, CircuitBreaker
from lienthong.connectors.runtime import Connector, ConnectorSpec
from lienthong.connectors.sinks import portal_mapping as pm
from lienthong.connectors.stream import EventStream, InEvent
from lienthong.schemas.deadletter import (
    PORTAL_REJECTED,
    UNMAPPED_STATUS,
    DeadRecord,
    Refusal,
    Source,
)
from lienthong.schemas.registry_client import RegistryClient

log = logging.getLogger("lienthong.connectors")

_LEDGER_DDL = (
    "CREATE TABLE IF NOT EXISTS submissions (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "event_id TEXT NOT NULL UNIQUE, service TEXT NOT NULL, dossier TEXT NOT NULL, "
    "item TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL "
    "DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0, last_error TEXT, acked_at TEXT, ack TEXT, "
    "topic TEXT, partition INTEGER, kafka_offset INTEGER)",
    "CREATE INDEX IF NOT EXISTS pending_by_dossier ON submissions (dossier, seq) "
    "WHERE state = 'pending'",
    "CREATE TABLE IF NOT EXISTS offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, "
    "next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition))",
    "CREATE TABLE IF NOT EXISTS synced (dossier TEXT PRIMARY KEY)",
)
# The head of each dossier's queue, if due: one item per dossier in flight, in order.
_DUE = (
    "SELECT seq, event_id, service, dossier, item, attempts FROM submissions s "
    "WHERE state = 'pending' AND next_attempt <= ? AND seq = (SELECT min(seq) FROM "
    "submissions p WHERE p.dossier = s.dossier AND p.state = 'pending') ORDER BY seq LIMIT ?"
)


class PortalSpec(ConnectorSpec):
    """Sync dossier events to the national public-service portal."""

    url: str = Field(description="The portal's integration endpoint (JSON with a 'service').")
    topics: list[str] = Field(min_length=1, description="Dossier topics (lifecycle, progress).")
    token: SecretStr | None = Field(default=None, description="Sent as 'Authorization: Bearer'.")
    ledger_path: Path = Field(description="SQLite file recording every submission and ack.")
    status_map: dict[int, int] = Field(
        default_factory=dict,
        description="Overrides of the local → national status table, e.g. {3: 11}.",
    )
    internal_status_map: dict[str, int] = Field(
        default_factory=dict,
        description="One-stop system status (TrangThaiNoiBo) → national code; wins if set.",
    )
    items_per_request: int = Field(default=50, ge=1, le=1000)
    timeout_s: float = Field(default=15.0, gt=0)
    max_attempts: int = Field(default=50, ge=1, description="Submissions before giving up.")
    backoff_initial_s: float = Field(default=2.0, ge=0)
    backoff_max_s: float = Field(default=600.0, ge=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_s: float = Field(default=60.0, ge=0)
    deadletter_topic: str | None = None  # default: the topic layout's <prefix>.deadletter


class Ledger:
    """The SQLite record of submissions, acknowledgements and Kafka offsets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            for statement in _LEDGER_DDL:
                self.db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise SinkUnavailable(f"cannot open the portal ledger {path}: {exc}") from exc

    def offsets(self, assigned: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Stored offsets of ``assigned`` partitions.

        Called from kafka-python's network thread (its rebalance listener), so it uses
        a connection of its own: SQLite connections stay in their thread.
        """
        try:
            with sqlite3.connect(self.path, timeout=30) as db:
                rows = db.execute("SELECT topic, partition, next_offset FROM offsets").fetchall()
        except sqlite3.Error as exc:
            raise SinkUnavailable(f"cannot read offsets from the portal ledger: {exc}") from exc
        stored = {TopicPartition(t, p): int(o) for t, p, o in rows}
        return {tp: stored[tp] for tp in assigned if tp in stored}

    def record(
        self, items: list[tuple[InEvent, str, dict[str, Any]]], offsets: dict[TopicPartition, int]
    ) -> None:
        """Add pending items and move the offsets, atomically; a known event is ignored."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR IGNORE INTO submissions (event_id, service, dossier, item, topic, "
                "partition, kafka_offset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (e.event_id, service, item["MaHoSo"], json.dumps(item, ensure_ascii=False),
                     e.topic, e.partition, e.offset)
                    for e, service, item in items
                ],
            )  # fmt: skip
            self.db.executemany(
                "INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT (topic, partition) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                [(tp.topic, tp.partition, o) for tp, o in offsets.items()],
            )
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK")
            raise SinkUnavailable(f"cannot write the portal ledger: {exc}") from exc

    def due(self, now: float, limit: int) -> list[tuple[int, str, str, str, dict[str, Any], int]]:
        rows = self.db.execute(_DUE, (now, limit)).fetchall()
        return [(s, e, svc, d, json.loads(item), a) for s, e, svc, d, item, a in rows]

    def synced(self, dossier: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM synced WHERE dossier = ?", (dossier,)).fetchone()
            is not None
        )

    def acked(self, seqs: list[int], dossiers: list[str], service: str, reply: str) -> None:
        at = datetime.now(UTC).isoformat()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "UPDATE submissions SET state = 'acked', attempts = attempts + 1, acked_at = ?, "
            "ack = ? WHERE seq = ?",
            [(at, reply, s) for s in seqs],
        )
        if service == pm.DONG_BO:
            self.db.executemany("INSERT OR IGNORE INTO synced VALUES (?)", [(d,) for d in dossiers])
        self.db.execute("COMMIT")

    def not_acked(self, seq: int, error: str, next_attempt: float, *, give_up: bool) -> None:
        self.db.execute(
            "UPDATE submissions SET attempts = attempts + 1, last_error = ?, next_attempt = ?, "
            "state = ? WHERE seq = ?",
            (error, next_attempt, "failed" if give_up else "pending", seq),
        )

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, count(*) FROM submissions GROUP BY state")
        return {state: int(n) for state, n in rows.fetchall()}

    def close(self) -> None:
        self.db.close()


class NationalPortalSink(Connector[PortalSpec]):
    """Syncs dossier events to the national portal and records each acknowledgement."""

    KIND = "national-portal"

    def run(self) -> None:
        spec = self.spec
        ctx = self.context
        self.mapping = pm.StatusMapping.with_overrides(spec.status_map, spec.internal_status_map)
        self.backoff = Backoff(spec.backoff_initial_s, 2.0, spec.backoff_max_s)
        self.breaker = CircuitBreaker(spec.breaker_failures, spec.breaker_cooldown_s)
        headers = {"Content-Type": "application/json"}
        if spec.token is not None:
            headers["Authorization"] = f"Bearer {spec.token.get_secret_value()}"
        self.http = httpx.Client(timeout=spec.timeout_s, headers=headers)
        self.ledger = Ledger(spec.ledger_path)
        self.letters = DeadLetterWriter(
            ctx.kafka, spec.deadletter_topic or ctx.layout.deadletter, ctx.layout
        )
        registry = RegistryClient(ctx.registry_url)
        stream: EventStream | None = None
        try:
            stream = EventStream.of(self, spec.topics, registry, self.ledger.offsets)
            while not ctx.stop.is_set():
                sent = self._submit_due()
                batch = stream.poll(500, 50 if sent else 200)
                if batch.next_offsets:
                    self._record(batch.events, batch.letters, batch.next_offsets)
                    stream.commit(batch.next_offsets)
        finally:
            if stream is not None:
                stream.close()
            self.letters.close()
            self.http.close()
            self.ledger.close()
            registry.close()

    def _record(
        self, events: list[InEvent], letters: list[DeadRecord], offsets: dict[TopicPartition, int]
    ) -> None:
        items: list[tuple[InEvent, str, dict[str, Any]]] = []
        dead = list(letters)
        for event in events:
            service = pm.SERVICES.get(event.entry.event_type)
            if service is None:
                continue  # not a dossier event: nothing for the portal
            try:
                items.append(
                    (
                        event,
                        service,
                        pm.item_for(event.entry.event_type, event.record, self.mapping),
                    )
                )
            except pm.UnmappedStatus as exc:
                dead.append(
                    self._letter(
                        UNMAPPED_STATUS,
                        str(exc),
                        source=(event.topic, event.partition, event.offset),
                        event_id=event.event_id,
                        key=event.key,
                        value=event.raw,
                    )
                )
        self.letters.send_all(dead)  # safe in Kafka before the offsets move past them
        self.ledger.record(items, offsets)
        self.context.metrics.count("deadlettered", len(dead))

    def _submit_due(self) -> int:
        """Submit the items that are due; return how many were sent."""
        spec = self.spec
        ctx = self.context
        if not self.breaker.allow(time.monotonic()):
            ctx.metrics.circuit_open.set(1)
            return 0
        ctx.metrics.circuit_open.set(0)
        due = self.ledger.due(time.time(), spec.items_per_request * 4)
        groups: dict[tuple[str, bool], list[tuple[int, str, str, dict[str, Any], int]]] = {}
        for seq, event_id, service, dossier, item, attempts in due:
            updating = service == pm.DONG_BO and self.ledger.synced(dossier)
            groups.setdefault((service, updating), []).append(
                (seq, event_id, dossier, item, attempts)
            )
        sent = 0
        for (service, updating), rows in groups.items():
            for start in range(0, len(rows), spec.items_per_request):
                chunk = rows[start : start + spec.items_per_request]
                self._submit(service, updating, chunk)
                sent += len(chunk)
        return sent

    def _submit(
        self, service: str, updating: bool, rows: list[tuple[int, str, str, dict[str, Any], int]]
    ) -> None:
        spec = self.spec
        body = pm.request_body(service, [row[3] for row in rows], updating=updating)
        try:
            response = self.http.post(spec.url, json=body)
            try:
                reply: Any = response.json()
            except ValueError:
                reply = None
            ok, said = pm.acknowledged(response.status_code, reply)
        except httpx.HTTPError as exc:
            ok, said = False, f"{type(exc).__name__}: {exc}"
        if ok:
            self.breaker.success()
            self.ledger.acked([r[0] for r in rows], [r[2] for r in rows], service, said)
            self.context.metrics.count("acknowledged", len(rows))
            return
        self.breaker.failure(time.monotonic())
        self.context.metrics.retries.inc(len(rows))
        for seq, event_id, dossier, _, attempts in rows:
            give_up = attempts + 1 >= spec.max_attempts
            self.ledger.not_acked(
                seq, said, time.time() + self.backoff.delay(attempts + 1), give_up=give_up
            )
            if give_up:
                why = f"not acknowledged after {attempts + 1} submissions: {said}"
                self.letters.send(
                    self._letter(
                        PORTAL_REJECTED,
                        why,
                        source=(f"portal:{service}", -1, seq),  # the ledger's sequence number
                        event_id=event_id,
                        key=dossier.encode(),
                        value=None,
                    )
                )
        self.letters.flush()

    def _letter(
        self,
        reason: str,
        why: str,
        *,
        source: tuple[str, int, int],
        event_id: str,
        key: bytes | None,
        value: bytes | None,
    ) -> DeadRecord:
        refusal = Refusal(reason, why, event_id=event_id)
        return DeadRecord.refused(refusal, Source(*source), self.stage, key, value, [])
