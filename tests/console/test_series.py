import math

from lienthong.console._series import SeriesStore, latency_buckets, p99, snapshot_values


def test_points_older_than_the_window_fall_off() -> None:
    store = SeriesStore(window_s=60)
    store.add(1000.0, {"in": 5.0, "lag:g": 3.0})
    store.add(1030.0, {"in": 7.0})
    store.add(1070.0, {"in": 9.0})
    series = store.as_json()["series"]
    assert series == {"in": [[1030.0, 7.0], [1070.0, 9.0]]}  # lag:g left with its point


def test_a_snapshot_gives_rates_reasons_and_lag_per_group() -> None:
    lag = [{"group": "w", "lag": 4}, {"group": "w", "lag": 6}, {"group": "s", "lag": 1}]
    values = snapshot_values({"in": 2.5, "out": 2.0}, ["truncated_payload"] * 3, lag)
    assert values == {
        "in": 2.5,
        "out": 2.0,
        "deadletter": 0.0,
        "reason:truncated_payload": 3.0,
        "lag:w": 10.0,
        "lag:s": 1.0,
    }


def test_p99_of_the_observations_between_two_scrapes() -> None:
    text = (
        'lienthong_event_latency_seconds_bucket{stage="route",le="0.1"} 50.0\n'
        'lienthong_event_latency_seconds_bucket{stage="route",le="1.0"} 149.0\n'
        'lienthong_event_latency_seconds_bucket{stage="route",le="5.0"} 150.0\n'
        'lienthong_event_latency_seconds_bucket{stage="route",le="+Inf"} 150.0\n'
    )
    after = latency_buckets(text)["route"]
    before = {0.1: 50.0, 1.0: 50.0, 5.0: 50.0, math.inf: 50.0}
    assert p99(before, after) == 1.0  # 99 of the 100 new ones within 1 s
    assert p99(after, after) is None  # nothing new
    assert p99({}, {1.0: 0.0, math.inf: 3.0}) == 1.0  # beyond every bound: the largest
