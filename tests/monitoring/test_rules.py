"""The alert rules and the dashboard query only metrics that exist, and parse."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong.monitoring.metrics import AxisMetrics

_METRIC = re.compile(r"\blienthong_[a-z_]+")


def _text(name: str) -> str:
    return resources.files("lienthong.monitoring").joinpath(name).read_text("utf-8")


def _exposed_names() -> set[str]:
    """Every sample name the axis exposes (counters' _total, histograms' _bucket...)."""
    names: set[str] = set()
    for family in AxisMetrics.create().registry.collect():
        names.add(family.name)
        kind = family.type
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        names.update(family.name + s for s in suffixes.get(kind, []))
    return names


def _rule_exprs() -> list[str]:
    rules = yaml.safe_load(_text("alerts.yaml"))
    return [r["expr"] for group in rules["groups"] for r in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dashboard: dict[str, Any] = json.loads(_text("dashboard.json"))
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_queries_use_only_existing_metrics(source: str) -> None:
    exprs = _rule_exprs() if source == "alerts" else _dashboard_exprs()
    exposed = _exposed_names()
    used = {name for expr in exprs for name in _METRIC.findall(expr)}
    assert used, "no lienthong metric queried"
    assert used <= exposed, used - exposed


def test_the_rules_cover_what_administrators_need() -> None:
    names = {r["alert"] for g in yaml.safe_load(_text("alerts.yaml"))["groups"] for r in g["rules"]}
    for needed in (
        "Lag",
        "DeadLetters",
        "WorkerDown",
        "Latency",
        "Overdue",
        "AuthFailure",
        "SchemaDeleted",
    ):
        assert any(needed in n for n in names), needed


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules() -> None:
    path = resources.files("lienthong.monitoring").joinpath("alerts.yaml")
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_fires_the_security_alerts_when_it_should(tmp_path: Path) -> None:
    rules = resources.files("lienthong.monitoring").joinpath("alerts.yaml")
    source = Path(__file__).with_name("security_alerts_test.yaml").read_text("utf-8")
    case = tmp_path / "security_alerts_test.yaml"
    case.write_text(source.replace("ALERTS_FILE", str(rules)), "utf-8")
    result = subprocess.run(
        ["promtool", "test", "rules", str(case)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
