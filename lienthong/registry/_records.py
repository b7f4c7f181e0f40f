"""The records of the registry's compacted topic: keys, values and their bytes.

A record is ``(key, value)``; a ``None`` value is a tombstone, which is also how Kafka
compaction forgets a key. Keys are designed around compaction, which keeps only the
last record of each key:

* contended things (an id, a subject's version slot) are *claimed* under keys that
  carry a unique ``claim`` token, so two instances' rival claims never share a key and
  compaction can never swap which claim came first;
* things with one writer-wins value (config, mode, a version's deleted mark) use one
  key each, so compaction keeps exactly the latest.

Keys and values are JSON with sorted keys: the same key always has the same bytes,
which is what compaction compares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lienthong.registry._compat import CompatibilityLevel


class Mode(StrEnum):
    """What the registry (or one subject) accepts: Confluent's modes."""

    READWRITE = "READWRITE"
    READONLY = "READONLY"
    IMPORT = "IMPORT"


@dataclass(frozen=True)
class IdKey:
    """A claim of a global schema id for one schema; never deleted, so ids never recur."""

    id: int
    claim: str


@dataclass(frozen=True)
class IdValue:
    schema: str
    fingerprint: str


@dataclass(frozen=True)
class VersionKey:
    """A claim of version ``version`` of ``subject``; a tombstone is a permanent delete."""

    subject: str
    version: int
    claim: str


@dataclass(frozen=True)
class VersionValue:
    id: int


@dataclass(frozen=True)
class DeletedKey:
    """The soft-delete mark of the version whose winning claim is ``claim``."""

    subject: str
    version: int
    claim: str


@dataclass(frozen=True)
class DeletedValue:
    pass


@dataclass(frozen=True)
class ConfigKey:
    """Compatibility level of one subject, or the global one when ``subject`` is None."""

    subject: str | None


@dataclass(frozen=True)
class ConfigValue:
    compatibility: CompatibilityLevel


@dataclass(frozen=True)
class ModeKey:
    """Mode of one subject, or the global one when ``subject`` is None."""

    subject: str | None


@dataclass(frozen=True)
class ModeValue:
    mode: Mode


Key = IdKey | VersionKey | DeletedKey | ConfigKey | ModeKey
Value = IdValue | VersionValue | DeletedValue | ConfigValue | ModeValue


@dataclass(frozen=True)
class Record:
    """One record of the topic; ``value`` None is a tombstone."""

    key: Key
    value: Value | None


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def encode(record: Record) -> tuple[bytes, bytes | None]:
    """The record's Kafka key and value bytes."""
    key_bytes = _dumps({"kind": _KINDS[type(record.key)], **vars(record.key)})
    if record.value is None:
        return key_bytes, None
    return key_bytes, _dumps(
        {k: str(v) for k, v in vars(record.value).items()}
        if isinstance(record.value, ConfigValue | ModeValue)
        else vars(record.value)
    )


_KEYS: dict[str, type[Key]] = {
    "ID": IdKey,
    "VERSION": VersionKey,
    "DELETED": DeletedKey,
    "CONFIG": ConfigKey,
    "MODE": ModeKey,
}
_KINDS = {key_type: kind for kind, key_type in _KEYS.items()}
# What each key field must be; anything else in the topic is not ours and is skipped.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": int,
    "version": int,
    "claim": str,
    "subject": (str, type(None)),
}


def decode(key_bytes: bytes | None, value_bytes: bytes | None) -> Record | None:
    """The record, or None for bytes this version does not understand (skipped, not fatal).

    Skipping unknown kinds lets a newer registry add record kinds while older
    instances still fold the ones they know.
    """
    if key_bytes is None:
        return None
    try:
        fields = json.loads(key_bytes)
        key_type = _KEYS[fields.pop("kind")]
        if not all(isinstance(v, _FIELD_TYPES[k]) for k, v in fields.items()):
            return None
        key: Key = key_type(**fields)
        if value_bytes is None:
            return Record(key, None)
        value_fields = json.loads(value_bytes)
        return Record(key, _value(key, value_fields))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _value(key: Key, fields: dict[str, Any]) -> Value:
    match key:
        case IdKey():
            return IdValue(schema=str(fields["schema"]), fingerprint=str(fields["fingerprint"]))
        case VersionKey():
            return VersionValue(id=int(fields["id"]))
        case DeletedKey():
            return DeletedValue()
        case ConfigKey():
            return ConfigValue(CompatibilityLevel(fields["compatibility"]))
        case ModeKey():
            return ModeValue(Mode(fields["mode"]))
