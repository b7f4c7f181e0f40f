"""Clients of a Confluent-compatible schema registry, with the caches the codec relies on.

:class:`SchemaRegistry` is the contract the codec needs. :class:`RegistryClient` is the
real thing, speaking the Confluent REST API v1 (ours or Confluent's own);
:class:`InMemoryRegistry` is a double for unit tests of pure logic, shipped beside it.

Guarantees of both: a schema id, once seen, is cached for the life of the client (ids
are immutable in the registry); registering or looking up the same (subject, schema)
twice asks the registry once.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import httpx

from lienthong.schemas.errors import (
    RegistryError,
    RegistryRequestError,
    RegistryUnavailable,
    UnknownSchemaId,
)
from lienthong.schemas.identity import schema_identity

_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
_SCHEMA_NOT_FOUND = 40403


class SchemaRegistry(Protocol):
    """What the codec needs from a registry."""

    def get_schema(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id``; raises UnknownSchemaId."""
        ...

    def register(self, subject: str, schema: str) -> int:
        """Register ``schema`` under ``subject`` (idempotent); return its global id."""
        ...


class RegistryClient:
    """HTTP client of a Confluent Schema Registry REST API v1, thread-safe and caching."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        auth: tuple[str, str] | None = None,
        verify: bool | str = True,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout_s,
            auth=auth,
            verify=verify,
            headers={"Accept": _MEDIA_TYPE, "Content-Type": _MEDIA_TYPE},
        )
        self._schemas: dict[int, str] = {}
        self._ids: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_schema(self, schema_id: int) -> str:
        cached = self._schemas.get(schema_id)
        if cached is not None:
            return cached
        try:
            body = self._request("GET", f"/schemas/ids/{schema_id}")
        except RegistryRequestError as exc:
            if exc.error_code == _SCHEMA_NOT_FOUND or exc.status == 404:
                raise UnknownSchemaId(
                    f"schema id {schema_id} is not in the registry at {self.url}",
                    schema_id=schema_id,
                ) from exc
            raise
        schema = str(body["schema"])
        with self._lock:
            self._schemas[schema_id] = schema
        return schema

    def register(self, subject: str, schema: str) -> int:
        return self._cached_id("POST", f"/subjects/{subject}/versions", subject, schema)

    def lookup(self, subject: str, schema: str) -> int:
        """The id of ``schema`` if it is registered under ``subject`` (no registration)."""
        return self._cached_id("POST", f"/subjects/{subject}", subject, schema)

    def latest(self, subject: str) -> tuple[int, int, str]:
        """(id, version, schema) of the latest version of ``subject``."""
        body = self._request("GET", f"/subjects/{subject}/versions/latest")
        return int(body["id"]), int(body["version"]), str(body["schema"])

    def subjects(self) -> list[str]:
        return [str(s) for s in self._request("GET", "/subjects")]

    def check_compatibility(self, subject: str, schema: str) -> tuple[bool, list[str]]:
        """Whether ``schema`` may be registered next under ``subject``, and why not."""
        body = self._request(
            "POST",
            f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
            json={"schema": schema},
        )
        return bool(body["is_compatible"]), [str(m) for m in body.get("messages", [])]

    def _cached_id(self, method: str, path: str, subject: str, schema: str) -> int:
        key = (subject, schema_identity(schema))
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        body = self._request(method, path, json={"schema": schema})
        schema_id = int(body["id"])
        with self._lock:
            self._ids[key] = schema_id
            self._schemas.setdefault(schema_id, schema)
        return schema_id

    def _request(self, method: str, path: str, json: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"schema registry at {self.url} did not answer ({exc}); is it running? "
                "(`lienthong registry`, or set LIENTHONG_REGISTRY_URL)"
            ) from exc
        if response.status_code >= 400:
            try:
                error = response.json()
                code, message = int(error["error_code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = response.status_code, response.text[:200]
            raise RegistryRequestError(response.status_code, code, message)
        return response.json()


class InMemoryRegistry:
    """A registry double for unit tests: global ids, idempotent registration, no HTTP."""

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}
        self._by_canonical: dict[str, int] = {}
        self.subjects: dict[str, list[int]] = {}

    def register(self, subject: str, schema: str) -> int:
        form = schema_identity(schema)
        schema_id = self._by_canonical.get(form)
        if schema_id is None:
            schema_id = len(self._by_id) + 1
            self._by_id[schema_id] = schema
            self._by_canonical[form] = schema_id
        versions = self.subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        return schema_id

    def get_schema(self, schema_id: int) -> str:
        try:
            return self._by_id[schema_id]
        except KeyError:
            raise UnknownSchemaId(
                f"schema id {schema_id} is not in the registry", schema_id=schema_id
            ) from None


__all__ = [
    "InMemoryRegistry",
    "RegistryClient",
    "RegistryError",
    "SchemaRegistry",
]
