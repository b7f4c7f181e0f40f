"""A tallied histogram reads exactly as one observed value by value."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Histogram

from lienthong.monitoring.metrics import LATENCY_BUCKETS
from lienthong.monitoring.tally import HistogramTally


def _samples(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    return {
        (s.name, s.labels.get("le", "")): s.value
        for metric in registry.collect()
        for s in metric.samples
        if not s.name.endswith("_created")
    }


def test_flushed_tallies_equal_observing_one_by_one() -> None:
    rng = random.Random(7)
    amounts = [rng.choice([0.0, *LATENCY_BUCKETS[:-1]]) for _ in range(300)]  # on the bounds
    amounts += [rng.uniform(0, 20) for _ in range(700)]
    one_by_one, tallied = CollectorRegistry(), CollectorRegistry()
    direct = Histogram("h", "h", ("stage",), buckets=LATENCY_BUCKETS, registry=one_by_one)
    batched = Histogram("h", "h", ("stage",), buckets=LATENCY_BUCKETS, registry=tallied)
    tally = HistogramTally(batched.labels("validate"))
    for n, amount in enumerate(amounts):
        direct.labels("validate").observe(amount)
        tally.observe(amount)
        if n % 97 == 0:
            tally.flush()
    tally.flush()
    tally.flush()  # nothing pending: adds nothing
    expected, got = _samples(one_by_one), _samples(tallied)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == value or abs(got[name] - value) < 1e-9, name
