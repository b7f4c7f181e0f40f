from prometheus_client import REGISTRY

from lienthong.monitoring.metrics import AxisMetrics


def test_two_metric_sets_live_side_by_side_off_the_global_registry() -> None:
    before = {m.name for m in REGISTRY.collect()}
    a, b = AxisMetrics.create(), AxisMetrics.create()
    a.events_in.labels("t", "SYT", "case.epidemic").inc(3)
    assert (
        a.registry.get_sample_value(
            "lienthong_events_in_total",
            {"topic": "t", "agency": "SYT", "event_type": "case.epidemic"},
        )
        == 3
    )
    assert (
        b.registry.get_sample_value(
            "lienthong_events_in_total",
            {"topic": "t", "agency": "SYT", "event_type": "case.epidemic"},
        )
        is None
    )
    assert {m.name for m in REGISTRY.collect()} == before
    body, content_type = a.exposition()
    assert b"lienthong_events_in_total" in body
    assert content_type.startswith("text/plain")
