"""Compatibility levels and the check a new schema must pass against earlier versions.

The rules are Avro's schema resolution, decided by Apache Avro's own
``ReaderWriterCompatibilityChecker`` (a port of Java's ``SchemaCompatibility``, which
Confluent's registry uses), not by code of ours:

* BACKWARD: the new schema can read data written with the earlier one (consumers
  upgrade first);
* FORWARD: the earlier schema can read data written with the new one (producers
  upgrade first);
* FULL: both;
* the ``*_TRANSITIVE`` levels check every earlier live version, the others only the
  latest; NONE checks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from avro.compatibility import (
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityResult,
    SchemaCompatibilityType,
    SchemaIncompatibilityType,
)

from lienthong.registry._schema import AvroSchema


class CompatibilityLevel(StrEnum):
    """The seven levels of the Confluent API, by their wire names."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        """Whether every earlier version is checked, not only the latest."""
        return self.name.endswith("_TRANSITIVE")

    @property
    def new_reads_old(self) -> bool:
        return self.name.startswith(("BACKWARD", "FULL"))

    @property
    def old_reads_new(self) -> bool:
        return self.name.startswith(("FORWARD", "FULL"))


_DESCRIBE = {
    SchemaIncompatibilityType.reader_field_missing_default_value: (
        "The field '{info}' at path '{path}' in the {reader} schema has no default value "
        "and is missing in the {writer} schema"
    ),
    SchemaIncompatibilityType.type_mismatch: (
        "The type (path '{path}') of a field in the {reader} schema does not match with "
        "the {writer} schema"
    ),
    SchemaIncompatibilityType.name_mismatch: "The name of the schema has changed (path '{path}')",
    SchemaIncompatibilityType.missing_enum_symbols: (
        "The {reader} schema is missing enum symbols '{info}' at path '{path}' in the "
        "{writer} schema"
    ),
    SchemaIncompatibilityType.missing_union_branch: (
        "The {reader} schema is missing a type inside a union field at path '{path}' in "
        "the {writer} schema"
    ),
    SchemaIncompatibilityType.fixed_size_mismatch: (
        "The size of FIXED type field at path '{path}' in the {reader} schema does not "
        "match with the {writer} schema"
    ),
}


def _can_read(reader: AvroSchema, writer: AvroSchema) -> SchemaCompatibilityResult:
    # A fresh checker per pair: it memoises by object identity, which is only valid
    # within one comparison. The package ships py.typed but leaves __init__ unannotated.
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    return checker.get_compatibility(reader.parsed, writer.parsed)


def _reasons(result: SchemaCompatibilityResult, reader: str, writer: str) -> list[str]:
    """Confluent-style reason strings: errorType, a description, additionalInfo."""
    # The checker keeps its messages and locations as sets, no longer paired with each
    # incompatibility once there are several; name them all rather than pair them wrongly.
    kinds = list(dict.fromkeys(result.incompatibilities))
    info = ", ".join(sorted(result.messages))
    path = ", ".join(sorted(result.locations))
    return [
        "{errorType:'%s', description:'%s', additionalInfo:'%s'}"  # noqa: UP031
        % (
            kind.name.upper(),
            _DESCRIBE[kind].format(info=info, path=path, reader=reader, writer=writer),
            info,
        )
        for kind in kinds
    ]


def check(
    level: CompatibilityLevel,
    new: AvroSchema,
    earlier: Sequence[tuple[int, AvroSchema]],
) -> list[str]:
    """Why ``new`` may not follow ``earlier`` (oldest first) under ``level``; [] if it may.

    Like Confluent, transitive levels report the first earlier version that fails.
    """
    if level is CompatibilityLevel.NONE or not earlier:
        return []
    targets = list(reversed(earlier)) if level.transitive else [earlier[-1]]
    for version, old in targets:
        reasons: list[str] = []
        if level.new_reads_old:
            result = _can_read(new, old)
            if result.compatibility is SchemaCompatibilityType.incompatible:
                reasons += _reasons(result, reader="new", writer="old")
        if level.old_reads_new:
            result = _can_read(old, new)
            if result.compatibility is SchemaCompatibilityType.incompatible:
                reasons += _reasons(result, reader="old", writer="new")
        if reasons:
            return [
                *reasons,
                f"{{oldSchemaVersion: {version}}}",
                f"{{oldSchema: '{old.text}'}}",
                f"{{compatibility: '{level.value}'}}",
            ]
    return []
