"""The Confluent wire format's header: magic byte 0, then a 4-byte big-endian schema id.

The one home of the framing: the codec, the SDK's encoder and the gateway's fingerprint
all use it.
"""

from __future__ import annotations

import struct

from lienthong.schemas.errors import BadMagicByte, TruncatedPayload

MAGIC_BYTE = 0
HEADER_SIZE = 5
_HEADER = struct.Struct(">bI")


def header(schema_id: int) -> bytes:
    """The five bytes that precede an Avro body written with ``schema_id``."""
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def read_header(data: bytes | memoryview) -> int:
    """Return the schema id of framed ``data``; the body starts at :data:`HEADER_SIZE`."""
    if len(data) < HEADER_SIZE:
        raise TruncatedPayload(
            f"{len(data)} bytes is shorter than the 5-byte wire-format header "
            "(magic byte 0 + 4-byte schema id)"
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise BadMagicByte(
            f"first byte is {magic & 0xFF:#04x}, expected 0x00: not Confluent wire format "
            "(was it produced without a schema-registry serializer?)"
        )
    return int(schema_id)
