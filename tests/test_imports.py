"""No module imports a private (``_``-prefixed) module of another package.

A private module may be imported from its own folder and the folders below it; every
other module goes through the package's public names. Read from the source (an AST walk
over the installed folders and ``bench/``), so a lazy import inside a function counts too.
Tests may open private modules of the code they test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("schemas", "connectors", "producers", "consumers", "monitoring")
CHECKED = (*MAPPED, "lienthong", "bench")

# Imports other rooms are moving (issue 15), as (module, private name), owner in a comment;
# remove an entry when its import is gone.
PENDING: set[tuple[str, str]] = set()


def _folder(private: str) -> str:
    """The folder of the package that owns the dotted name ``private``."""
    parts = private.split(".")
    if parts[0] == "lienthong" and len(parts) > 1 and parts[1] in MAPPED:
        parts = parts[1:]
    return "/".join(parts[:-1])


def _imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _private_prefix(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] not in ("lienthong", "bench", "tests"):
        return None
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: i + 1])
    return None


def private_imports_of_other_packages() -> set[tuple[str, str]]:
    found = set()
    for top in CHECKED:
        for path in (ROOT / top).rglob("*.py"):
            here = path.parent.relative_to(ROOT).as_posix()
            for name in _imported(ast.parse(path.read_text(encoding="utf-8"))):
                private = _private_prefix(name)
                if private is None:
                    continue
                owner = _folder(private)
                if here != owner and not here.startswith(owner + "/"):
                    found.add((path.relative_to(ROOT).as_posix(), private))
    return found


def test_no_module_imports_a_private_module_of_another_package() -> None:
    found = private_imports_of_other_packages() - PENDING
    assert not found, "\n".join(f"{m} imports {p}" for m, p in sorted(found))


def test_the_check_sees_a_lazy_private_import() -> None:
    tree = ast.parse("def f():\n    from lienthong.registry._app import create_app\n")
    names = {n for n in _imported(tree) if _private_prefix(n)}
    assert "lienthong.registry._app.create_app" in names
    assert _folder("lienthong.registry._app") == "lienthong/registry"
    assert _folder("lienthong.consumers.worker._outbox") == "consumers/worker"
