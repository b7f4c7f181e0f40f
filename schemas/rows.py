"""Rows of agency data → catalogue events: the one reader of ``lienthong publish`` and the
folder and outbox sources.

A row holds the event's payload fields at the top level and, optionally, an
``envelope`` object or top-level envelope fields (``event_id``, ``occurred_at``,
``source_agency``, ``trace_id``, ``correlation_id``). Files are JSON (an array, one
object, or ``{"events": [...]}``), JSON Lines, or CSV, where a column ``a.b`` fills the
nested field ``b`` of ``a`` and an empty cell is a missing value.

What a row leaves out is completed **deterministically**, so reading the same row twice
yields the same event, byte for byte, whoever reads it (the policy, for every reader):

- ``event_id``: given by the caller (the outbox ``id``), else a UUID derived from the
  row's content, event type and agency: a file published twice, or by ``lienthong
  publish`` and by the folder source, gets the same ids (and deduplication drops repeats);
- ``trace_id``: the event id's 32 hex digits (a valid W3C trace id), never a random one;
- ``occurred_at``: the caller's time of the data — the file's modification time (the
  moment of the export) for files, the outbox's column for outbox rows — never "now";
- ``event_type``, ``schema_ref``: from the event type; ``source_agency``: the caller's.

JSON rows are checked as the gateway checks JSON (strict types, ISO times); CSV cells are
all text, so CSV rows are checked in lax mode ("2" is read as 2).
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lienthong.schemas.catalogue import EventType
from lienthong.schemas.deadletter import BAD_PAYLOAD, INVALID_EVENT
from lienthong.schemas.models import EventModel, Violation, violations

FORMATS = (".json", ".jsonl", ".csv")
# The namespace of content-derived event ids (lienthong file imports).
ROW_NAMESPACE = uuid.UUID("6f1d7a52-3a7e-4c51-9d8e-6a1f2b0c4d10")
_ENVELOPE_FIELDS = ("event_id", "occurred_at", "source_agency", "trace_id", "correlation_id")


@dataclass(frozen=True)
class Row:
    """One row of a file: its line (or item) number and data (None when unreadable)."""

    number: int
    data: dict[str, Any] | None
    problem: str = ""  # why the row could not even be read as an object


class RowRejected(Exception):
    """A row cannot become an event; ``violations`` say why (data, never personal data)."""

    def __init__(self, reason: str, items: list[Violation]) -> None:
        super().__init__("; ".join(v["message"] for v in items))
        self.reason = reason
        self.violations = items


@dataclass(frozen=True)
class Rejected:
    """A row that did not become an event, with the dead-letter reason and every violation."""

    row: Row
    reason: str
    violations: list[Violation]

    def report_line(self) -> str:
        """One JSON line of a rejected-rows report: row number, reason, errors, the data."""
        line = {
            "row": self.row.number,
            "reason": self.reason,
            "errors": self.violations,
            "data": self.row.data,
        }
        return json.dumps(line, ensure_ascii=False, default=str)


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a ``.json``, ``.jsonl`` or ``.csv`` file (blank lines skipped).

    Raises ``ValueError`` for another suffix, ``OSError``/``UnicodeDecodeError``/
    ``csv.Error`` when the file cannot be read at all.
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield _json_row(number, line)
    elif suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict):
            document = document.get("events", [document])
        for number, item in enumerate(document if isinstance(document, list) else [], 1):
            yield _object_row(number, item)
    elif suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, record in enumerate(csv.DictReader(handle), 2):  # line 1: header
                cells = {k: v for k, v in record.items() if k and v not in ("", None)}
                yield Row(number, _nest(cells))
    else:
        raise ValueError(f"{path.name}: use one of {', '.join(FORMATS)}")


def exported_at(path: Path) -> datetime:
    """When a file was exported (its modification time): its rows' default occurred_at."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _json_row(number: int, line: str) -> Row:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return Row(number, None, f"not JSON: {exc}")
    return _object_row(number, item)


