"""The distribution installs one top-level package, `lienthong`, holding every folder."""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module",
    [
        "lienthong.schemas",
        "lienthong.producers",
        "lienthong.consumers",
        "lienthong.connectors",
        "lienthong.monitoring",
    ],
)
def test_namespace_imports(module: str) -> None:
    assert importlib.import_module(module).__doc__


def test_wheel_holds_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("lienthong-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"lienthong"}
    for part in ("schemas", "producers", "consumers", "connectors", "monitoring"):
        assert f"lienthong/{part}/__init__.py" in names
    assert "lienthong/schemas/reference/procedures.csv" in names
    assert "lienthong/py.typed" in names
