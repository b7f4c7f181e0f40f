"""The realistic day of events lives in the package, where the demo's simulator uses it."""

from lienthong.demo.simulation import (
    CASE_AGENCIES,
    DAY,
    DOCUMENT_AGENCY,
    DOSSIER_AGENCY,
    FEEDBACK_AGENCY,
    PATHS,
    Day,
    case_events,
    document_events,
    dossier_events,
    feedback_events,
    new_id,
    realistic_day,
)

__all__ = [
    "CASE_AGENCIES",
    "DAY",
    "DOCUMENT_AGENCY",
    "DOSSIER_AGENCY",
    "FEEDBACK_AGENCY",
    "PATHS",
    "Day",
    "case_events",
    "document_events",
    "dossier_events",
    "feedback_events",
    "new_id",
    "realistic_day",
]
