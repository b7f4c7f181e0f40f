"""Errors of the contract layer. Each message says which check failed and where.

    ContractError
    ├── CodecError                 bytes that cannot become an event, or the reverse
    │   ├── BadMagicByte           first byte is not the Confluent wire-format magic 0
    │   ├── TruncatedPayload       fewer bytes than the header or the schema needs
    │   ├── CorruptPayload         bytes that do not decode under the writer's schema
    │   ├── UnknownSchemaId        the registry has no schema with the id in the header
    │   └── SchemaMismatch         a value that does not fit the schema, or a reader
    │                              schema that cannot resolve the writer's
    └── RegistryError              talking to the schema registry failed
        ├── RegistryUnavailable    no answer (network, timeout)
        └── RegistryRequestError   the registry answered with an error code

Every :class:`CodecError` has a stable ``reason`` code, used as the dead-letter reason.
"""

from __future__ import annotations


class ContractError(Exception):
    """Base class of every error raised by :mod:`lienthong.schemas`."""


class CodecError(ContractError):
    """Bytes could not be decoded into an event, or an event into bytes."""

    reason = "codec_error"

    def __init__(self, message: str, *, schema_id: int | None = None) -> None:
        super().__init__(message)
        self.schema_id = schema_id


class BadMagicByte(CodecError):
    """The first byte is not 0, so this is not Confluent wire format."""

    reason = "bad_magic_byte"


class TruncatedPayload(CodecError):
    """The data ended before the header or the record was complete."""

    reason = "truncated_payload"


class CorruptPayload(CodecError):
    """The bytes are not a valid record of the writer's schema."""

    reason = "corrupt_payload"


class UnknownSchemaId(CodecError):
    """The schema id in the header is not known to the registry."""

    reason = "unknown_schema_id"


class SchemaMismatch(CodecError):
    """A value does not fit its schema, or reader and writer schemas do not resolve."""

    reason = "schema_mismatch"


class RegistryError(ContractError):
    """The schema registry could not serve a request."""


class RegistryUnavailable(RegistryError):
    """The schema registry did not answer."""


class RegistryRequestError(RegistryError):
    """The schema registry answered with an error (Confluent error body)."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(f"registry error {error_code} (HTTP {status}): {message}")
        self.status = status
        self.error_code = error_code
        self.registry_message = message
