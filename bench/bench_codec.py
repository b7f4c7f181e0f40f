"""Encode and decode rates of the codec beside bare fastavro, and registry look-ups.

Run: .venv/bin/python bench/bench_codec.py
Target (issue 3): framing and caching cost at most 10 % over bare fastavro.
The registry part starts a real broker and registry unless --no-registry is given.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from pathlib import Path

from fastavro import schemaless_reader, schemaless_writer

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install

from bench._common import free_port, interpreter, local_kafka, rate, rates
from lienthong.demo.simulation import dossier_events
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import (
    AvroDeserializer,
    AvroSerializer,
    SerializationContext,
)
from lienthong.schemas.registry_client import InMemoryRegistry

N = 20_000


def codec_rates() -> None:
    dossier = event_type("dossier.lifecycle")
    record = next(iter(dossier_events(random.Random(0), 1))).to_avro()  # a realistic dossier
    parsed = dossier.parsed_schema
    registry = InMemoryRegistry()
    ctx = SerializationContext("lienthong.events.dossier.lifecycle")
    serialize = AvroSerializer(registry, dossier.schema_str)
    deserialize = AvroDeserializer(registry)
    framed = serialize(record, ctx)
    body = framed[5:]

    def bare_encode() -> bytes:
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, record)
        return buffer.getvalue()

    def bare_decode() -> object:
        return schemaless_reader(io.BytesIO(body), parsed, None)

    measured = rates(
        {
            "bare encode": bare_encode,
            "encode": lambda: serialize(record, ctx),
            "bare decode": bare_decode,
            "decode": lambda: deserialize.decode(framed),
        },
        N,
    )
    rows = [(op, measured[f"bare {op}"], measured[op]) for op in ("encode", "decode")]
    print(f"dossier.lifecycle record: {len(framed)} bytes framed, one core, best of 5 x {N}")
    print(f"{'':8}{'bare fastavro/s':>18}{'lienthong/s':>14}{'overhead':>10}")
    for name, bare, ours in rows:
        print(f"{name:8}{bare:>18,.0f}{ours:>14,.0f}{(bare / ours - 1) * 100:>9.1f}%")


def registry_rates() -> None:
    import tempfile  # noqa: PLC0415

    from lienthong.registry import start_in_thread  # noqa: PLC0415
    from lienthong.schemas.registry_client import RegistryClient  # noqa: PLC0415

    dossier = event_type("dossier.lifecycle")
    with (
        tempfile.TemporaryDirectory() as home,
        local_kafka(Path(home)) as kafka,
        start_in_thread(kafka, topic="_bench_schemas", port=free_port()) as url,
    ):
        schema_id = RegistryClient(url).register("bench-value", dossier.schema_str)
        http = RegistryClient(url)
        uncached = rate(lambda: http._request("GET", f"/schemas/ids/{schema_id}"), 300, 3)
        cached = rate(lambda: http.get_schema(schema_id), 200_000, 3)
        print(
            f"registry look-ups/s: HTTP round trip {uncached:,.0f}; "
            f"with the client cache {cached:,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-registry", action="store_true", help="skip the registry part")
    args = parser.parse_args()
    print(f"interpreter: {interpreter()}")
    codec_rates()
    if not args.no_registry:
        registry_rates()


if __name__ == "__main__":
    main()
