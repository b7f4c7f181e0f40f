"""`lienthong schemas` against a real registry."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.schemas.catalogue import catalogue, event_type

runner = CliRunner()


def _changed_dossier(tmp_path: Path, field: dict[str, object]) -> Path:
    schema = event_type("dossier.lifecycle").schema
    schema["fields"].append(field)
    path = tmp_path / "DossierLifecycle.avsc"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return path


def test_register_then_list(schema_registry_url: str) -> None:
    result = runner.invoke(app, ["schemas", "register", "--registry", schema_registry_url])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["schemas", "list", "--registry", schema_registry_url])
    assert listed.exit_code == 0, listed.output
    for name in catalogue():
        assert f"lienthong.events.{name}-value" in listed.output


def test_check_explains_an_incompatible_change(schema_registry_url: str, tmp_path: Path) -> None:
    runner.invoke(app, ["schemas", "register", "--registry", schema_registry_url])
    required = _changed_dossier(tmp_path, {"name": "MaBuuChinh", "type": "string", "doc": "x"})
    result = runner.invoke(
        app, ["schemas", "check", str(required), "--registry", schema_registry_url]
    )
    assert result.exit_code == 1
    assert "incompatible" in result.output
    assert "MaBuuChinh" in result.output


def test_check_accepts_an_optional_field_and_diff_shows_it(
    schema_registry_url: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["schemas", "register", "--registry", schema_registry_url])
    optional = _changed_dossier(
        tmp_path, {"name": "MaBuuChinh", "type": ["null", "string"], "default": None, "doc": "x"}
    )
    checked = runner.invoke(
        app, ["schemas", "check", str(optional), "--registry", schema_registry_url]
    )
    assert checked.exit_code == 0, checked.output
    assert "compatible" in checked.output
    diffed = runner.invoke(
        app, ["schemas", "diff", str(optional), "--registry", schema_registry_url]
    )
    assert diffed.exit_code == 0, diffed.output
    assert '+      "name": "MaBuuChinh",' in diffed.output.splitlines()


def test_unreachable_registry_is_a_clear_error() -> None:
    result = runner.invoke(app, ["schemas", "list", "--registry", "http://127.0.0.1:9"])
    assert result.exit_code != 0
