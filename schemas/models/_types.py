"""Field types shared by the models: Avro's logical types, and codes checked by rules.

The models run in pydantic's strict mode so that they reject exactly the wrong Python
types fastavro rejects (a "5" for an int, 1 for a string, True for an int). Three kinds
of field need more than strict mode:

- ``Timestamp`` (Avro timestamp-millis): an aware ``datetime`` or epoch milliseconds as
  an ``int`` (what fastavro writes, and what a decoder that skips datetime conversion
  returns), or an ISO 8601 string in JSON input. Values are normalised to UTC and
  truncated to the millisecond, the precision Avro keeps, so a model survives an Avro
  round trip unchanged. Naive datetimes are refused: fastavro would read them as the
  machine's local time.
  Every time must also be plausible (:mod:`lienthong.schemas.rules.dates` says which
  window and why): ``Timestamp`` is a legal date (1990-2099), ``OccurredAt`` the
  envelope's time of the fact (2000 .. a day after the clock in the validation context
  ``{"now": datetime}``, or the wall clock). Out of window is rule ``date_range``.
- ``EventUuid`` (Avro uuid): a ``uuid.UUID`` or its canonical 36-character text.
- enums: matched by value (the Avro symbol) rather than requiring an enum instance.

Every string field is NFC-normalised by its own validator, before its rule looks at it
(:data:`NonBlank`, the code types made by :func:`rule`, enum symbols): give a new
string field one of these types. Not by a model-level "before" validator: that made
pydantic turn each JSON event into Python dicts and validate those, ~7 µs an event
at the gateway for a check that finds nothing to change almost every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, TypeVar, cast
from unicodedata import is_normalized as _is_normalized
from unicodedata import normalize
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    Strict,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from lienthong.schemas.rules import codes
from lienthong.schemas.rules.dates import LEGAL_DATES, legal_date_problem, occurred_at_problem
from lienthong.schemas.rules.dossier_codes import applicant_type_problem, status_problem
from lienthong.schemas.rules.text import nfc, nfc_value, utf8_problem

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEGAL_FIRST, _LEGAL_END = LEGAL_DATES
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
RESERVED_SYMBOL = "UNKNOWN"


def _refuse_surrogates(value: str) -> None:
    problem = utf8_problem(value)
    if problem is not None:
        raise PydanticCustomError("utf8_text", "{reason}", {"reason": problem})


def rule(name: str, check: Callable[[Any], str | None]) -> AfterValidator:
    """A validator raising error type ``name`` with ``check``'s message when it complains."""

    def apply(value: T) -> T:
        if isinstance(value, str):
            if not value.isascii():
                _refuse_surrogates(value)
            value = cast(T, nfc(value))
        problem = check(value)
        if problem is not None:
            # The message travels in the context so braces in it are never a template.
            raise PydanticCustomError(name, "{reason}", {"reason": problem})
        return value

    return AfterValidator(apply)


def _not_blank(value: str) -> str:
    # ``rule("not_blank", ...)`` and ``nfc`` inlined: the most frequent field rule (a
    # dozen fields of an event), so one Python call per field instead of three.
    if not value.isascii():
        _refuse_surrogates(value)
        if not _is_normalized("NFC", value):
            value = normalize("NFC", value)
    if value.strip():
        return value
    problem = codes.not_blank_problem(value)
    raise PydanticCustomError("not_blank", "{reason}", {"reason": problem})


def _out_of_range(reason: str) -> PydanticCustomError:
    return PydanticCustomError("date_range", "{reason}", {"reason": reason})


def _from_epoch_millis(millis: int) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError:
        raise _out_of_range(f"{millis} ms since 1970 is outside years 1-9999") from None


def _parse_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "datetime_parsing", "{reason}", {"reason": f"{text!r} is not an ISO 8601 time"}
        ) from None


