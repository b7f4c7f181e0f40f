"""SQL names the connectors put into statements: checked, then quoted.

Table and column names come from connector configs, so they are checked to be plain
identifiers (optionally ``schema.name``) before any statement is built with them.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_identifier(name: str) -> str:
    """``name`` if it is a plain SQL identifier (or schema.name); else ValueError."""
    parts = name.split(".")
    if len(parts) > 2 or not all(_IDENT.match(p) for p in parts):
        raise ValueError(
            f"{name!r} is not a plain SQL name (letters, digits, '_'; optionally schema.name)"
        )
    return name


def quote(name: str) -> str:
    """A checked identifier in double quotes (keeps its case in PostgreSQL)."""
    return ".".join(f'"{part}"' for part in check_identifier(name).split("."))
