"""The agencies file's schema: agencies, their grants and keys, operators, services.

Every rule a hand edit could break is checked here, so a file that loads is usable:
codes unique (also once folded into Kafka names), parents known, published event types
in the catalogue, subscriber names usable as topics, key ids unique, passwords hashed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lienthong.schemas.access._secrets import digest_matches, password_hash_problem, split_key
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.naming import topic_segment

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Role(StrEnum):
    """What an operator (a person) may do."""

    ADMIN = "admin"  # everything: registry writes, keys, provisioning, replay
    OPERATOR = "operator"  # run the axis: replay dead letters, revoke keys
    IOC_READER = "ioc_reader"  # read the IOC's statistics and the console


class Service(StrEnum):
    """The axis' own processes; each gets its own Kafka principal."""

    GATEWAY = "gateway"
    WORKER = "worker"
    REGISTRY = "registry"
    CONNECTORS = "connectors"
    CONSOLE = "console"


class ApiKey(BaseModel):
    """One HTTP API key of an agency; only a digest of its secret is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[0-9a-f]{6,32}$")]
    digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Agency(BaseModel):
    """An agency: who it is, what it may publish and read, and its HTTP keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(min_length=1, max_length=100)]
    name: str = ""
    parent: str | None = None
    publish: list[str] = []
    subscribe: list[str] = []
    keys: list[ApiKey] = []

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        topic_segment(code)  # raises a clear ValueError for a code with no usable letter
        return code.strip()

    @field_validator("publish")
    @classmethod
    def _publish(cls, publish: list[str]) -> list[str]:
        known = catalogue()
        for event_type in publish:
            if event_type not in known:
                raise ValueError(
                    f"{event_type!r} is not an event type of the catalogue ({', '.join(known)})"
                )
        return list(dict.fromkeys(publish))

    @field_validator("subscribe")
    @classmethod
    def _subscribe(cls, subscribe: list[str]) -> list[str]:
        for name in subscribe:
            topic_segment(name)
        return list(dict.fromkeys(subscribe))

    @property
    def segment(self) -> str:
        """The code as it appears in topic names and the Kafka principal."""
        return topic_segment(self.code)

    def may_publish(self, event_type: str) -> bool:
        return event_type in self.publish

    def active_keys(self) -> list[ApiKey]:
        return [key for key in self.keys if key.active]


class Operator(BaseModel):
    """A person who runs the axis: console, registry writes, administrative commands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=_NAME, max_length=64)]
    roles: Annotated[list[Role], Field(min_length=1)]
    password: str

    @field_validator("password")
    @classmethod
    def _hashed(cls, password: str) -> str:
        problem = password_hash_problem(password)
        if problem is not None:
            raise ValueError(problem)
        return password

    def has(self, role: Role) -> bool:
        """Whether the operator has ``role``; admin implies every role."""
        return Role.ADMIN in self.roles or role in self.roles


class AccessFile(BaseModel):
    """The whole agencies file: the axis' identities and what each may do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agencies: list[Agency] = []
    operators: list[Operator] = []
    services: list[Service] = list(Service)

    @model_validator(mode="after")
    def _consistent(self) -> AccessFile:
        _unique("agency code", [a.code for a in self.agencies])
        _unique("agency code once folded for Kafka", [a.segment for a in self.agencies])
        _unique("API key id", [k.id for a in self.agencies for k in a.keys])
        _unique("operator name", [o.name for o in self.operators])
        codes = {a.code for a in self.agencies}
        for agency in self.agencies:
            if agency.parent is not None and agency.parent not in codes:
                raise ValueError(
                    f"agency {agency.code}: parent {agency.parent!r} is not an agency of this "
                    "file (use its code, or null)"
                )
        return self

    def agency(self, code: str) -> Agency | None:
        """The agency with ``code`` (exactly, or once both are folded for Kafka)."""
        for agency in self.agencies:
            if agency.code == code:
                return agency
        folded = _fold(code)
        return next((a for a in self.agencies if a.segment == folded), None)

    def operator(self, name: str) -> Operator | None:
        return next((o for o in self.operators if o.name == name), None)

    def authenticate_key(self, presented: str) -> Agency | None:
        """The agency of an active key, or None for a malformed, unknown or revoked one."""
        parts = split_key(presented)
        if parts is None:
            return None
        key_id, secret = parts
        for agency in self.agencies:
            for key in agency.keys:
                if key.id == key_id:
                    ok = key.active and digest_matches(key.digest, secret)
                    return agency if ok else None
        return None

    def key_owner(self, key_id: str) -> tuple[Agency, ApiKey] | None:
        """The agency holding key ``key_id`` and the key, or None."""
        for agency in self.agencies:
            for key in agency.keys:
                if key.id == key_id:
                    return agency, key
        return None


def _fold(code: str) -> str | None:
    try:
        return topic_segment(code)
    except ValueError:
        return None


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice; each must be unique")
        seen.add(value)
