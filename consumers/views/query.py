"""What the query API answers, computed from table values (pure).

Aggregates are computed from the entity states rather than kept as counters in their own
tables: a count is then a function of states that are themselves idempotent per key, so
no crash between two changelog writes can leave a count and its entities disagreeing,
and partial results from several workers merge by simple addition (:func:`merge_rows`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lienthong.consumers.views.dossiers import is_overdue_now, local_day

Row = dict[str, Any]
# "unit" is the unit today (the 2025 reorganization applied); "unit_historical" the code
# the event carried.
STAT_DIMENSIONS = ("agency", "procedure", "unit", "unit_historical", "status", "day")
_DIMENSION_FIELD = {
    "agency": "agency",
    "procedure": "procedure",
    "unit": "unit_code",
    "unit_historical": "unit_code_original",
}


def mask_id(value: str | None) -> str | None:
    """An ID number with all but its last 4 characters hidden: ``********0123``."""
    if not value:
        return value
    keep = 4 if len(value) > 4 else 1
    return "*" * (len(value) - keep) + value[-keep:]


def mask_phone(value: str | None) -> str | None:
    """A phone number with its middle hidden: ``091****678``."""
    if not value:
        return value
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


def portal_dossier(state: Mapping[str, Any], now_ms: int) -> Row:
    """The citizen portal's view of a dossier: no internal ids, identity masked."""
    sla = state["sla"]
    return {
        "MaHoSo": state["ma_ho_so"],
        "status": state.get("status"),
        "status_label": state.get("status_label"),
        "procedure": state.get("procedure"),
        "procedure_name": state.get("procedure_name"),
        "field": state.get("field"),
        "applicant": state.get("applicant"),
        "applicant_type": state.get("applicant_type"),
        "id_number": mask_id(state.get("id_number")),
        "phone": mask_phone(state.get("phone")),
        "unit_name": state.get("unit_name"),
        "unit_code": state.get("unit_code"),
        "agency": state.get("agency"),
        "received_at": state.get("received_at"),
        "appointment_at": state.get("appointment_at"),
        "returned_at": state.get("returned_at"),
        "supplement": state.get("supplement"),
        "steps": state.get("steps", []),
        "sla": {
            "due_at": sla["due"],
            "paused": sla["paused_since"] is not None,
            "outcome": sla["outcome"],
            "overdue": is_overdue_now(state, now_ms),
        },
        "updated_at": state.get("updated_at"),
    }


def _dimension(state: Mapping[str, Any], by: str) -> str:
    if by == "status":
        return str(state.get("status"))
    if by == "day":
        return local_day(state.get("received_at")) or "not_received"
    return str(state.get(_DIMENSION_FIELD[by]) or "unknown")


def dossier_stats(
    states: Iterable[Mapping[str, Any]], by: str, now_ms: int, *, day: str | None = None
) -> dict[str, Row]:
    """Dossier counts grouped by ``by`` (one of :data:`STAT_DIMENSIONS`).

    Each row: ``dossiers``, ``status`` (count per current status code), and the SLA
    figures ``early``, ``on_time``, ``overdue`` (finished, by outcome) and
    ``open_overdue`` (not finished and past due now). ``day`` keeps only dossiers
    received that Vietnamese calendar day.
    """
    if by not in STAT_DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(STAT_DIMENSIONS)}, not {by!r}")
    rows: dict[str, Row] = {}
    for state in states:
        if state.get("status") is None:
            continue  # only progress steps seen so far: not a dossier yet
        if day is not None and local_day(state.get("received_at")) != day:
            continue
        key = _dimension(state, by)
        row = rows.get(key)
        if row is None:
            row = rows[key] = _stats_row()
        row["dossiers"] += 1
        row["status"][str(state["status"])] = row["status"].get(str(state["status"]), 0) + 1
        outcome = state["sla"]["outcome"]
        if outcome is not None:
            row[outcome] += 1
        elif is_overdue_now(state, now_ms):
            row["open_overdue"] += 1
    return rows


def _stats_row() -> Row:
    return {"dossiers": 0, "status": {}, "early": 0, "on_time": 0, "overdue": 0, "open_overdue": 0}


def merge_rows(parts: Iterable[Mapping[str, Row]]) -> dict[str, Row]:
    """Add up grouped counts from several workers (each owns different partitions)."""
    merged: dict[str, Row] = {}
    for part in parts:
        for key, row in part.items():
            into = merged.setdefault(key, _empty_like(row))
            for name, value in row.items():
                if isinstance(value, dict):
                    counts: Counter[str] = Counter(into[name])
                    counts.update(value)
                    into[name] = dict(counts)
                else:
                    into[name] += value
    return merged


def _empty_like(row: Mapping[str, Any]) -> Row:
    return {name: {} if isinstance(value, dict) else 0 for name, value in row.items()}


def overdue_list(states: Iterable[Mapping[str, Any]], now_ms: int) -> list[Row]:
    """Open dossiers past due now, the longest overdue first."""
    rows = [
        {
            "MaHoSo": s["ma_ho_so"],
            "agency": s.get("agency"),
            "procedure": s.get("procedure"),
            "unit_code": s.get("unit_code"),
            "status": s.get("status"),
            "due_at": s["sla"]["due"],
            "announced": s["sla"]["overdue_emitted"],
        }
        for s in states
        if is_overdue_now(s, now_ms)
    ]
    return sorted(rows, key=lambda r: (r["due_at"], r["MaHoSo"]))


def case_stats(
    states: Iterable[Mapping[str, Any]], *, ward: str | None = None, day: str | None = None
) -> dict[str, Row]:
    """Epidemic cases by ``ward|day`` of first report, with counts per latest status."""
    rows: dict[str, Row] = defaultdict(lambda: {"cases": 0, "status": {}})
    for state in states:
        if (ward is not None and state["ward_code"] != ward) or (
            day is not None and state["day"] != day
        ):
            continue
        row = rows[f"{state['ward_code']}|{state['day']}"]
        row["cases"] += 1
        row["status"][state["status"]] = row["status"].get(state["status"], 0) + 1
    return dict(rows)


def active_zones(states: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Quarantine zones opened and not lifted, by opening time."""
    rows = [
        {k: v for k, v in s.items() if k != "applied"} for s in states if s["action"] == "OPENED"
    ]
    return sorted(rows, key=lambda r: (r["opened_at"], r["zone_id"]))


def public_feedback(state: Mapping[str, Any]) -> Row:
    """What citizens see of a feedback case: the answer only once published."""
    published = state["stage"] == "PUBLISHED"
    return {
        "case_id": state["case_id"],
        "stage": state["stage"],
        "title": state["title"],
        "ward_code": state.get("ward_code"),
        "received_at": state["received_at"],
        "assigned_agency": state.get("assigned_agency"),
        "due_at": state.get("due_at"),
        "answer": state.get("answer") if published else None,
        "published_at": state.get("published_at"),
    }


def inbox(states: Iterable[Mapping[str, Any]], agency: str) -> list[Row]:
    """Documents addressed to ``agency``, newest first."""
    rows = [
        {k: v for k, v in s.items() if k != "applied"} for s in states if agency in s["recipients"]
    ]
    return sorted(rows, key=lambda r: (-r["issued_at"], r["document_id"]))


def page(items: Sequence[Any], limit: int, offset: int) -> Row:
    """One page of ``items`` with what the caller needs to ask for the next."""
    chunk = list(items[offset : offset + limit])
    following = offset + limit if offset + limit < len(items) else None
    return {
        "items": chunk,
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "next_offset": following,
    }
