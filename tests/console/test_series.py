from lienthong.console._series import SeriesStore, snapshot_values


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
