from lienthong.console._overview import OffsetSample, agency_health, throughput, topic_kind


def test_topic_kinds() -> None:
    assert topic_kind("lt.ingress.syt.case.epidemic", "lt") == ("ingress", "syt")
    assert topic_kind("lt.events.case.epidemic", "lt") == ("events", None)
    assert topic_kind("lt.deadletter", "lt") == ("deadletter", None)
    assert topic_kind("lt.deadletter.replayed", "lt") == ("other", None)


def test_throughput_is_records_per_second_between_samples() -> None:
    before = OffsetSample(10.0, {"lt.ingress.syt.x": 100, "lt.events.x": 90, "lt.deadletter": 5})
    after = OffsetSample(12.0, {"lt.ingress.syt.x": 140, "lt.events.x": 126, "lt.deadletter": 9})
    assert throughput(before, after, "lt") == {"in": 20.0, "out": 18.0, "deadletter": 2.0}
    assert throughput(None, after, "lt") == {"in": 0.0, "out": 0.0, "deadletter": 0.0}


def test_agency_health_states() -> None:
    ends = {"lt.ingress.syt.x": 100, "lt.ingress.tthcc.y": 10, "lt.events.x": 3}
    rows = {r["agency"]: r for r in agency_health(ends, ["syt"] * 2 + ["tthcc"] * 5, "lt")}
    assert rows["syt"]["state"] == "ok"
    assert rows["tthcc"]["state"] == "failing"
    assert rows["tthcc"]["refused_share"] == 0.5
