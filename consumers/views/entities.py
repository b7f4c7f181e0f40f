"""Epidemic cases, quarantine zones, feedback cases and documents (pure state updates).

Same contract as :mod:`.dossiers`: previous state (or ``None``) and one decoded record
in, new JSON-able state out, ``None`` when the event id was already applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lienthong.consumers.views.dossiers import (
    OVERDUE_EVENT_TYPE,
    apply_lifecycle,
    apply_overdue,
    apply_progress,
    local_day,
    ms,
    remember,
    seen,
)

State = dict[str, Any]
Apply = Callable[[State | None, Mapping[str, Any]], State | None]


def _start(state: State | None, record: Mapping[str, Any]) -> tuple[State, str] | None:
    event_id = str(record["envelope"]["event_id"])
    if seen(state, event_id):
        return None
    return (dict(state) if state is not None else {"applied": []}), event_id


def apply_epidemic(state: State | None, record: Mapping[str, Any]) -> State | None:
    """A case's latest status; its ward and day are those of its first report."""
    started = _start(state, record)
    if started is None:
        return None
    new, event_id = started
    at = ms(record["envelope"]["occurred_at"])
    new.setdefault("first_reported_at", at)
    new.setdefault("day", local_day(at))
    new.update(
        case_id=record["case_id"],
        disease_code=record["disease_code"],
        disease_name=record.get("disease_name"),
        status=record["status"],
        ward_code=record["ward_code"],
        facility=record["reporting_facility"],
        agency=record["envelope"]["source_agency"],
        updated_at=at,
    )
    remember(new, event_id)
    return new


def apply_zone(state: State | None, record: Mapping[str, Any]) -> State | None:
    """A quarantine zone as last opened or lifted."""
    started = _start(state, record)
    if started is None:
        return None
    new, event_id = started
    location = record.get("center")
    new.update(
        zone_id=record["zone_id"],
        name=record["name"],
        action=record["action"],
        disease_code=record["disease_code"],
        ward_codes=list(record["ward_codes"]),
        center=None if location is None else {"lat": location["lat"], "lon": location["lon"]},
        radius_m=record.get("radius_m"),
        decision_number=record.get("decision_number"),
        opened_at=ms(record["opened_at"]),
        lifted_at=ms(record.get("lifted_at")),
    )
    remember(new, event_id)
    return new


def apply_feedback(state: State | None, record: Mapping[str, Any]) -> State | None:
    """A feedback case at its latest stage."""
    started = _start(state, record)
    if started is None:
        return None
    new, event_id = started
    new.update(
        case_id=record["case_id"],
        stage=record["stage"],
        channel=record["channel"],
        title=record["title"],
        ward_code=record.get("ward_code"),
        received_at=ms(record["received_at"]),
        assigned_agency=record.get("assigned_agency"),
        assigned_at=ms(record.get("assigned_at")),
        due_at=ms(record.get("due_at")),
        answer=record.get("answer"),
        answered_at=ms(record.get("answered_at")),
        published_at=ms(record.get("published_at")),
    )
    remember(new, event_id)
    return new


def apply_document(state: State | None, record: Mapping[str, Any]) -> State | None:
    """An official document as last issued or received."""
    started = _start(state, record)
    if started is None:
        return None
    new, event_id = started
    new.update(
        document_id=record["document_id"],
        direction=record["direction"],
        number_symbol=record["number_symbol"],
        document_type=record.get("document_type"),
        issuing_agency=record["issuing_agency"],
        recipients=list(record["recipient_agencies"]),
        subject=record["subject"],
        signed_at=ms(record["signed_at"]),
        issued_at=ms(record["issued_at"]),
        received_at=ms(record.get("received_at")),
        urgency=record["urgency"],
        confidentiality=record["confidentiality"],
        attachments=[a["sha256"] for a in record.get("attachments") or ()],
        signature_present=bool(record["signature_present"]),
    )
    remember(new, event_id)
    return new


DOSSIERS, CASES, ZONES, FEEDBACK, DOCUMENTS = (
    "dossiers",
    "cases",
    "zones",
    "feedback",
    "documents",
)
VIEW_TABLES = (DOSSIERS, CASES, ZONES, FEEDBACK, DOCUMENTS)
"""The views' table names (changelog ``<app_id>-views-<name>-changelog``)."""

APPLIERS: Mapping[str, tuple[str, Apply]] = {
    "dossier.lifecycle": (DOSSIERS, apply_lifecycle),
    "dossier.progress": (DOSSIERS, apply_progress),
    OVERDUE_EVENT_TYPE: (DOSSIERS, apply_overdue),
    "case.epidemic": (CASES, apply_epidemic),
    "case.quarantine_zone": (ZONES, apply_zone),
    "case.feedback": (FEEDBACK, apply_feedback),
    "document.official": (DOCUMENTS, apply_document),
}
"""Event type → (table, pure update). The tables only apply these."""
