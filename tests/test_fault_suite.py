"""A short fault suite (issue 14): SIGKILLs and a broker outage while publishing, then the oracle.

The long runs (10³ dossiers, ~10 s and ~40 s outages, repeated) are
``python -m bench.fault_suite``; here one run per SDK transport, each with the other
store, small enough for CI: 150 dossiers, the SDK's delivery timeout shrunk to 3 s and
the broker away past it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REFUSED_CONNECTIONS
from tests.fault_oracle import Plan, Transport, run


@pytest.mark.kafka
@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
@pytest.mark.parametrize(
    ("transport", "store"), [("kafka-python", "rocksdb"), ("librdkafka", "memory")]
)
def test_faults_while_publishing_lose_nothing_and_the_views_end_exact(
    tmp_path: Path, transport: Transport, store: str
) -> None:
    plan = Plan(
        transport=transport,
        store=store,
        outage_s=8.0,
        dossiers=150,
        publish_s=24.0,
        delivery_timeout_s=3.0,
        settle_s=150.0,
    )
    outcome = run(plan, tmp_path)
    print(outcome.line())
    assert outcome.ok, outcome.line()
