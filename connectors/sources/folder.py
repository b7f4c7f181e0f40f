"""Folder-drop source: CSV / JSON / JSON Lines files an agency exports → events on Kafka.

An agency system that can only export files drops them in a folder. Each file, once
it has stopped changing (``settle_s``; or written as ``*.part`` and renamed), is read
row by row, every row is checked against its contract, and then:

- every row valid → all its events are published in **one Kafka transaction** together
  with the connector's position, and the file moves to ``done/``;
- some rows rejected → by default nothing of the file is published: it moves to
  ``failed/`` with ``<file>.rejected.jsonl`` beside it, one line per rejected row
  (row number, every field/rule/message, the row's data), so the agency fixes the rows
  and drops the file again. With ``partial: true`` the valid rows are published, the
  rejected ones are reported *and* dead-lettered, and the file moves to ``done/``.

A row holds the payload fields at the top level (CSV column ``a.b`` fills nested field
``b`` of ``a``; an empty cell is a missing value). Missing envelope fields are completed
as ``lienthong publish`` does (:mod:`lienthong.schemas.rows`): the event id is derived
from the row's content and the trace id from the event id, and ``occurred_at`` defaults
to the file's modification time (the moment of the export), so the same file always
gives the same events. JSON rows are checked with strict JSON types, CSV rows in lax
mode (every cell is text).

Restart safety: the position holds the SHA-256 of the files recently published. A
crash after the commit but before the move finds the file still in the folder, sees
its digest, and only moves it: nothing is published twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field, field_validator

from lienthong.connectors.errors import KafkaUnavailable, SourceUnavailable
from lienthong.connectors.events import Encoder, OutRecord
from lienthong.connectors.positions import TransactionalWriter
from lienthong.connectors.runtime import Connector, ConnectorSpec
from lienthong.connectors.topics import topic_segment
from lienthong.schemas.catalogue import EventType, event_type
from lienthong.schemas.deadletter import BAD_PAYLOAD, DeadRecord, Refusal, Source
from lienthong.schemas.errors import CodecError, RegistryError
from lienthong.schemas.models import Violation
from lienthong.schemas.registry_client import RegistryClient
from lienthong.schemas.rows import (
    FORMATS,
    Rejected,
    Row,
    RowRejected,
    event_of,
    exported_at,
    is_lax,
    read_rows,
    write_report,
)

log = logging.getLogger("lienthong.connectors")

SUFFIXES = FORMATS
_REMEMBERED = 1000  # digests kept in the position: far more than files in flight


class FolderSpec(ConnectorSpec):
    """A folder an agency drops export files into."""

    path: Path = Field(description="The drop folder (done/ and failed/ are made inside it).")
    event_type: str = Field(description="Event type of every row, e.g. dossier.lifecycle.")
    agency: str = Field(description="Code of the agency whose files these are.")
    settle_s: float = Field(default=2.0, ge=0, description="A file must be unchanged this long.")
    poll_interval_s: float = Field(default=1.0, gt=0, description="Pause between folder scans.")
    partial: bool = Field(
        default=False, description="Publish the valid rows of a file that has rejected ones."
    )
    deadletter_topic: str | None = None  # default: the topic layout's <prefix>.deadletter
    create_topics: bool = True

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        event_type(value)
        return value

    @field_validator("agency")
    @classmethod
    def _topic_safe(cls, value: str) -> str:
        topic_segment(value)
        return value


@dataclass
class FileOutcome:
    """What a file's rows became."""

    records: list[OutRecord]
    rejected: list[Rejected]


def convert_file(
    path: Path, entry: EventType, agency: str, encoder: Encoder, occurred_at: datetime
) -> FileOutcome:
    """Every row of ``path`` as a record or a rejection (reason, violations)."""
    outcome = FileOutcome([], [])
    lax = is_lax(path)
    for row in read_rows(path):
        try:
            event = event_of(entry, row, agency=agency, occurred_at=occurred_at, lax=lax)
            outcome.records.append(encoder.encode(entry, event))
        except RowRejected as exc:
            outcome.rejected.append(Rejected(row, exc.reason, exc.violations))
        except CodecError as exc:
            problem = Violation(field="", rule=exc.reason, message=str(exc))
            outcome.rejected.append(Rejected(row, exc.reason, [problem]))
    return outcome


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():  # the same name dropped again: keep both
        target = folder / f"{path.stem}.{int(time.time() * 1000)}{path.suffix}"
    shutil.move(str(path), target)
    return target


