"""Request bodies of the gateway: one event, or ``{"events": [...]}``, parsed in one pass.

Each event is validated by its catalogue model, chosen by ``envelope.event_type``
(a tagged union read by pydantic-core, so a batch is parsed and checked in Rust, plus
the models' rules in Python: ~19 µs an event). Validation is all or nothing per
request: every error of every item is reported, grouped by item index, and no item of
a body with an error is produced.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import core_schema

from lienthong.producers._errors import FieldError
from lienthong.schemas.catalogue import MODELS
from lienthong.schemas.models import EventModel

_TAGS = frozenset(m.EVENT_TYPE for m in MODELS)


class _AnyEvent:
    """Any event of the catalogue, chosen by its ``envelope.event_type``.

    A tagged union whose tag pydantic-core reads at a path, in Rust. pydantic's own
    API only offers a callable for a nested tag, and calling it made pydantic build
    a Python dict of each JSON event first: ~5 µs an event of a batch.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        tag_path: list[str | int] = ["envelope", "event_type"]
        return core_schema.tagged_union_schema(
            {m.EVENT_TYPE: handler.generate_schema(m) for m in MODELS},
            discriminator=tag_path,
            custom_error_type="event_type",
            custom_error_message=f"envelope.event_type must be one of: {', '.join(sorted(_TAGS))}",
        )


# Built from the catalogue at import, so a type checker cannot see it: typed as Any.
AnyEvent: Any = _AnyEvent

_SINGLE: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def batch_adapter(max_batch: int) -> TypeAdapter[Any]:
    """The parser of a batch body with at most ``max_batch`` events."""
    batch = create_model(
        "EventBatch",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A batch of events; validated all or nothing.",
        events=(list[AnyEvent], Field(min_length=1, max_length=max_batch)),
    )
    return TypeAdapter(batch)


class BodyInvalid(Exception):
    """A body that is not valid: field errors by item index (None: the body itself)."""

    def __init__(self, items: dict[int | None, list[FieldError]], *, too_many: bool = False):
        super().__init__(f"{len(items)} invalid item(s)")
        self.items = items
        self.too_many = too_many


def _errors(exc: ValidationError, batch: bool) -> BodyInvalid:
    items: dict[int | None, list[FieldError]] = {}
    too_many = False
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = list(error["loc"])
        index: int | None = None
        if batch:
            if loc[:1] == ["events"] and len(loc) > 1 and isinstance(loc[1], int):
                index, loc = loc[1], loc[2:]
            elif loc == ["events"] and error["type"] == "too_long":
                too_many = True
        # The union puts the chosen event type in the path; the caller knows it.
        if loc and loc[0] in _TAGS:
            loc = loc[1:]
        field = ".".join(str(part) for part in loc)
        items.setdefault(index, []).append(FieldError(field, error["type"], error["msg"]))
    return BodyInvalid(items, too_many=too_many)


def parse_single(body: bytes) -> EventModel:
    """One event from a JSON body; raises BodyInvalid (errors under index None)."""
    try:
        event: EventModel = _SINGLE.validate_json(body)
    except ValidationError as exc:
        raise _errors(exc, batch=False) from exc
    return event


def parse_batch(adapter: TypeAdapter[Any], body: bytes) -> list[EventModel]:
    """The events of a ``{"events": [...]}`` body; raises BodyInvalid."""
    try:
        events: list[EventModel] = adapter.validate_json(body).events
    except ValidationError as exc:
        raise _errors(exc, batch=True) from exc
    return events


def openapi_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """JSON Schemas of one event and of a batch, plus their shared definitions."""
    template = "#/components/schemas/{model}"
    single = TypeAdapter(AnyEvent).json_schema(ref_template=template)
    batch = batch_adapter(500).json_schema(ref_template=template)
    definitions = {**single.pop("$defs", {}), **batch.pop("$defs", {})}
    return {"single": single, "batch": batch}, definitions
