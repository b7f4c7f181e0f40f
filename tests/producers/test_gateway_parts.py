"""The gateway's rate limits and idempotency store, without HTTP or Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.responses import JSONResponse

from lienthong.producers.gateway import IdempotencyStore, RateLimiter
from lienthong.producers.gateway._idempotency import ClaimState, Position
from lienthong.producers.gateway._ingest import ItemResult, batch_json


def test_the_token_bucket_allows_the_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=10, burst=20, clock=lambda: now[0])
    assert limiter.take("A", 20) == 0.0
    wait = limiter.take("A", 5)
    assert wait == pytest.approx(0.5)
    assert limiter.take("B", 1) == 0.0  # agencies do not share a bucket
    now[0] = 0.5
    assert limiter.take("A", 5) == 0.0


def test_claims_answer_new_done_busy_and_conflict(tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.db")
    assert [c.state for c in store.claim([("e1", "f1"), ("e2", "f2")])] == [ClaimState.NEW] * 2
    store.complete([("e1", Position("t", 1, 42))])
    store.release(["e2"])
    e1, e2, e1_other = store.claim([("e1", "f1"), ("e2", "f2"), ("e3", "f3")])
    assert e1.state is ClaimState.DONE
    assert e1.position == Position("t", 1, 42)
    assert e2.state is ClaimState.NEW  # released: a retry may produce it
    assert store.claim([("e2", "f2")])[0].state is ClaimState.BUSY
    assert store.claim([("e1", "other")])[0].state is ClaimState.CONFLICT
    assert e1_other.state is ClaimState.NEW
    store.close()


def test_results_survive_a_restart_and_stale_claims_are_taken_over(tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.db", stale_s=0.0)
    store.claim([("e1", "f"), ("e2", "f")])
    store.complete([("e1", Position("t", 0, 7))])
    store.close()
    again = IdempotencyStore(tmp_path / "idem.db", stale_s=0.0)
    done, stale = again.claim([("e1", "f"), ("e2", "f")])
    assert done.position == Position("t", 0, 7)
    assert stale.state is ClaimState.NEW
    again.close()


def test_the_hand_built_batch_body_is_what_json_response_writes() -> None:
    results = [
        ItemResult("6f1c5e0a-0000-4000-8000-000000000001", "produced", "in.a-b_c", 2, 41),
        ItemResult("6f1c5e0a-0000-4000-8000-000000000002", "duplicate", "in.a", 0, 7),
        ItemResult("6f1c5e0a-0000-4000-8000-000000000003", "spooled", "in.a"),
        ItemResult("6f1c5e0a-0000-4000-8000-000000000004", "failed", error='Kafka "away" ↯'),
    ]
    expected = {"accepted": 3, "results": [r.as_dict() for r in results]}
    assert batch_json(results) == JSONResponse(expected).body
