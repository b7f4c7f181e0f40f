"""The private parts of faust and aiokafka the worker relies on are where it expects them.

Everything the worker uses that faust or aiokafka do not document is in
``consumers/faust_adapter.py``. This test fails loudly, naming the attribute, when an
upgrade moves one of them: fix the adapter, not the worker.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.stores.memory import Store as MemoryStore
from faust.transport.consumer import Consumer as FaustConsumer

from lienthong.consumers import faust_adapter
from lienthong.consumers.batch import record_size
from lienthong.consumers.faust_adapter import BatchingConsumer, raw_table, use_batching_transport


def _has(owner: Any, name: str) -> None:
    assert hasattr(owner, name), f"{owner!r} no longer has {name!r}: update faust_adapter.py"


def test_faust_keeps_its_current_event_in_the_context_variable_the_adapter_sets() -> None:
    import faust.streams  # noqa: PLC0415

    variable = faust.streams._current_event
    assert isinstance(variable, contextvars.ContextVar)
    assert faust_adapter._current_event is variable  # type: ignore[attr-defined]


def test_the_consumer_still_has_what_batching_needs(tmp_path: Path) -> None:
    async def check() -> None:
        app = faust.App("adapter-test", broker="kafka://127.0.0.1:1", store="memory://",
                        datadir=str(tmp_path), autodiscover=False,
                        loop=asyncio.get_running_loop())  # fmt: skip
        use_batching_transport(app)
        consumer: Any = app.consumer
        assert isinstance(consumer, BatchingConsumer)
        for name in ("_read_offset", "flow_active", "track_message", "ack", "_add_gap"):
            _has(consumer, name)
        assert inspect.isasyncgenfunction(FaustConsumer.getmany)
        assert inspect.iscoroutinefunction(FaustConsumer._add_gap)
        _has(app, "consumer_generation_id")
        table = raw_table(app, "adapter-test-table", 3)
        assert table.key_serializer == table.value_serializer == "raw"
        assert table.changelog_topic.get_topic_name() == "adapter-test-adapter-test-table-changelog"
        consumer._thread.thread_loop.close()  # the consumer thread's loop, never started

    asyncio.run(check())


def test_the_stores_keep_their_partition_databases_and_persisted_offsets() -> None:
    _has(MemoryStore, "set_persisted_offset")
    from faust.stores.rocksdb import Store as RocksDBStore  # noqa: PLC0415

    _has(RocksDBStore, "_db_for_partition")
    _has(RocksDBStore, "set_persisted_offset")
    _has(faust.Table, "_new_changelog_topic")


def test_the_producer_still_tells_its_request_limit_and_builds_batches() -> None:
    # Read on an instance the test does not make (a producer leaves a socket behind).
    assert "self._max_request_size = max_request_size" in inspect.getsource(
        AIOKafkaProducer.__init__
    )
    _has(AIOKafkaProducer, "create_batch")
    _has(AIOKafkaProducer, "send_batch")
    assert record_size(b"k", b"v" * 100, [("h", b"x")]) > 100


def test_faust_s_web_driver_still_keeps_its_runner_where_json_errors_replaces_it() -> None:
    from faust.web.drivers.aiohttp import Web  # noqa: PLC0415

    assert "self._runner" in inspect.getsource(Web), "update faust_adapter.json_errors"
