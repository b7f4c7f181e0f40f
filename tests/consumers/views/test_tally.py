"""The kept statistics equal a scan of the states, whatever the order of changes and time."""

from __future__ import annotations

import random
from typing import Any

import pytest

from lienthong.consumers.views.query import STAT_DIMENSIONS, dossier_stats, overdue_list
from lienthong.consumers.views.tally import DossierTally

DAY_MS = 86_400_000
T0 = 1_760_000_000_000


def random_state(rng: random.Random, n: int) -> dict[str, Any] | None:
    if rng.random() < 0.05:
        return None  # deleted
    status = rng.choice([None, 1, 2, 4, 5, 9, 10, 3])
    due = rng.choice([None, T0 + rng.randint(-5, 5) * DAY_MS])
    paused = None
    if status == 5 and due is not None:
        paused = due + rng.choice([-1, 1]) * DAY_MS
    outcome = rng.choice(["early", "on_time", "overdue"]) if status == 10 else None
    return {
        "ma_ho_so": f"D{n}",
        "status": status,
        "agency": rng.choice(["A", "B", None]),
        "procedure": rng.choice(["P1", "P2"]),
        "unit_code": rng.choice(["U1", "U2", None]),
        "received_at": rng.choice([None, T0 + rng.randint(-3, 0) * DAY_MS]),
        "sla": {
            "due": due,
            "paused_since": paused,
            "outcome": outcome,
            "overdue_emitted": rng.random() < 0.3,
        },
    }


@pytest.mark.parametrize("seed", range(5))
def test_tally_equals_a_scan_through_changes_and_time(seed: int) -> None:
    rng = random.Random(seed)
    tally = DossierTally()
    states: dict[bytes, dict[str, Any]] = {}
    now = T0 - 6 * DAY_MS
    for step in range(3000):
        n = rng.randrange(300)
        key = f"D{n}".encode()
        state = random_state(rng, n)
        tally.note(key, state)
        if state is None:
            states.pop(key, None)
        else:
            states[key] = state
        if step % 100 == 0:
            now += rng.randint(0, DAY_MS)  # time moves on between requests
            for by in STAT_DIMENSIONS:
                assert tally.stats(by, now) == dossier_stats(states.values(), by, now), by
            day = "2025-10-08"
            assert tally.stats("agency", now, day=day) == dossier_stats(
                states.values(), "agency", now, day=day
            )
            late = [states[k] for k in tally.late(now)]
            assert overdue_list(late, now) == overdue_list(states.values(), now)
            rows = tally.late_rows(now, states.get)
            by_due = sorted(rows, key=lambda r: (r["due_at"], r["MaHoSo"]))
            assert by_due == overdue_list(states.values(), now)


def test_a_cleared_tally_is_empty_and_not_ready() -> None:
    tally = DossierTally()
    tally.note(b"a", random_state(random.Random(1), 1) or {})
    tally.ready = True
    tally.clear()
    assert len(tally) == 0
    assert not tally.ready
    assert tally.stats("agency", T0) == {}
