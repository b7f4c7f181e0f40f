"""Events from files (``lienthong publish``): JSON, JSON Lines and CSV rows to typed events.

A row holds the payload fields at the top level. The envelope may be given (an
``envelope`` object, or top-level ``event_id``, ``occurred_at``, ``source_agency``,
``trace_id``, ``correlation_id``); what is missing is filled in:

- ``event_id``: a UUID derived from the row's content, so publishing the same file
  twice yields the same ids (and downstream deduplication drops the repeats);
- ``source_agency`` from ``--agency``; ``occurred_at``: now; ``trace_id``: a new one;
  ``event_type`` and ``schema_ref`` from the event type.

JSON rows are validated as the gateway validates JSON (strict types, ISO times); CSV
cells are all text, so CSV rows are validated in lax mode ("2" is read as 2). A CSV
column ``a.b`` fills the nested field ``b`` of ``a``; an empty cell is a missing value.
"""

from __future__ import annotations

import csv
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lienthong.producers._encoding import field_errors
from lienthong.producers._errors import FieldError
from lienthong.schemas.models import EventModel

_NAMESPACE = uuid.UUID("6f1d7a52-3a7e-4c51-9d8e-6a1f2b0c4d10")  # lienthong file imports
_ENVELOPE_FIELDS = ("event_id", "occurred_at", "source_agency", "trace_id", "correlation_id")
FORMATS = (".json", ".jsonl", ".csv")


@dataclass(frozen=True)
class Row:
    """One row of a file: its line (or item) number and raw content."""

    number: int
    data: dict[str, Any] | None
    problem: str | None = None  # the row could not even be read as an object


@dataclass(frozen=True)
class Parsed:
    """A row turned into an event, or the reasons it was rejected."""

    row: Row
    event: EventModel | None
    errors: list[FieldError]


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a ``.json`` (array, object or {"events": [...]}), ``.jsonl`` or ``.csv``."""
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
            yield (
                Row(number, item) if isinstance(item, dict) else Row(number, None, "not an object")
            )
    elif suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, record in enumerate(csv.DictReader(handle), 2):  # line 1: header
                yield Row(number, _nest({k: v for k, v in record.items() if v not in ("", None)}))
    else:
        raise ValueError(f"{path.name}: use one of {', '.join(FORMATS)}")


def _json_row(number: int, line: str) -> Row:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return Row(number, None, f"not JSON: {exc}")
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


def with_envelope(
    model: type[EventModel], data: dict[str, Any], agency: str | None
) -> dict[str, Any]:
    """``data`` with its envelope completed (see the module docstring)."""
    payload = {k: v for k, v in data.items() if k not in (*_ENVELOPE_FIELDS, "envelope")}
    given = data.get("envelope")
    envelope: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    for name in _ENVELOPE_FIELDS:
        if name in data:
            envelope.setdefault(name, data[name])
    content = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    envelope.setdefault(
        "event_id", str(uuid.uuid5(_NAMESPACE, f"{model.EVENT_TYPE}|{agency}|{content}"))
    )
    envelope.setdefault("event_type", model.EVENT_TYPE)
    envelope.setdefault("schema_ref", model.AVRO_NAME)
    envelope.setdefault("occurred_at", datetime.now(UTC).isoformat())
    envelope.setdefault("trace_id", secrets.token_hex(16))
    if agency is not None:
        envelope.setdefault("source_agency", agency)
    return {**payload, "envelope": envelope}


def parse_row(model: type[EventModel], row: Row, *, agency: str | None, lax: bool) -> Parsed:
    """Validate one row as ``model``; never raises for a bad row."""
    if row.data is None:
        return Parsed(row, None, [FieldError("", "row", row.problem or "unreadable row")])
    data = with_envelope(model, row.data, agency)
    try:
        if lax:
            event = model.model_validate(data, strict=False)
        else:
            event = model.model_validate_json(json.dumps(data, ensure_ascii=False, default=str))
    except ValidationError as exc:
        return Parsed(row, None, field_errors(exc))
    return Parsed(row, event, [])
