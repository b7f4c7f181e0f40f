"""Routing rules: parsing, explained errors, matching on headers, hot reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.errors import RulesInvalid
from lienthong.consumers.routing import Router, RulesWatcher, parse_rules
from lienthong.schemas import headers as h

LAYOUT = TopicLayout("t")
RULES = {
    "version": 1,
    "rules": [
        {"name": "all", "match": {}, "to": ["ioc"]},
        {
            "name": "results",
            "match": {"event_type": "dossier.*", "status": [9, 10]},
            "to": ["portal"],
        },
        {
            "name": "syt-docs",
            "match": {"event_type": "document.official", "recipients": "SYT"},
            "unless": {"confidentiality": ["SECRET", "TOP_SECRET"]},
            "to": ["syt", "ioc"],
        },
        {
            "name": "business",
            "match": {"event_type": "dossier.lifecycle"},
            "payload": {"LoaiDoiTuong": 2},
            "to": ["skhdt"],
        },
    ],
}


def _headers(**facets: str) -> dict[str, bytes]:
    return {h.FACET_HEADERS[k]: v.encode() for k, v in facets.items()}


def test_headers_decide_and_destinations_are_unique() -> None:
    router = Router(parse_rules(RULES), LAYOUT)
    decision = router.route(
        _headers(
            event_type="document.official", recipients="STC,SYT", confidentiality="UNCLASSIFIED"
        )
    )
    assert decision.topics == ("t.sub.ioc", "t.sub.syt")
    assert decision.rules == ("all", "syt-docs")
    secret = _headers(event_type="document.official", recipients="SYT", confidentiality="SECRET")
    assert router.route(secret).topics == ("t.sub.ioc",)


def test_payload_is_opened_only_when_a_payload_rule_may_apply() -> None:
    router = Router(parse_rules(RULES), LAYOUT)
    opened: list[int] = []

    def payload() -> dict[str, object]:
        opened.append(1)
        return {"LoaiDoiTuong": 2}

    assert router.route(_headers(event_type="case.epidemic"), payload).topics == ("t.sub.ioc",)
    assert opened == []
    result = router.route(_headers(event_type="dossier.lifecycle", status="9"), payload)
    assert result.topics == ("t.sub.ioc", "t.sub.portal", "t.sub.skhdt")
    assert opened == [1]


def test_missing_header_does_not_match() -> None:
    router = Router(parse_rules(RULES), LAYOUT)
    assert router.route(_headers(event_type="dossier.lifecycle")).rules == ("all",)


@pytest.mark.parametrize(
    ("rules", "where", "says"),
    [
        (
            {"rules": [{"name": "x", "match": {"colour": "red"}, "to": ["a"]}]},
            "rules[0] (x).match.colour",
            "Extra inputs",
        ),
        ({"rules": [{"name": "x", "to": []}]}, "rules[0] (x).to", "at least 1"),
        (
            {"rules": [{"name": "x", "match": {"event_type": "dossier.lifecyle"}, "to": ["a"]}]},
            "rules[0] (x).match.event_type",
            "matches no event type",
        ),
        (
            {"rules": [{"name": "x", "to": ["a"]}, {"name": "x", "to": ["b"]}]},
            "rules[1] (x).name",
            "another rule",
        ),
        (
            {
                "rules": [
                    {
                        "name": "x",
                        "match": {"event_type": "case.epidemic"},
                        "payload": {"MaHoSo": "1"},
                        "to": ["a"],
                    }
                ]
            },
            "rules[0] (x).payload.MaHoSo",
            "no field",
        ),
        ({"version": 2, "rules": []}, "version", "Input should be 1"),
    ],
)
def test_errors_say_where_and_why(rules: dict[str, object], where: str, says: str) -> None:
    with pytest.raises(RulesInvalid) as caught:
        parse_rules(rules)
    assert any(p.location == where and says in p.message for p in caught.value.problems), (
        caught.value
    )


def test_reload_on_change_keeps_old_rules_when_broken(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(yaml.safe_dump(RULES))
    clock = [0.0]
    watcher = RulesWatcher(path, LAYOUT, poll_s=1.0, clock=lambda: clock[0])
    first, _ = watcher.current()
    path.write_text(yaml.safe_dump({"rules": [{"name": "only", "to": ["cdc"]}]}))
    os.utime(path, ns=(1, 10**18))
    assert watcher.current() == (first, False)  # not polled yet
    clock[0] = 2.0
    router, reloaded = watcher.current()
    assert reloaded
    assert router.topics == ["t.sub.cdc"]
    path.write_text("rules: [{name: broken}]")
    os.utime(path, ns=(1, 2 * 10**18))
    clock[0] = 4.0
    assert watcher.current() == (router, False)
    assert watcher.last_error is not None


def test_routes_check_cli(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(RULES))
    result = CliRunner().invoke(app, ["routes", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    match: {status: [true]}\n    to: [a]\n")
    result = CliRunner().invoke(app, ["routes", "check", str(bad)])
    assert result.exit_code == 1
    assert "rules[0] (x).match.status" in result.output
