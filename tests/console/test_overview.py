from lienthong.connectors.topics import TopicLayout
from lienthong.console._overview import OffsetSample, agency_health, throughput, topic_kind
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.reference import agencies


def test_topic_kinds() -> None:
    assert topic_kind("lt.ingress.syt.case.epidemic", "lt") == "ingress"
    assert topic_kind("lt.events.case.epidemic", "lt") == "events"
    assert topic_kind("lt.deadletter", "lt") == "deadletter"
    assert topic_kind("lt.deadletter.replayed", "lt") == "other"


def test_throughput_is_records_per_second_between_samples() -> None:
    before = OffsetSample(10.0, {"lt.ingress.syt.x": 100, "lt.events.x": 90, "lt.deadletter": 5})
    after = OffsetSample(12.0, {"lt.ingress.syt.x": 140, "lt.events.x": 126, "lt.deadletter": 9})
    assert throughput(before, after, "lt") == {"in": 20.0, "out": 18.0, "deadletter": 2.0}
    assert throughput(None, after, "lt") == {"in": 0.0, "out": 0.0, "deadletter": 0.0}


def _owners(layout: TopicLayout) -> dict[str, str]:
    return {layout.ingress(a.code, t): a.code for a in agencies() for t in catalogue()}


def test_agency_rows_match_the_reference_table_one_to_one() -> None:
    """The office's events (topic with a dotted code) and rejections land on one row."""
    layout = TopicLayout(prefix="lt")
    office = "000.00.00.H30"
    ends = {
        layout.ingress(office, "document.official"): 40,
        layout.ingress("SYT", "case.epidemic"): 100,
        layout.ingress("TTHCC", "dossier.lifecycle"): 10,
        layout.ingress("NOT-AN-AGENCY", "dossier.lifecycle"): 7,
        "lt.events.x": 3,
    }
    refused = [office] * 4 + ["SYT"] * 2 + ["TTHCC (claimed)"] * 5 + ["XYZ (claimed)", None]
    health = agency_health(ends, refused, _owners(layout), agencies(), "lt")

    assert [r["code"] for r in health.rows] == [a.code for a in agencies()]
    assert len({r["code"] for r in health.rows}) == len(agencies())
    rows = {r["code"]: r for r in health.rows}
    assert rows[office]["name"] == "Ủy ban nhân dân tỉnh Hậu Giang"
    assert (rows[office]["published"], rows[office]["refused"]) == (40, 4)
    assert rows["SYT"]["state"] == "ok"
    assert rows["TTHCC"]["state"] == "failing"
    assert rows["TTHCC"]["refused_share"] == 0.5
    assert rows["CDC Hậu Giang"]["state"] == "idle"  # a code with a space survives too
    assert health.unattributed == {"published": 7, "refused": 2}
