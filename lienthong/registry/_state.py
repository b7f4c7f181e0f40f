"""The registry's state as a pure fold of its topic: no I/O, no clock, no randomness.

Every instance folds the same log and so holds the same state; the log's order is the
only arbiter between instances, so no leader is needed. The rules:

* **ids**: the first claim of an id wins; a later claim of a taken id, or a claim for a
  schema that already has an id, is ignored by everyone (its proposer sees that and
  retries or adopts the existing id). Ids are never freed, so never reused.
* **versions**: a claim of ``(subject, version)`` wins when the slot is free, the version
  is above every version the subject still has, its schema id is assigned, and the
  schema is not already live in the subject. Losing claims are remembered per subject:
  a permanent delete tombstones them together with the winner, so that compaction,
  which drops a deleted winner's record, can never promote a forgotten loser.
* **soft delete** marks the winning claim; **permanent delete** is the claim's
  tombstone; **config** and **mode** are last-writer-wins per key.

Compaction only removes records that a later record supersedes, and removing records
can only make claims easier to win; the loser rule above is what keeps a fold of the
compacted topic equal to a fold of the full one (tests/registry/test_state.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from lienthong.registry._compat import CompatibilityLevel
from lienthong.registry._errors import SchemaNotFound, SubjectNotFound, VersionNotFound
from lienthong.registry._records import (
    ConfigKey,
    ConfigValue,
    DeletedKey,
    DeletedValue,
    IdKey,
    IdValue,
    Mode,
    ModeKey,
    ModeValue,
    Record,
    VersionKey,
    VersionValue,
)

V = TypeVar("V")


@dataclass(frozen=True)
class SchemaEntry:
    """A schema that owns a global id."""

    id: int
    text: str
    fingerprint: str


@dataclass
class VersionEntry:
    """One version of one subject, and the claim that won it."""

    subject: str
    version: int
    id: int
    claim: str
    deleted: bool = False


@dataclass
class RegistryState:
    """Subjects, versions, ids, config and mode: what the log says, and nothing else."""

    schemas: dict[int, SchemaEntry] = field(default_factory=dict)
    ids_by_fingerprint: dict[str, int] = field(default_factory=dict)
    subjects: dict[str, dict[int, VersionEntry]] = field(default_factory=dict)
    losers: dict[str, set[VersionKey]] = field(default_factory=dict)
    configs: dict[str | None, CompatibilityLevel] = field(default_factory=dict)
    modes: dict[str | None, Mode] = field(default_factory=dict)
    refs: dict[int, int] = field(default_factory=dict)
    """How many versions (soft-deleted included) use each id."""
    max_id: int = 0

    # ------------------------------------------------------------------ the fold

    def apply(self, record: Record) -> RegistryState:
        """Fold one record into the state (in place) and return the state."""
        key, value = record.key, record.value
        match key:
            case IdKey():
                if isinstance(value, IdValue):
                    self._claim_id(key, value)
            case VersionKey():
                if isinstance(value, VersionValue):
                    self._claim_version(key, value)
                elif value is None:
                    self._drop_version(key)
            case DeletedKey():
                entry = self.subjects.get(key.subject, {}).get(key.version)
                if isinstance(value, DeletedValue) and entry and entry.claim == key.claim:
                    entry.deleted = True
            case ConfigKey():
                _set_or_forget(
                    self.configs,
                    key.subject,
                    value.compatibility if isinstance(value, ConfigValue) else None,
                )
            case ModeKey():
                _set_or_forget(
                    self.modes, key.subject, value.mode if isinstance(value, ModeValue) else None
                )
        return self

    def _claim_id(self, key: IdKey, value: IdValue) -> None:
        if key.id <= 0 or key.id in self.schemas or value.fingerprint in self.ids_by_fingerprint:
            return
        self.schemas[key.id] = SchemaEntry(key.id, value.schema, value.fingerprint)
        self.ids_by_fingerprint[value.fingerprint] = key.id
        self.max_id = max(self.max_id, key.id)

    def _claim_version(self, key: VersionKey, value: VersionValue) -> None:
        versions = self.subjects.get(key.subject, {})
        current = versions.get(key.version)
        if current is not None and current.claim == key.claim:
            return  # the same claim again (a producer retry): nothing new
        wins = (
            current is None
            and key.version > max(versions, default=0)
            and value.id in self.schemas
            and not any(e.id == value.id and not e.deleted for e in versions.values())
        )
        if not wins:
            self.losers.setdefault(key.subject, set()).add(key)
            return
        versions[key.version] = VersionEntry(key.subject, key.version, value.id, key.claim)
        self.subjects[key.subject] = versions
        self.refs[value.id] = self.refs.get(value.id, 0) + 1

    def _drop_version(self, key: VersionKey) -> None:
        versions = self.subjects.get(key.subject, {})
        current = versions.get(key.version)
        if current is None or current.claim != key.claim:
            self.losers.get(key.subject, set()).discard(key)
            return
        del versions[key.version]
        if not versions:
            del self.subjects[key.subject]
        self.refs[current.id] -= 1
        if not self.refs[current.id]:
            del self.refs[current.id]

    # --------------------------------------------------------------- questions

    def next_id(self) -> int:
        """The id a new schema should claim next (the log may still say otherwise)."""
        return self.max_id + 1

    def next_version(self, subject: str) -> int:
        """One above every version the subject has, soft-deleted ones included."""
        return max(self.subjects.get(subject, {}), default=0) + 1

    def versions(self, subject: str, *, deleted: bool = False) -> list[VersionEntry]:
        """The subject's versions, oldest first; soft-deleted ones only if asked."""
        entries = sorted(self.subjects.get(subject, {}).values(), key=lambda e: e.version)
        return [e for e in entries if deleted or not e.deleted]

    def has_subject(self, subject: str, *, deleted: bool = False) -> bool:
        return bool(self.versions(subject, deleted=deleted))

    def version(self, subject: str, version: int | None, *, deleted: bool = False) -> VersionEntry:
        """Version ``version`` of the subject, or its latest live one when None."""
        if version is None:
            live = self.versions(subject)
            if not live:
                raise SubjectNotFound(subject)
            return live[-1]
        entry = self.subjects.get(subject, {}).get(version)
        if entry is None or (entry.deleted and not deleted):
            if not self.has_subject(subject, deleted=deleted):
                raise SubjectNotFound(subject)
            raise VersionNotFound(version)
        return entry

    def schema(self, schema_id: int) -> SchemaEntry:
        """The schema of an id some version (soft-deleted included) still uses."""
        if schema_id not in self.refs:
            raise SchemaNotFound(schema_id)
        return self.schemas[schema_id]

    def find(self, subject: str, fingerprint: str, *, deleted: bool = False) -> VersionEntry | None:
        """The latest version of the subject holding the schema with ``fingerprint``."""
        schema_id = self.ids_by_fingerprint.get(fingerprint)
        matches = [e for e in self.versions(subject, deleted=deleted) if e.id == schema_id]
        return matches[-1] if matches else None

    def usages(self, schema_id: int, *, deleted: bool = False) -> list[VersionEntry]:
        """Every (subject, version) that uses the id, by subject then version."""
        return [
            entry
            for subject in sorted(self.subjects)
            for entry in self.versions(subject, deleted=deleted)
            if entry.id == schema_id
        ]

    def subject_names(self, *, deleted: bool = False, deleted_only: bool = False) -> list[str]:
        """Subjects with a live version; with ``deleted`` also those fully soft-deleted."""
        names = []
        for subject in sorted(self.subjects):
            live = self.has_subject(subject)
            if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                names.append(subject)
        return names

    def compatibility(self, subject: str | None, default: CompatibilityLevel) -> CompatibilityLevel:
        """The level in force for the subject: its own, else the global one, else default."""
        return self.configs.get(subject) or self.configs.get(None) or default

    def mode(self, subject: str | None) -> Mode:
        """The mode in force for the subject: its own, else the global one, else READWRITE."""
        return self.modes.get(subject) or self.modes.get(None) or Mode.READWRITE


def _set_or_forget(table: dict[str | None, V], subject: str | None, value: V | None) -> None:
    if value is None:
        table.pop(subject, None)
    else:
        table[subject] = value


def fold(records: Iterable[Record], state: RegistryState | None = None) -> RegistryState:
    """The state after ``records``, in order, starting from ``state`` (or empty)."""
    result = state if state is not None else RegistryState()
    for record in records:
        result.apply(record)
    return result
