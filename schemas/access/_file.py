"""Reading, checking and writing the agencies file.

Problems are reported with the line and the field (``line 14, agencies[2].publish[0]``)
so a hand edit is easy to mend. Saving is atomic (a temporary file renamed over the
old one) with mode 0600: readers in other processes see the old file or the new one,
never half of it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.schemas.access._model import AccessFile

HEADER = (
    "# The axis' identities. Managed with `lienthong agencies ...`; edits by hand are "
    "validated.\n"
    "# Secrets are never stored here: API keys as sha256 digests, passwords as scrypt hashes.\n"
)


class AccessSettings(BaseSettings):
    """Where the agencies file is (``LIENTHONG_AGENCIES_FILE``)."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    agencies_file: Path = Field(
        default_factory=lambda: Path.home() / ".lienthong" / "agencies.yaml",
        description="The agencies file: identities, grants, hashed keys and passwords.",
    )


@dataclass(frozen=True)
class AccessProblem:
    """One thing wrong in the agencies file: where (line and field) and why."""

    line: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.location}: {self.message}" if self.location else where + self.message


class AccessError(Exception):
    """The agencies file cannot be read or breaks its schema."""

    def __init__(self, source: str, problems: Sequence[AccessProblem | str]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")
        self.source = source
        self.problems = list(problems)


def parse_access(text: str, source: str = "agencies file") -> AccessFile:
    """Parse and validate the YAML text of an agencies file."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AccessError(source, [f"not valid YAML: {exc}"]) from None
    if data is None:
        return AccessFile()
    try:
        return AccessFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            AccessProblem(_line(root, e["loc"]), _location(e["loc"]), e["msg"])
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise AccessError(source, problems) from None


def load_access(path: Path) -> AccessFile:
    """The agencies file at ``path``; an absent file is an empty one (no identities)."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return AccessFile()
    except OSError as exc:
        raise AccessError(str(path), [f"cannot read it: {exc.strerror}"]) from exc
    return parse_access(text, str(path))


def dump_access(access: AccessFile) -> str:
    """The YAML text of ``access``, with the explanatory header."""
    data = access.model_dump(mode="json")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return HEADER + body


def save_access(path: Path, access: AccessFile) -> None:
    """Write ``access`` to ``path`` atomically, readable only by its owner (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(dump_access(access))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "value_error")):
            out += f".{part}" if out else str(part)
    return out


def _line(root: Any, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node ``loc`` reaches."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
