"""What the registry does, in Confluent's terms, on top of the Kafka-backed state.

Each write follows one protocol, which is correct with any number of instances and no
leader: catch up with the topic, decide on the state, propose records, wait until this
instance has folded them, and read the log's verdict. A lost race (another instance
claimed the same id or version first) is retried from a fresh decision, so a
registration that lost to the same schema adopts its id and version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from lienthong.registry._compat import CompatibilityLevel, check
from lienthong.registry._errors import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    NotFound,
    OperationNotPermitted,
    SchemaNotFound,
    StoreError,
    SubjectCompatibilityNotSet,
    SubjectModeNotSet,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from lienthong.registry._kafka_store import KafkaStore
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
from lienthong.registry._schema import AvroSchema, parse_schema
from lienthong.registry._state import RegistryState, VersionEntry

T = TypeVar("T")
# Each retry follows a record that won instead of ours, so contention always progresses;
# the bound only stops a runaway loop from hanging a request.
_MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class Registered:
    """A schema as registered under one subject."""

    subject: str
    version: int
    id: int
    schema: str


@dataclass(frozen=True)
class _Plan:
    """A registration decided on one state: the records to propose, or the answer."""

    schema_id: int | None  # known id, or None while the schema still needs one
    version: int
    earlier: list[tuple[int, str]]
    level: CompatibilityLevel
    check_compatibility: bool
    done: int | None = None  # already registered under the subject: its id


class RegistryService:
    """Subjects, versions, ids, compatibility, config and mode over a :class:`KafkaStore`."""

    def __init__(self, store: KafkaStore, default_compatibility: CompatibilityLevel) -> None:
        self.store = store
        self.default_compatibility = default_compatibility

    def read(self, question: Callable[[RegistryState], T]) -> T:
        """Answer from the state; on a miss, catch up with the topic once and ask again.

        A client that registered through another instance may ask this one before it
        has folded the record; the catch-up makes such reads see it.
        """
        try:
            return self.store.read(question)
        except NotFound:
            self.store.sync()
            return self.store.read(question)

    # ------------------------------------------------------------ registration

    def register(
        self,
        subject: str,
        schema: AvroSchema,
        *,
        schema_id: int | None = None,
        version: int | None = None,
    ) -> int:
        """Register ``schema`` under ``subject`` (idempotent) and return its global id.

        ``schema_id`` and ``version`` are for IMPORT mode, which copies another registry.
        """
        self.store.sync()
        for _ in range(_MAX_ATTEMPTS):
            plan = self.store.read(lambda st: self._plan(st, subject, schema, schema_id, version))
            if plan.done is not None:
                return plan.done
            if plan.check_compatibility:
                earlier = [(v, parse_schema(text)) for v, text in plan.earlier]
                reasons = check(plan.level, schema, earlier)
                if reasons:
                    raise IncompatibleSchema(subject, reasons)
            owned = (
                plan.schema_id if plan.schema_id is not None else self._claim_id(schema, schema_id)
            )
            if owned is None:
                continue  # another schema took the id we proposed: decide again
            claim = uuid.uuid4().hex
            self.store.write(
                [Record(VersionKey(subject, plan.version, claim), VersionValue(owned))]
            )
            if self.store.read(partial(_won, subject=subject, version=plan.version, claim=claim)):
                return owned
        raise StoreError(f"gave up registering under {subject!r}: {_MAX_ATTEMPTS} lost races")

    def _plan(
        self,
        st: RegistryState,
        subject: str,
        schema: AvroSchema,
        schema_id: int | None,
        version: int | None,
    ) -> _Plan:
        mode = st.mode(subject)
        if mode is Mode.READONLY:
            raise OperationNotPermitted(f"Subject {subject} is in read-only mode")
        if schema_id is not None and mode is not Mode.IMPORT:
            raise OperationNotPermitted(f"Subject {subject} is not in import mode")
        if schema_id is None and mode is not Mode.READWRITE:
            raise OperationNotPermitted(f"Subject {subject} is not in read-write mode")
        known = st.ids_by_fingerprint.get(schema.fingerprint)
        existing = st.find(subject, schema.fingerprint)
        if existing is not None and schema_id in (None, existing.id):
            return _Plan(known, existing.version, [], CompatibilityLevel.NONE, False, existing.id)
        if schema_id is not None:
            if known is not None and known != schema_id:
                raise OperationNotPermitted(
                    f"Schema is already registered with id {known}, not {schema_id}"
                )
            other = st.schemas.get(schema_id)
            if other is not None and other.fingerprint != schema.fingerprint:
                raise OperationNotPermitted(
                    f"Overwrite new schema with id {schema_id} is not permitted."
                )
        next_version = st.next_version(subject)
        if version is not None and version < next_version:
            raise OperationNotPermitted(
                f"Version {version} is not above the latest version {next_version - 1} "
                f"of subject {subject}"
            )
        return _Plan(
            schema_id=known,
            version=version or next_version,
            earlier=[(e.version, st.schemas[e.id].text) for e in st.versions(subject)],
            level=st.compatibility(subject, self.default_compatibility),
            check_compatibility=mode is Mode.READWRITE,
        )

    def _claim_id(self, schema: AvroSchema, wanted: int | None) -> int | None:
        """Propose an id for a new schema; the id the log gave it, or None if we lost it."""
        proposed = wanted if wanted is not None else self.store.read(RegistryState.next_id)
        value = IdValue(schema.text, schema.fingerprint)
        self.store.write([Record(IdKey(proposed, uuid.uuid4().hex), value)])
        owned = self.store.read(lambda st: st.ids_by_fingerprint.get(schema.fingerprint))
        if wanted is not None and owned != wanted:
            raise OperationNotPermitted(f"Overwrite new schema with id {wanted} is not permitted.")
        return owned

    def lookup(self, subject: str, schema: AvroSchema, *, deleted: bool = False) -> Registered:
        """The version of ``subject`` that holds ``schema`` (POST /subjects/{subject})."""

        def question(st: RegistryState) -> Registered:
            entry = st.find(subject, schema.fingerprint, deleted=deleted)
            if entry is None:
                if not st.has_subject(subject, deleted=deleted):
                    raise SubjectNotFound(subject)
                raise SchemaNotFound
            return _registered(st, entry)

        return self.read(question)

    def get_version(
        self, subject: str, version: int | None, *, deleted: bool = False
    ) -> Registered:
        """Version ``version`` of the subject (None: the latest live one)."""
        return self.read(lambda st: _registered(st, st.version(subject, version, deleted=deleted)))

    # --------------------------------------------------------------- deletion

    def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """Soft-delete every live version, or permanently remove a soft-deleted subject."""
        self.store.sync()

        def plan(st: RegistryState) -> tuple[list[int], list[Record]]:
            _writable(st, subject)
            if not st.has_subject(subject, deleted=True):
                raise SubjectNotFound(subject)
            if not permanent:
                if not st.has_subject(subject):
                    raise SubjectSoftDeleted(subject)
                live = st.versions(subject)
                marks = [
                    Record(DeletedKey(subject, e.version, e.claim), DeletedValue()) for e in live
                ]
                return [e.version for e in live], marks
            entries = st.versions(subject, deleted=True)
            if any(not e.deleted for e in entries):
                raise SubjectNotSoftDeleted(subject)
            return [e.version for e in entries], _tombstones(st, subject, entries, last=True)

        versions, records = self.store.read(plan)
        self.store.write(records)
        return versions

    def delete_version(self, subject: str, version: int | None, *, permanent: bool) -> int:
        """Soft-delete one version, or permanently remove a soft-deleted one."""
        self.store.sync()

        def plan(st: RegistryState) -> tuple[int, list[Record]]:
            _writable(st, subject)
            entry = st.subjects.get(subject, {}).get(version) if version is not None else None
            if entry is not None and entry.deleted and not permanent:
                raise VersionSoftDeleted(subject, entry.version)
            entry = st.version(subject, version, deleted=True)
            if not permanent:
                return entry.version, [
                    Record(DeletedKey(subject, entry.version, entry.claim), DeletedValue())
                ]
            if not entry.deleted:
                raise VersionNotSoftDeleted(subject, entry.version)
            last = len(st.versions(subject, deleted=True)) == 1
            return entry.version, _tombstones(st, subject, [entry], last=last)

        deleted, records = self.store.read(plan)
        self.store.write(records)
        return deleted

    # ----------------------------------------------------------- compatibility

    def check_compatibility(
        self, subject: str, schema: AvroSchema, version: int | None, *, every: bool = False
    ) -> list[str]:
        """Why ``schema`` may not follow the version (or, with ``every``, the subject's
        versions) under the subject's level; [] when it may."""

        def question(st: RegistryState) -> tuple[CompatibilityLevel, list[tuple[int, str]]]:
            level = st.compatibility(subject, self.default_compatibility)
            if every:
                entries = st.versions(subject)
            elif version is None:
                entries = st.versions(subject)[-1:]
            else:
                entry = st.subjects.get(subject, {}).get(version)
                if entry is None or entry.deleted:
                    raise VersionNotFound(version)
                entries = [entry]
            return level, [(e.version, st.schemas[e.id].text) for e in entries]

        level, earlier = self.read(question)
        return check(level, schema, [(v, parse_schema(text)) for v, text in earlier])

    # ------------------------------------------------------------ config, mode

    def get_config(self, subject: str | None, *, default_to_global: bool = False) -> str:
        """The compatibility level of the subject (or the global one)."""

        def question(st: RegistryState) -> str:
            if subject is not None and not default_to_global:
                if subject not in st.configs:
                    raise SubjectCompatibilityNotSet(subject)
                return st.configs[subject].value
            return st.compatibility(subject, self.default_compatibility).value

        return self.read(question)

    def set_config(self, subject: str | None, level: object) -> str:
        """Set the compatibility level of the subject (or the global one)."""
        try:
            parsed = CompatibilityLevel(str(level).upper())
        except ValueError as exc:
            raise InvalidCompatibilityLevel from exc
        self.store.sync()
        self.store.read(lambda st: _writable(st, subject))
        self.store.write([Record(ConfigKey(subject), ConfigValue(parsed))])
        return parsed.value

    def delete_config(self, subject: str | None) -> str:
        """Forget the subject's (or the global) level; return the level it had."""
        self.store.sync()

        def question(st: RegistryState) -> str:
            _writable(st, subject)
            if subject is not None and subject not in st.configs:
                raise SubjectNotFound(subject)
            return st.compatibility(subject, self.default_compatibility).value

        previous = self.store.read(question)
        self.store.write([Record(ConfigKey(subject), None)])
        return previous

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> str:
        """The mode of the subject (or the global one)."""

        def question(st: RegistryState) -> str:
            if subject is not None and not default_to_global and subject not in st.modes:
                raise SubjectModeNotSet(subject)
            return st.mode(subject).value

        return self.read(question)

    def set_mode(self, subject: str | None, mode: object, *, force: bool = False) -> str:
        """Set the mode; IMPORT needs an empty scope unless ``force``, as in Confluent."""
        try:
            parsed = Mode(str(mode).upper())
        except ValueError as exc:
            raise InvalidMode from exc
        self.store.sync()

        def question(st: RegistryState) -> None:
            if parsed is not Mode.IMPORT or force or st.mode(subject) is Mode.IMPORT:
                return
            in_use = st.has_subject(subject) if subject is not None else st.subject_names()
            if in_use:
                raise OperationNotPermitted("Cannot import since found existing subjects")

        self.store.read(question)
        self.store.write([Record(ModeKey(subject), ModeValue(parsed))])
        return parsed.value

    def delete_mode(self, subject: str) -> str:
        """Forget the subject's own mode; return the mode it had."""
        self.store.sync()
        previous = self.store.read(lambda st: st.modes.get(subject))
        if previous is None:
            raise SubjectNotFound(subject)
        self.store.write([Record(ModeKey(subject), None)])
        return previous.value


