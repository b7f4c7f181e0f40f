"""The fault suite, short (issue 14; the cluster run is issue 17's): ``bench/fault_suite.py`` once.

The script SIGKILLs the worker twice and takes Kafka away once while publishing through
the SDK, then checks the views and the canonical topic against its oracle. Its long runs
(10³ dossiers, ~10 s and ~40 s outages, repeated) are for the command line; here one
small run per SDK transport, each with the other store, the SDK's delivery timeout shrunk
to 3 s and Kafka away past it; and one on a local 3-node cluster with a node killed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def fault_suite(tmp_path: Path, *options: str) -> str:
    """Run the script once; its output (the last line says whether the run passed)."""
    command = [
        sys.executable, "-P", str(ROOT / "bench" / "fault_suite.py"), "--runs", "1",
        "--dossiers", "120", "--publish-s", "24", "--settle-s", "150", *options,
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    return done.stdout + done.stderr[-3000:] * (done.returncode != 0)


@pytest.mark.kafka
@pytest.mark.parametrize(
    ("transport", "store"), [("kafka-python", "rocksdb"), ("librdkafka", "memory")]
)
def test_faults_while_publishing_lose_nothing_and_the_views_end_exact(
    tmp_path: Path, transport: str, store: str
) -> None:
    output = fault_suite(
        tmp_path, "--transport", transport, "--store", store,
        "--outage", "8", "--delivery-timeout", "3",
    )  # fmt: skip
    assert "fault suite: 1/1 runs passed" in output, output


@pytest.mark.kafka
@pytest.mark.cluster  # a cluster of its own, not the session's: it kills a node
def test_on_a_three_node_cluster_a_killed_broker_loses_nothing(tmp_path: Path) -> None:
    """One node of three SIGKILLed mid-stream and restarted (RF 3, min.insync 2)."""
    output = fault_suite(tmp_path, "--nodes", "3", "--outage", "10", "--store", "memory")
    assert "fault suite: 1/1 runs passed" in output, output