def _utc_millis(
    value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool):
        moment = _from_epoch_millis(value)
    else:
        # JSON has no time type; Avro dicts do, so a string is only a time in JSON.
        if isinstance(value, str) and info.mode == "json":
            value = _parse_iso(value)
            # An aware plain datetime is what the handler passes through unchanged;
            # skipping it saves a call per time field (a naive one still gets its error).
            if value.utcoffset() is None:
                value = handler(value)
        else:
            value = handler(value)
        try:
            moment = value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise _out_of_range(f"{value.isoformat()} is outside years 1-9999 in UTC") from None
    micros = moment.microsecond
    # Whole milliseconds (the usual case) need no new object.
    return moment if micros % 1000 == 0 else moment.replace(microsecond=micros // 1000 * 1000)


def _timestamp(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    moment = _utc_millis(value, handler, info)
    if _LEGAL_FIRST <= moment < _LEGAL_END:  # inlined: every time field of every event
        return moment
    raise _out_of_range(legal_date_problem(moment) or "")


def _now(info: ValidationInfo) -> datetime:
    context = info.context
    now = context.get("now") if isinstance(context, dict) else None
    return now if isinstance(now, datetime) else datetime.now(UTC)


def _occurred_at(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    moment = _utc_millis(value, handler, info)
    problem = occurred_at_problem(moment, _now(info))
    if problem is not None:
        raise _out_of_range(problem)
    return moment


def _uuid(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        if not _CANONICAL_UUID.fullmatch(value):
            raise PydanticCustomError(
                "uuid_format", "{reason}", {"reason": f"{value!r} is not a canonical UUID"}
            )
        # JSON input: pydantic-core builds the UUID from the checked text, ~0.5 µs
        # less than ``UUID()`` in Python (the gateway validates every event from JSON).
        # Strict Python input refuses text, so there the UUID is built here.
        return handler(value) if info.mode == "json" else UUID(value)
    return handler(value)


def _not_reserved(value: Enum) -> Enum:
    if value.name == RESERVED_SYMBOL:
        raise PydanticCustomError(
            "reserved_symbol",
            "{reason}",
            {"reason": "UNKNOWN is what older readers see for newer symbols; never send it"},
        )
    return value


def _distinct_not_empty(items: list[T]) -> list[T]:
    if not items:
        raise PydanticCustomError("not_empty", "{reason}", {"reason": "needs at least one item"})
    repeated = sorted({str(i) for i in items if items.count(i) > 1})
    if repeated:
        raise PydanticCustomError(
            "distinct", "{reason}", {"reason": f"repeats {', '.join(repeated)}"}
        )
    return items


Timestamp = Annotated[AwareDatetime, WrapValidator(_timestamp)]
"""Avro timestamp-millis: an aware UTC datetime with millisecond precision, 1990-2099."""

OccurredAt = Annotated[AwareDatetime, WrapValidator(_occurred_at)]
"""The envelope's ``occurred_at``: a Timestamp from 2000 to a day after "now"."""

EventUuid = Annotated[UUID, WrapValidator(_uuid)]
"""Avro uuid: a UUID, given as ``uuid.UUID`` or canonical text."""

AvroInt = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
AvroLong = Annotated[int, Field(ge=LONG_MIN, le=LONG_MAX)]

Symbol = Annotated[E, Strict(False), BeforeValidator(nfc_value)]
"""An Avro enum field: any of the enum's symbols."""

KnownSymbol = Annotated[E, Strict(False), BeforeValidator(nfc_value), AfterValidator(_not_reserved)]
"""An Avro enum field whose default symbol UNKNOWN is for readers only."""

Distinct = Annotated[list[T], AfterValidator(_distinct_not_empty)]
"""An Avro array that must hold at least one item and no repeats."""

NonBlank = Annotated[str, AfterValidator(_not_blank)]
AgencyCode = Annotated[str, rule("agency_code", codes.agency_code_problem)]
ProcedureCode = Annotated[str, rule("procedure_code", codes.procedure_code_problem)]
UnitCode = Annotated[str, rule("unit_code", codes.unit_code_problem)]
CommuneCode = Annotated[str, rule("commune_code", codes.commune_code_problem)]
TraceId = Annotated[str, rule("trace_id", codes.trace_id_problem)]
Icd10 = Annotated[str, rule("icd10_code", codes.icd10_problem)]
Phone = Annotated[str, rule("phone", codes.phone_problem)]
Pseudonym = Annotated[str, rule("pseudonymous_id", codes.pseudonym_problem)]
Sha256 = Annotated[str, rule("sha256", codes.sha256_problem)]
NumberSymbol = Annotated[str, rule("number_symbol", codes.number_symbol_problem)]
DossierStatusCode = Annotated[AvroInt, rule("dossier_status", status_problem)]
ApplicantType = Annotated[AvroInt, rule("applicant_type", applicant_type_problem)]
