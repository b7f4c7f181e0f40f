"""The pure fold of the registry topic: id allocation, version claims, deletes, compaction."""

from __future__ import annotations

from lienthong.registry import CompatibilityLevel, Mode, RegistryState, fold
from lienthong.registry._records import (
    ConfigKey,
    ConfigValue,
    DeletedKey,
    DeletedValue,
    IdKey,
    IdValue,
    ModeKey,
    ModeValue,
    Record,
    VersionKey,
    VersionValue,
    decode,
    encode,
)


def id_claim(schema_id: int, schema: str, claim: str) -> Record:
    return Record(IdKey(schema_id, claim), IdValue(schema, fingerprint=f"fp-{schema}"))


def version_claim(subject: str, version: int, schema_id: int, claim: str) -> Record:
    return Record(VersionKey(subject, version, claim), VersionValue(schema_id))


def deleted(subject: str, version: int, claim: str) -> Record:
    return Record(DeletedKey(subject, version, claim), DeletedValue())


def tombstone(record: Record) -> Record:
    return Record(record.key, None)


def view(state: RegistryState) -> dict[str, object]:
    """What clients can observe, for comparing two folds."""
    return {
        "ids": {i: e.fingerprint for i, e in state.schemas.items()},
        "versions": {
            s: [(e.version, e.id, e.deleted) for e in state.versions(s, deleted=True)]
            for s in state.subjects
        },
        "configs": dict(state.configs),
        "modes": dict(state.modes),
    }


def test_the_first_claim_of_an_id_wins_and_later_ones_are_ignored() -> None:
    state = fold([id_claim(1, "A", "a"), id_claim(1, "B", "b")])
    assert state.schemas[1].fingerprint == "fp-A"
    assert "fp-B" not in state.ids_by_fingerprint  # B's proposer sees it lost, retries
    assert state.next_id() == 2
    state.apply(id_claim(2, "B", "b2"))
    assert state.ids_by_fingerprint["fp-B"] == 2


def test_a_second_claim_for_a_known_schema_keeps_the_first_id() -> None:
    state = fold([id_claim(1, "A", "a"), id_claim(2, "A", "a2"), id_claim(2, "B", "b")])
    assert state.ids_by_fingerprint == {"fp-A": 1, "fp-B": 2}  # id 2 was never A's


def test_ids_are_never_freed() -> None:
    a1 = version_claim("s", 1, 1, "v")
    state = fold([id_claim(1, "A", "a"), a1, deleted("s", 1, "v"), tombstone(a1)])
    assert not state.subjects
    assert state.next_id() == 2
    state.apply(id_claim(1, "B", "b"))  # a stale proposer's claim of id 1
    assert "fp-B" not in state.ids_by_fingerprint


def test_version_claims_first_wins_and_losers_are_remembered() -> None:
    log = [
        id_claim(1, "A", "a"),
        id_claim(2, "B", "b"),
        version_claim("s", 1, 1, "x"),
        version_claim("s", 1, 2, "y"),  # same slot: loses
        version_claim("s", 2, 1, "z"),  # schema already live in s: loses
        version_claim("s", 2, 9, "w"),  # unknown id: loses
    ]
    state = fold(log)
    assert [(e.version, e.id) for e in state.versions("s")] == [(1, 1)]
    assert {k.claim for k in state.losers["s"]} == {"y", "z", "w"}
    state.apply(version_claim("s", 1, 1, "x"))  # a retried duplicate changes nothing
    assert state.subjects["s"][1].claim == "x"


def test_a_version_must_be_above_every_version_the_subject_has() -> None:
    state = fold(
        [
            id_claim(1, "A", "a"),
            id_claim(2, "B", "b"),
            version_claim("s", 2, 1, "two"),
            version_claim("s", 1, 2, "one"),
        ]
    )
    assert [e.version for e in state.versions("s")] == [2]
    assert state.next_version("s") == 3


def test_soft_delete_marks_only_the_winning_claim() -> None:
    state = fold(
        [
            id_claim(1, "A", "a"),
            version_claim("s", 1, 1, "win"),
            deleted("s", 1, "someone-else"),
        ]
    )
    assert not state.subjects["s"][1].deleted
    state.apply(deleted("s", 1, "win"))
    assert state.versions("s") == []
    assert state.has_subject("s", deleted=True)
    state.apply(version_claim("s", 2, 1, "again"))  # re-registering after a soft delete
    assert [(e.version, e.deleted) for e in state.versions("s", deleted=True)] == [
        (1, True),
        (2, False),
    ]


