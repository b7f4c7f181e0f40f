"""Identities for tests: an agencies file in a temporary folder, filled on demand."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from lienthong.schemas.access import (
    AccessFile,
    AccessWatcher,
    Role,
    add_key,
    ensure_agency,
    grant,
    load_access,
    save_access,
    set_operator,
)
from lienthong.schemas.catalogue import catalogue

REGISTRY_ADMIN = ("registry-admin", "test-admin-password")
"""The operator test fixtures' registries accept as admin (tests only)."""


QUERY_READER = ("ioc-test", "test-reader-password")
"""An operator with role ioc_reader that test workers' query APIs accept (tests only)."""


def with_credentials(url: str, credentials: tuple[str, str] = REGISTRY_ADMIN) -> str:
    """``url`` with Basic credentials in it, as httpx and Confluent clients read them."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{credentials[0]}:{credentials[1]}@{rest}"


class Identities:
    """The agencies file a test's services read; each call adds an identity to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            save_access(path, AccessFile())

    def agency(
        self,
        code: str,
        publish: Iterable[str] | None = None,
        subscribe: Iterable[str] = (),
    ) -> str:
        """A new API key of agency ``code`` (added, by default granted every event type)."""
        access = load_access(self.path)
        access, _ = ensure_agency(access, code)
        wanted = list(catalogue()) if publish is None else list(publish)
        access, _ = grant(access, code, publish=wanted, subscribe=list(subscribe))
        access, _, secret = add_key(access, code, "test")
        save_access(self.path, access)
        return secret.get_secret_value()

    def operator(self, name: str, *roles: Role, password: str | None = None) -> str:
        """The password of a new operator ``name`` with ``roles``."""
        password = password or secrets.token_urlsafe(12)
        access, _ = set_operator(load_access(self.path), name, list(roles), password)
        save_access(self.path, access)
        return password

    def registry_admin(self) -> tuple[str, str]:
        """:data:`REGISTRY_ADMIN`, added to this file as an admin operator."""
        name, password = REGISTRY_ADMIN
        if load_access(self.path).operator(name) is None:
            self.operator(name, Role.ADMIN, password=password)
        return REGISTRY_ADMIN

    def query_reader(self) -> tuple[str, str]:
        """:data:`QUERY_READER`, added to this file as an IOC reader."""
        name, password = QUERY_READER
        if load_access(self.path).operator(name) is None:
            self.operator(name, Role.IOC_READER, password=password)
        return QUERY_READER

    def watcher(self) -> AccessWatcher:
        return AccessWatcher(self.path)
