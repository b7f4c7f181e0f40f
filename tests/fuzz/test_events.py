"""Generated events through the contracts, the codec, the gate and every view (bounded).

``bench/fuzz.py`` runs the same checks on 10⁵ inputs; this is CI's sample.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from tests.fuzz.pipeline import EventPipeline
from tests.fuzz.values import VALID, events

PIPELINE = EventPipeline()


@given(events())
def test_no_generated_event_crashes_a_stage_or_is_refused_unexplained(
    event: tuple[str, dict[str, Any]],
) -> None:
    outcome, detail = PIPELINE.check(*event)
    assert outcome in ("accepted", "refused"), detail


def test_every_valid_corpus_event_goes_all_the_way() -> None:
    # Later statuses of a dossier are refused only as an entity's first event.
    outcomes = [PIPELINE.check(e.event_type, e.record) for e in VALID]
    assert {outcome for outcome, _ in outcomes} == {"accepted", "refused"}
    assert sum(outcome == "accepted" for outcome, _ in outcomes) >= len(VALID) - 3
