"""The last hour of the console's figures, kept by the console itself (no Prometheus needed).

Each refresh of the collector adds one point per series: throughput in and out, dead
letters per second, dead letters held per reason, lag per consumer group, and the p99
of the worker's event latency per stage (``e2e_p99:<stage>``, from its /metrics). Points
older than the window fall off, so memory stays bounded (one point per refresh).
"""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

WINDOW_S = 3600.0


class SeriesStore:
    """Time series over a sliding window; written by one thread, read by others."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._points: dict[str, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def add(self, at: float, values: Mapping[str, float]) -> None:
        """One point per series at wall-clock ``at`` (seconds); old points fall off."""
        oldest = at - self.window_s
        with self._lock:
            for name, value in values.items():
                self._points.setdefault(name, deque()).append((at, float(value)))
            for name in list(self._points):
                points = self._points[name]
                while points and points[0][0] < oldest:
                    points.popleft()
                if not points:
                    del self._points[name]

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            series = {name: [list(p) for p in points] for name, points in self._points.items()}
        return {"window_s": self.window_s, "series": series}


def snapshot_values(
    throughput: Mapping[str, float], reasons: Iterable[str], lag: Iterable[Mapping[str, Any]]
) -> dict[str, float]:
    """The series' values of one snapshot: ``in``, ``out``, ``deadletter`` (per second),
    ``reason:<reason>`` (dead letters held) and ``lag:<group>`` (records behind)."""
    values = {k: throughput.get(k, 0.0) for k in ("in", "out", "deadletter")}
    values |= {f"reason:{r}": float(n) for r, n in Counter(reasons).items()}
    per_group: Counter[str] = Counter()
    for row in lag:
        per_group[str(row["group"])] += int(row["lag"])
    values |= {f"lag:{g}": float(n) for g, n in per_group.items()}
    return values


Buckets = dict[str, dict[float, float]]
"""Per stage: a histogram's cumulative counts by upper bound (``le``), as scraped."""


def latency_buckets(exposition: str, name: str = "lienthong_event_latency_seconds") -> Buckets:
    """The cumulative buckets per ``stage`` of a Prometheus text exposition."""
    found: Buckets = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == f"{name}_bucket":
                stage = sample.labels.get("stage", "")
                found.setdefault(stage, {})[float(sample.labels["le"])] = sample.value
    return found


def p99(before: Mapping[float, float], after: Mapping[float, float]) -> float | None:
    """The 99th percentile of the observations between two scrapes, as its bucket's
    upper bound (the largest finite one for +Inf); None when nothing was observed."""
    bounds = sorted(after)
    total = after.get(math.inf, 0.0) - before.get(math.inf, 0.0)
    if total <= 0:
        return None
    finite = [b for b in bounds if b != math.inf]
    for bound in bounds:
        if after[bound] - before.get(bound, 0.0) >= 0.99 * total:
            return bound if bound != math.inf else (finite[-1] if finite else None)
    return None
