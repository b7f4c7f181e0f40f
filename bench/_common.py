"""Shared helpers of the benchmark scripts: timing and the interpreter line."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable


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
