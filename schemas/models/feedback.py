"""Citizen feedback cases (phản ánh, kiến nghị) whose handling citizens follow in public.

Rules beyond Avro:

- each stage needs what it implies, cumulatively (:data:`REQUIRED_BY_STAGE`): ASSIGNED
  an agency and a time, ANSWERED an answer and a time, PUBLISHED a publication time;
- times follow the stages: received ≤ assigned ≤ answered ≤ published, due ≥ received;
- the assigned agency is an agency code; the ward a commune-level GSO code; UNKNOWN is
  for readers only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from lienthong.schemas.models._partial import known
from lienthong.schemas.models._types import (
    AgencyCode,
    CommuneCode,
    KnownSymbol,
    NonBlank,
    Symbol,
    Timestamp,
)
from lienthong.schemas.models.common import EventModel
from lienthong.schemas.rules.dates import not_before
from lienthong.schemas.rules.problem import Problem

NAMESPACE = "vn.haugiang.lienthong.cases"


class FeedbackStage(StrEnum):
    """Symbols of ``cases.FeedbackStage``, in the order a case goes through them."""

    UNKNOWN = "UNKNOWN"
    RECEIVED = "RECEIVED"
    ASSIGNED = "ASSIGNED"
    ANSWERED = "ANSWERED"
    PUBLISHED = "PUBLISHED"


class FeedbackChannel(StrEnum):
    """Symbols of ``cases.FeedbackChannel``; OTHER is a real value here, and the default."""

    OTHER = "OTHER"
    HOTLINE = "HOTLINE"
    WEB_PORTAL = "WEB_PORTAL"
    MOBILE_APP = "MOBILE_APP"
    EMAIL = "EMAIL"
    IN_PERSON = "IN_PERSON"


_STAGES = tuple(FeedbackStage)
REQUIRED_BY_STAGE: Mapping[FeedbackStage, tuple[str, ...]] = MappingProxyType(
    {
        FeedbackStage.ASSIGNED: ("assigned_agency", "assigned_at"),
        FeedbackStage.ANSWERED: ("answer", "answered_at"),
        FeedbackStage.PUBLISHED: ("published_at",),
    }
)
"""Fields a stage introduces; a case at a stage needs those of every stage up to it."""


class FeedbackCase(EventModel):
    """A citizen feedback case reached a stage."""

    EVENT_TYPE: ClassVar[str] = "case.feedback"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.FeedbackCase"
    KEY_FIELD: ClassVar[str] = "case_id"

    case_id: NonBlank
    stage: KnownSymbol[FeedbackStage]
    channel: Symbol[FeedbackChannel]
    title: NonBlank
    content: NonBlank
    ward_code: CommuneCode | None = None
    received_at: Timestamp
    assigned_agency: AgencyCode | None = None
    assigned_at: Timestamp | None = None
    due_at: Timestamp | None = None
    answer: NonBlank | None = None
    answered_at: Timestamp | None = None
    published_at: Timestamp | None = None

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        yield from self._required_by_stage()
        yield not_before("assigned_at", self.assigned_at, "received_at", self.received_at)
        yield not_before("due_at", self.due_at, "received_at", self.received_at)
        yield not_before("answered_at", self.answered_at, "assigned_at", self.assigned_at)
        yield not_before("answered_at", self.answered_at, "received_at", self.received_at)
        yield not_before("published_at", self.published_at, "answered_at", self.answered_at)

    def _required_by_stage(self) -> Iterator[Problem]:
        if not known("stage"):
            return
        reached = _STAGES[: _STAGES.index(self.stage) + 1]
        for stage in reached:
            for field in REQUIRED_BY_STAGE.get(stage, ()):
                if getattr(self, field) is None:
                    yield Problem(
                        field, "required_for_stage", f"{field} is required from {stage} on"
                    )