def test_config_and_mode_are_last_writer_wins() -> None:
    state = fold(
        [
            Record(ConfigKey(None), ConfigValue(CompatibilityLevel.FULL)),
            Record(ConfigKey("s"), ConfigValue(CompatibilityLevel.NONE)),
            Record(ConfigKey("s"), ConfigValue(CompatibilityLevel.FORWARD)),
            Record(ModeKey(None), ModeValue(Mode.READONLY)),
        ]
    )
    default = CompatibilityLevel.BACKWARD
    assert state.compatibility("s", default) is CompatibilityLevel.FORWARD
    assert state.compatibility("t", default) is CompatibilityLevel.FULL
    assert state.mode("s") is Mode.READONLY
    state.apply(Record(ConfigKey(None), None)).apply(Record(ModeKey(None), None))
    assert state.compatibility("t", default) is default
    assert state.mode("s") is Mode.READWRITE


def compact(log: list[Record], *, drop_tombstones: bool) -> list[Record]:
    """What Kafka's log cleaner leaves: the last record of each key, in log order."""
    last = {encode(record)[0]: i for i, record in enumerate(log)}
    kept = [r for i, r in enumerate(log) if last[encode(r)[0]] == i]
    return [r for r in kept if r.value is not None or not drop_tombstones]


def test_a_compacted_log_folds_to_the_same_state() -> None:
    a1, b1 = version_claim("s", 1, 1, "a1"), version_claim("s", 1, 2, "b1-loses")
    a2 = version_claim("s", 2, 2, "a2")
    stale = version_claim("s", 1, 3, "stale-loses")
    log = [
        id_claim(1, "A", "ia"),
        id_claim(1, "B", "ib-loses"),
        id_claim(2, "B", "ib"),
        id_claim(3, "C", "ic"),
        a1,
        b1,
        a2,
        stale,
        deleted("s", 1, "a1"),
        deleted("s", 2, "a2"),
        deleted("s", 2, "a2"),  # two instances soft-deleted at once
        Record(ConfigKey("s"), ConfigValue(CompatibilityLevel.NONE)),
        # the permanent delete of version 1, as the service writes it: losers first
        tombstone(b1),
        tombstone(stale),
        Record(DeletedKey("s", 1, "a1"), None),
        tombstone(a1),
        # after which the slot may be claimed afresh
        version_claim("s", 3, 3, "a3"),
    ]
    full = fold(log)
    assert [(e.version, e.id) for e in full.versions("s", deleted=True)] == [(2, 2), (3, 3)]
    for drop in (False, True):
        assert view(fold(compact(log, drop_tombstones=drop))) == view(full)


def test_records_round_trip_through_bytes_and_keys_are_stable() -> None:
    records = [
        id_claim(7, "A", "c"),
        version_claim("dossier-value", 3, 7, "c"),
        deleted("dossier-value", 3, "c"),
        tombstone(version_claim("dossier-value", 3, 7, "c")),
        Record(ConfigKey(None), ConfigValue(CompatibilityLevel.FULL_TRANSITIVE)),
        Record(ModeKey("s"), ModeValue(Mode.IMPORT)),
    ]
    for record in records:
        assert decode(*encode(record)) == record
    assert encode(records[1])[0] == encode(tombstone(records[1]))[0]


def test_records_it_does_not_understand_are_skipped() -> None:
    assert decode(b'{"kind":"FUTURE","x":1}', b"{}") is None
    assert decode(b"not json", b"{}") is None
    assert decode(b'{"kind":"ID","id":"seven","claim":"c"}', b"{}") is None
    assert decode(None, b"{}") is None


def test_without_the_loser_tombstones_compaction_would_rewrite_history() -> None:
    # Why a permanent delete also tombstones the subject's losing claims: once the
    # winner's record is compacted away, a forgotten loser would win a fresh fold.
    a1, b1 = version_claim("s", 1, 1, "a1"), version_claim("s", 1, 2, "b1-loses")
    log = [
        id_claim(1, "A", "ia"),
        id_claim(2, "B", "ib"),
        a1,
        b1,
        version_claim("s", 2, 2, "a2"),
        deleted("s", 1, "a1"),
        Record(DeletedKey("s", 1, "a1"), None),
        tombstone(a1),
    ]
    assert view(fold(compact(log, drop_tombstones=True))) != view(fold(log))