def _object_row(number: int, item: object) -> Row:
    return Row(number, item) if isinstance(item, dict) else Row(number, None, "not an object")


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for column, value in flat.items():
        target = nested
        *parents, leaf = column.strip().split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


def content_event_id(event_type: str, agency: str | None, data: Mapping[str, Any]) -> str:
    """The content-derived event id of a row."""
    content = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return str(uuid.uuid5(ROW_NAMESPACE, f"{event_type}|{agency}|{content}"))


def as_event_id(value: object, scope: str) -> str:
    """``value`` if it is a UUID, else a UUID derived from it within ``scope``.

    The outbox convention's ``id`` is a UUID; some agency tables use integers, which
    become stable UUIDs (the same row always gets the same event id).
    """
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid5(ROW_NAMESPACE, f"{scope}|{value}"))


def complete(
    entry: EventType,
    data: Mapping[str, Any],
    *,
    agency: str | None,
    occurred_at: datetime | None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """``data`` with its envelope completed (see the module docstring for the policy)."""
    payload = {k: v for k, v in data.items() if k not in (*_ENVELOPE_FIELDS, "envelope")}
    given = data.get("envelope")
    envelope: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    for name in _ENVELOPE_FIELDS:
        if name in data:
            envelope.setdefault(name, data[name])
    if event_id is not None:
        envelope["event_id"] = event_id
    elif "event_id" not in envelope:  # hashing the row costs ~60 µs: only when needed
        envelope["event_id"] = content_event_id(entry.event_type, agency, data)
    envelope.setdefault("event_type", entry.event_type)
    envelope.setdefault("schema_ref", entry.full_name)
    if agency is not None:
        envelope.setdefault("source_agency", agency)
    if occurred_at is not None:
        envelope.setdefault("occurred_at", occurred_at.isoformat())
    if "trace_id" not in envelope:  # an invalid event id is the validator's to report
        envelope["trace_id"] = as_event_id(envelope["event_id"], "trace").replace("-", "")
    return {**payload, "envelope": envelope}


def validate(entry: EventType, data: dict[str, Any], *, lax: bool = False) -> EventModel:
    """The event of ``data``; raises :class:`RowRejected` with every violation.

    JSON-typed rows are checked as the gateway checks JSON (strict types, ISO times);
    ``lax`` reads text cells ("2" as 2), for CSV.
    """
    try:
        if lax:
            return entry.model.model_validate(data, strict=False)
        return entry.model.model_validate_json(json.dumps(data, ensure_ascii=False, default=str))
    except ValidationError as exc:
        raise RowRejected(INVALID_EVENT, violations(exc)) from exc
    except (TypeError, ValueError) as exc:  # not JSON-serialisable input
        raise RowRejected(
            BAD_PAYLOAD, [Violation(field="", rule="json", message=str(exc))]
        ) from exc


def event_of(
    entry: EventType, row: Row, *, agency: str | None, occurred_at: datetime | None, lax: bool
) -> EventModel:
    """The event of a file's ``row``; raises :class:`RowRejected` (unreadable or invalid)."""
    if row.data is None:
        problem = Violation(field="", rule="row", message=row.problem or "unreadable row")
        raise RowRejected(BAD_PAYLOAD, [problem])
    data = complete(entry, row.data, agency=agency, occurred_at=occurred_at)
    return validate(entry, data, lax=lax)


def is_lax(path: Path) -> bool:
    """Whether a file's rows are read in lax mode (CSV: every cell is text)."""
    return path.suffix.lower() == ".csv"


def write_report(path: Path, rejected: list[Rejected]) -> None:
    """The rejected-rows report: one JSON line per row (:meth:`Rejected.report_line`)."""
    with path.open("w", encoding="utf-8") as out:
        for item in rejected:
            out.write(item.report_line() + "\n")
