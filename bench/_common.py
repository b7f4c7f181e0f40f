"""Shared helpers of the benchmark scripts: timing, the interpreter line, a local broker."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from lienthong.broker import LocalBroker
from lienthong.settings import KafkaSettings, LocalBrokerSettings


def interpreter() -> str:
    """Which Python ran (Debian's /usr/bin/python3.11 runs our code 1.4–1.8x faster)."""
    real = os.path.realpath(sys.executable)
    return f"{sys.executable} -> {real} (Python {platform.python_version()})"


def rates(works: dict[str, Callable[[], object]], n: int, repeat: int = 5) -> dict[str, float]:
    """Best-of-``repeat`` calls per second of each work, measured interleaved.

    Interleaving rounds keeps a slow moment of the machine from favouring one side.
    """
    for work in works.values():  # warm caches and lazily compiled paths
        for _ in range(min(n, 1000)):
            work()
    best = dict.fromkeys(works, float("inf"))
    for _ in range(repeat):
        for name, work in works.items():
            began = time.perf_counter()
            for _ in range(n):
                work()
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: n / seconds for name, seconds in best.items()}


def rate(work: Callable[[], object], n: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` calls per second of ``work`` run ``n`` times in a row."""
    return rates({"work": work}, n, repeat)["work"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_kafka(home: Path) -> Iterator[KafkaSettings]:
    """A throwaway broker on free ports under ``home``, stopped even when the run fails."""
    broker = LocalBroker(
        LocalBrokerSettings(home=home / "kafka", port=free_port(), controller_port=free_port())
    )
    broker.start()
    try:
        yield KafkaSettings(bootstrap_servers=broker.bootstrap)
    finally:
        broker.stop()
