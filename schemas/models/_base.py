"""The base of every contract model: strictness, NFC text, rules, and Avro dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from lienthong.schemas.models._partial import with_rule_errors as _with_rule_errors
from lienthong.schemas.rules.problem import Problem


def _avro_value(value: object) -> object:
    if isinstance(value, AvroModel):
        return value.to_avro()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        return [_avro_value(item) for item in value]
    return value


def _loc(path: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in path.split("."))


def _lookup(model: BaseModel, path: str) -> object:
    value: object = model
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else getattr(value, part, None)
    return value


class AvroModel(BaseModel):
    """A pydantic mirror of an Avro record: same field names, same types, more rules.

    - strict: wrong Python types are refused as fastavro refuses them, and unknown fields
      are refused too (fastavro would drop them silently; a typo in an optional field's
      name must not lose data);
    - every string, and every string in a list, is NFC-normalised before any check
      (by its field's type, :mod:`._types`), so code look-ups compare NFC to NFC;
    - cross-field rules come from :meth:`_problems` and are all reported at once, each on
      its own field, together with the field errors when some fields fail their own
      checks (the rules that need a failed field are skipped: :mod:`._partial`);
    - :meth:`to_avro` and :meth:`from_avro` convert to and from the dict fastavro writes
      and reads, exactly (``from_avro(m.to_avro()) == m``).
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _apply_rules(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        try:
            model = handler(data)
        except ValidationError as exc:
            # Field errors first; the cross-field rules the valid fields can still be
            # judged by are reported with them, so a client fixes everything at once.
            raise _with_rule_errors(cls, data, exc, info) from None
        problems = [p for p in model._problems() if p is not None]
        if problems:
            raise ValidationError.from_exception_data(
                cls.__name__, [model._line_error(p) for p in problems]
            )
        return model

    def _line_error(self, problem: Problem) -> InitErrorDetails:
        return InitErrorDetails(
            type=PydanticCustomError(problem.rule, "{reason}", {"reason": problem.message}),
            loc=_loc(problem.field),
            input=_lookup(self, problem.field),
        )

    def _problems(self) -> Iterable[Problem | None]:
        """Cross-field rules; subclasses yield their problems (``None`` means none)."""
        return ()

    def to_avro(self) -> dict[str, Any]:
        """The record as fastavro writes it: plain dicts, str UUIDs and enum symbols."""
        return {name: _avro_value(getattr(self, name)) for name in type(self).model_fields}

    @classmethod
    def from_avro(cls, record: Mapping[str, Any], *, now: datetime | None = None) -> Self:
        """Validate a record as fastavro reads it (datetimes or epoch-ms ints, UUIDs or str).

        ``now`` is the clock the "not in the future" rules compare with (default: the
        wall clock). Raises pydantic's ``ValidationError``; see
        :func:`~.violations.violations`.
        """
        return cls.model_validate(record, context=None if now is None else {"now": now})