def _registered(st: RegistryState, entry: VersionEntry) -> Registered:
    return Registered(entry.subject, entry.version, entry.id, st.schemas[entry.id].text)


def _won(st: RegistryState, subject: str, version: int, claim: str) -> bool:
    entry = st.subjects.get(subject, {}).get(version)
    return entry is not None and entry.claim == claim


def _writable(st: RegistryState, subject: str | None) -> None:
    if st.mode(subject) is Mode.READONLY:
        raise OperationNotPermitted(f"Subject {subject or '(global)'} is in read-only mode")


def _tombstones(
    st: RegistryState, subject: str, entries: list[VersionEntry], *, last: bool
) -> list[Record]:
    """Records that permanently delete ``entries``; losers first, winners last.

    Every losing claim of the subject goes with them: once compaction drops a winner,
    a forgotten loser could win a fresh fold. Winners last, so a write cut short leaves
    the versions in place and the delete can simply be repeated.
    """
    records = [Record(key, None) for key in sorted(st.losers.get(subject, ()), key=str)]
    records += [Record(DeletedKey(subject, e.version, e.claim), None) for e in entries]
    records += [Record(VersionKey(subject, e.version, e.claim), None) for e in entries]
    if last:  # the subject is gone: so are its own config and mode (Confluent does this)
        if subject in st.configs:
            records.append(Record(ConfigKey(subject), None))
        if subject in st.modes:
            records.append(Record(ModeKey(subject), None))
    return records
