"""``lienthong publish`` and ``lienthong agencies`` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import kafka_env
from tests.producers.conftest import end_offsets, make_topic
from tests.producers.events import dossier, dossier_json

runner = CliRunner()


def test_publish_sends_good_rows_and_writes_rejected_ones_with_reasons(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kafka_settings: KafkaSettings,
    schema_registry_url: str,
    agency: str,
) -> None:
    for name, value in kafka_env(kafka_settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIENTHONG_REGISTRY_URL", schema_registry_url)
    monkeypatch.setenv("LIENTHONG_PUBLISHER_SPOOL_PATH", str(tmp_path / "spool.db"))
    topic = make_topic(kafka_settings, agency)
    rows = []
    for n in range(5):
        row = dossier_json(dossier(f"H30-CLI-{n}", agency=agency))
        del row["envelope"]
        rows.append(row)
    rows[3]["LoaiDoiTuong"] = 9
    path = tmp_path / "dossiers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner.invoke(
        app, ["publish", "--type", "dossier.lifecycle", "--agency", agency, str(path)]
    )
    assert result.exit_code == 1, result.output  # some rows were rejected
    assert "rejected (invalid)" in result.output
    rejected = [
        json.loads(line)
        for line in (tmp_path / "dossiers.jsonl.rejected.jsonl").read_text().splitlines()
    ]
    assert [r["row"] for r in rejected] == [4]
    assert rejected[0]["errors"][0]["field"] == "LoaiDoiTuong"
    assert end_offsets(kafka_settings, topic) == 4
    again = runner.invoke(
        app, ["publish", "--type", "dossier.lifecycle", "--agency", agency, str(path)]
    )
    assert again.exit_code == 1


def test_agencies_add_list_and_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_AGENCIES_FILE", str(tmp_path / "agencies.yaml"))
    monkeypatch.setenv("LIENTHONG_AUDIT_ENABLED", "false")
    added = runner.invoke(app, ["agencies", "add", "SYT", "--label", "hospital system"])
    assert added.exit_code == 0, added.output
    key = next(line for line in added.output.splitlines() if line.startswith("lt."))
    key_id = key.split(".")[1]
    listed = runner.invoke(app, ["agencies", "list"])
    assert key_id in listed.output
    assert key.split(".")[2] not in listed.output
    assert runner.invoke(app, ["agencies", "revoke-key", key_id]).exit_code == 0
    assert runner.invoke(app, ["agencies", "revoke-key", "nope"]).exit_code == 2
    assert key.split(".")[2] not in (tmp_path / "agencies.yaml").read_text("utf-8")
    granted = runner.invoke(app, ["agencies", "grant", "SYT", "--publish", "case.epidemic"])
    assert granted.exit_code == 0, granted.output
    assert "case.epidemic" in runner.invoke(app, ["agencies", "list"]).output
    refused = runner.invoke(app, ["agencies", "grant", "SYT", "--publish", "nope"])
    assert refused.exit_code == 2
    assert "catalogue" in refused.output
    made = runner.invoke(
        app, ["agencies", "operator", "add", "root", "--role", "admin"], input="pw\npw\n"
    )
    assert made.exit_code == 0, made.output
    assert "scrypt:" in (tmp_path / "agencies.yaml").read_text("utf-8")


def test_help_teaches_with_examples() -> None:
    for command in (["publish", "--help"], ["agencies", "--help"], ["gateway", "--help"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0
        assert "lienthong" in result.output
