"""Cross-field rules judged on a record some of whose fields failed their own checks.

pydantic runs a model's rules only once every field is valid, so a client that sent a
bad phone and a return date before the reception date learnt of the second only after
fixing the first. Here, when fields fail, the others are validated one by one, the
model is built with ``None`` in place of each failed field, and its rules run on that:

- a rule's problem on a failed field is dropped (the field's own error says more);
- a rule that reads a failed field must not judge: :func:`known` tells it whether the
  fields it needs passed (rules that treat ``None`` as absent need not ask);
- a rule that still trips over a ``None`` ends the judging, silently: what was found
  before it is reported, nothing is invented.

Only the error path pays for this; a valid record is validated once, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import TypeAdapter, ValidationError, ValidationInfo
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

if TYPE_CHECKING:
    from lienthong.schemas.models._base import AvroModel

_FAILED: ContextVar[frozenset[str]] = ContextVar("lienthong_failed_fields", default=frozenset())


def known(*fields: str) -> bool:
    """Whether all ``fields`` passed their own checks (always true for a valid record)."""
    failed = _FAILED.get()
    return not failed or failed.isdisjoint(fields)


@cache
def _adapters(model: type[AvroModel]) -> dict[str, TypeAdapter[Any]]:
    return {name: TypeAdapter(_field_type(info)) for name, info in model.model_fields.items()}


def _field_type(info: FieldInfo) -> Any:
    if not info.metadata:
        return info.annotation
    return Annotated[info.annotation, *info.metadata]


def _field_value(adapter: TypeAdapter[Any], value: Any, info: ValidationInfo) -> Any:
    if info.mode == "json":
        return adapter.validate_json(orjson.dumps(value), strict=True, context=info.context)
    return adapter.validate_python(value, strict=True, context=info.context)


def _partial(model: type[AvroModel], data: Mapping[str, Any], failed: set[str], info: Any) -> Any:
    values: dict[str, Any] = {}
    for name, adapter in _adapters(model).items():
        if name in failed:
            values[name] = None
        elif name in data:
            try:
                values[name] = _field_value(adapter, data[name], info)
            except (ValidationError, ValueError, TypeError):
                values[name] = None
                failed.add(name)
    return model.model_construct(**values)


def _line(error: Any) -> InitErrorDetails:
    # The message travels as the context so it is kept exactly (never a template).
    kind = PydanticCustomError(error["type"], "{reason}", {"reason": error["msg"]})
    return InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])


def with_rule_errors(
    model: type[AvroModel], data: Any, exc: ValidationError, info: ValidationInfo
) -> ValidationError:
    """``exc`` plus the problems ``model``'s rules find in the fields that passed."""
    errors = exc.errors(include_url=False)
    failed = {str(e["loc"][0]) for e in errors if e["loc"]}
    if not isinstance(data, Mapping) or not failed:
        return exc
    partial = _partial(model, data, failed, info)
    token = _FAILED.set(frozenset(failed))
    found = []
    try:
        for problem in partial._problems():
            if problem is not None and problem.field.split(".")[0] not in failed:
                found.append(problem)
    except Exception:  # noqa: BLE001, S110  # a rule that needed a failed field: stop judging
        pass
    finally:
        _FAILED.reset(token)
    if not found:
        return exc
    lines = [_line(e) for e in errors] + [partial._line_error(p) for p in found]
    return ValidationError.from_exception_data(exc.title, lines)
