"""aiokafka's lz4 at the fast level, as Kafka's producers and kafka-python compress.

aiokafka ≥ 0.11 compresses lz4 batches at level 9, lz4's high-compression mode: ~10x
the CPU of level 1 for a 1-3 % smaller batch (aio-libs/aiokafka#1028, open; the fix,
#1121, is not released). On the worker that was ~8 % of its CPU per event
(``bench/bench_views.py``, profiled). aiokafka offers no setting, so
:func:`use_fast_lz4` replaces the function its batch builders call. Any lz4 reader
reads either level; only the compressing side changes.
"""

from __future__ import annotations

from typing import Any

import cramjam
from aiokafka.record import default_records

try:
    from aiokafka.record._crecords import default_records as c_default_records
except ImportError:  # no C extensions (AIOKAFKA_NO_EXTENSIONS or an odd platform)
    c_default_records = None

FAST_LEVEL = 1


def fast_lz4(payload: Any, level: int = FAST_LEVEL) -> bytes:
    # The same frame aiokafka writes (no linked blocks, no checksum: KIP-57), faster.
    compressor = cramjam.lz4.Compressor(
        level=FAST_LEVEL, content_checksum=False, block_linked=False
    )
    compressor.compress(payload)
    return bytes(compressor.finish())


def use_fast_lz4() -> None:
    """Make aiokafka's batch builders (C and Python) compress lz4 at level 1.

    Idempotent and process-wide; call before producing. Leaves aiokafka untouched if a
    future release no longer has the function (the fix is then upstream).
    """
    for module in (default_records, c_default_records):
        if module is not None and hasattr(module, "lz4_encode"):
            module.lz4_encode = fast_lz4