class FolderSource(Connector[FolderSpec]):
    """Publishes CSV / JSON / JSON Lines files dropped in a folder (module docstring)."""

    KIND = "folder"

    def run(self) -> None:
        spec = self.spec
        ctx = self.context
        writer = TransactionalWriter(
            ctx.kafka, ctx.name, create_topics=spec.create_topics, layout=ctx.layout
        )
        registry = RegistryClient(ctx.registry_url)
        try:
            stored = writer.open()
            recent: list[str] = list(stored or [])
            encoder = Encoder(registry, ctx.layout)
            entry = event_type(spec.event_type)
            while not ctx.stop.is_set():
                ready = self._ready_files()
                for path in ready:
                    if ctx.stop.is_set():
                        break
                    self._one_file(path, entry, encoder, writer, recent)
                if not ready:
                    ctx.stop.wait(spec.poll_interval_s)
        except RegistryError as exc:
            raise KafkaUnavailable(f"the schema registry cannot encode events: {exc}") from exc
        finally:
            writer.close()
            registry.close()

    def _ready_files(self) -> list[Path]:
        spec = self.spec
        now = time.time()
        try:
            candidates = sorted(
                p for p in spec.path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            return [p for p in candidates if now - p.stat().st_mtime >= spec.settle_s]
        except OSError as exc:
            raise SourceUnavailable(f"cannot list the drop folder {spec.path}: {exc}") from exc

    def _one_file(
        self,
        path: Path,
        entry: EventType,
        encoder: Encoder,
        writer: TransactionalWriter,
        recent: list[str],
    ) -> None:
        spec = self.spec
        metrics = self.context.metrics
        began = time.perf_counter()
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in recent:  # published before a crash interrupted the move
                _move(path, spec.path / "done")
                return
            outcome = convert_file(path, entry, spec.agency, encoder, exported_at(path))
        except (OSError, ValueError, csv.Error) as exc:  # ValueError: not JSON, not UTF-8
            problem = Violation(field="", rule="file", message=f"unreadable file: {exc}")
            self._reject(path, [Rejected(Row(0, None), BAD_PAYLOAD, [problem])])
            return
        if outcome.rejected and not spec.partial:
            self._reject(path, outcome.rejected)
            metrics.count("skipped", len(outcome.records) + len(outcome.rejected))
            return
        letters = [self._letter(path, item) for item in outcome.rejected]
        dead = [
            OutRecord(
                spec.deadletter_topic or self.context.layout.deadletter,
                lt.key,
                lt.value,
                lt.headers(),
            )
            for lt in letters
        ]
        recent.append(digest)
        del recent[:-_REMEMBERED]
        writer.commit(outcome.records + dead, recent)
        if outcome.rejected:
            write_report(spec.path / "done" / f"{path.name}.rejected.jsonl", outcome.rejected)
        _move(path, spec.path / "done")
        metrics.count("published", len(outcome.records))
        metrics.count("deadlettered", len(dead))
        metrics.batches.inc()
        metrics.batch_seconds.observe(time.perf_counter() - began)

    def _reject(self, path: Path, rejected: list[Rejected]) -> None:
        spec = self.spec
        failed = spec.path / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        write_report(failed / f"{path.name}.rejected.jsonl", rejected)
        _move(path, failed)
        log.info(
            "folder %s: %s failed (%d rows rejected)", self.context.name, path.name, len(rejected)
        )

    def _letter(self, path: Path, rejected: Rejected) -> DeadRecord:
        spec = self.spec
        row = rejected.row
        refusal = Refusal.broken_contract(
            rejected.violations,
            reason=rejected.reason,
            agency=spec.agency,
            event_type=spec.event_type,
        )
        data = json.dumps(row.data, ensure_ascii=False, default=str).encode() if row.data else None
        source = Source(f"folder:{path.name}", -1, row.number)
        key = f"{path.name}:{row.number}".encode()  # Kafka needs a key or a value
        return DeadRecord.refused(refusal, source, self.stage, key, data, [])
