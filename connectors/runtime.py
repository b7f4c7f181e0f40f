"""The connector runtime: specs, config files, and a supervisor that keeps connectors up.

A connector is a small class with a ``KIND``, a ``SPEC`` (a pydantic model: the
documentation, defaults and validation of its settings in one place; unknown keys are
refused, with the likely intended key) and a ``run()`` that works until asked to stop.
``lienthong connect spec KIND`` prints a spec; ``lienthong connect run CONFIG.yaml``
runs the connectors a file lists::

    kafka:                        # optional; else LIENTHONG_BOOTSTRAP_SERVERS etc.
      bootstrap_servers: 127.0.0.1:9092
    registry_url: http://127.0.0.1:8081   # optional; else LIENTHONG_REGISTRY_URL
    connectors:
      - name: motcua-outbox       # unique; names its position, group and transactions
        kind: outbox
        dsn: postgresql://motcua@db/motcua
        agency: 000.00.00.H30

Each connector runs in its own thread under a supervisor: a :class:`ConnectorError`
(a database or Kafka away) restarts it after a growing pause, from its stored
position; :class:`ConnectorFenced` ends it (a newer instance runs elsewhere); any
other exception is a bug: it is logged with its traceback and ends the whole run with
a non-zero exit, so that the service manager notices.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, get_args

import yaml
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from lienthong.connectors.errors import ConfigError, ConnectorError, ConnectorFenced
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.metrics import BoundMetrics, ConnectorMetrics
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout, topic_layout
from lienthong.settings import RegistryClientSettings

log = logging.getLogger("lienthong.connectors")

KINDS: Mapping[str, str] = {
    "outbox": "lienthong.connectors.sources.outbox:OutboxSource",
    "folder": "lienthong.connectors.sources.folder:FolderSource",
    "postgres-sink": "lienthong.connectors.sinks.postgres:PostgresSink",
    "webhook": "lienthong.connectors.sinks.webhook:WebhookSink",
    "national-portal": "lienthong.connectors.sinks.national_portal:NationalPortalSink",
}
"""Connector kinds and where their classes live (imported only when used)."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_TOP_KEYS = ("kafka", "registry_url", "connectors")


class ConnectorSpec(BaseModel):
    """Base of every connector spec: frozen, and unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Context:
    """What a running connector gets from the runtime."""

    name: str
    kafka: KafkaSettings
    registry_url: str
    metrics: BoundMetrics
    stop: threading.Event
    layout: TopicLayout = DEFAULT_LAYOUT
    """Topic names and how topics are made (``LIENTHONG_TOPIC_*`` for the plan's Kafka)."""


SpecT = TypeVar("SpecT", bound=ConnectorSpec)


class Connector(ABC, Generic[SpecT]):
    """A source or sink, generic in its spec: ``class FolderSource(Connector[FolderSpec])``.

    Subclasses set ``KIND`` and implement :meth:`run`; ``SPEC`` is taken from the type
    argument, so ``self.spec`` is already the connector's own spec type.
    """

    KIND: ClassVar[str]
    SPEC: ClassVar[type[ConnectorSpec]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            (spec, *_) = get_args(base) or (None,)
            if isinstance(spec, type) and issubclass(spec, ConnectorSpec):
                cls.SPEC = spec

    def __init__(self, spec: SpecT, context: Context) -> None:
        self.spec = spec
        self.context = context

    @property
    def stage(self) -> str:
        """What this connector's dead letters name as their stage: ``connect.<kind>.<name>``."""
        return f"connect.{self.KIND}.{self.context.name}"

    @abstractmethod
    def run(self) -> None:
        """Work until ``context.stop`` is set; raise ConnectorError on trouble."""

    def close(self) -> None:
        """Release what :meth:`run` left open (called after every run, even failed)."""


def connector_class(kind: str) -> type[Connector[Any]]:
    """The class of connector ``kind``; raises ConfigError for an unknown kind."""
    target = KINDS.get(kind)
    if target is None:
        close = difflib.get_close_matches(kind, list(KINDS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown connector kind {kind!r}{hint}; kinds: {', '.join(KINDS)}")
    module, _, attribute = target.partition(":")
    cls: type[Connector[Any]] = getattr(importlib.import_module(module), attribute)
    return cls


# -- specs as documentation ----------------------------------------------------------
@dataclass(frozen=True)
class SpecField:
    """One setting of a spec, as ``lienthong connect spec`` prints it."""

    name: str
    type: str
    required: bool
    default: str
    description: str


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    if annotation is SecretStr:
        return "secret"
    return text or str(annotation).replace("typing.", "").replace("pathlib.", "")


def spec_fields(spec: type[ConnectorSpec]) -> list[SpecField]:
    """Every field of ``spec`` with its type, default and description."""
    fields = []
    for name, info in spec.model_fields.items():
        required = info.is_required()
        if required:
            default = ""
        elif info.default_factory is not None:
            default = repr(info.default_factory())  # type: ignore[call-arg]
        else:
            default = "secret" if isinstance(info.default, SecretStr) else repr(info.default)
        fields.append(
            SpecField(name, _type_name(info.annotation), required, default, info.description or "")
        )
    return fields


# -- config files ----------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectorConfig:
    """One connector of a run: its unique name, kind and validated spec."""

    name: str
    kind: str
    spec: ConnectorSpec


@dataclass(frozen=True)
class Plan:
    """A whole config file, validated."""

    kafka: KafkaSettings
    registry_url: str
    connectors: tuple[ConnectorConfig, ...]


def _unknown_key_hint(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _spec_problems(where: str, spec: type[ConnectorSpec], exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"{where}: {_unknown_key_hint(loc, list(spec.model_fields))}")
        else:
            problems.append(f"{where}.{loc}: {error['msg']}")
    return problems


def parse_connector(index: int, item: Any) -> tuple[ConnectorConfig | None, list[str]]:
    """Validate one entry of ``connectors:``; return it or the problems found."""
    where = f"connectors[{index}]"
    if not isinstance(item, Mapping):
        return None, [f"{where}: expected a mapping with name, kind and settings"]
    fields = dict(item)
    name, kind = fields.pop("name", None), fields.pop("kind", None)
    if not isinstance(name, str) or not _NAME.match(name):
        return None, [f"{where}.name: a lower-case name of letters, digits, '.', '-', '_'"]
    where = f"{where} ({name})"
    if not isinstance(kind, str):
        return None, [f"{where}.kind: required, one of {', '.join(KINDS)}"]
    try:
        cls = connector_class(kind)
    except ConfigError as exc:
        return None, [f"{where}.kind: {exc}"]
    try:
        spec = cls.SPEC.model_validate(fields)
    except ValidationError as exc:
        return None, _spec_problems(where, cls.SPEC, exc)
    return ConnectorConfig(name, kind, spec), []


def parse_config(data: Any, *, source: str = "config") -> Plan:
    """Validate a config document (already parsed from YAML); raise ConfigError."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping with a 'connectors' list")
    problems = [f"{source}: {_unknown_key_hint(k, _TOP_KEYS)}" for k in data if k not in _TOP_KEYS]
    kafka_keys = data.get("kafka") or {}
    known = list(KafkaSettings.model_fields)
    problems += [
        f"{source}: kafka: {_unknown_key_hint(k, known)}" for k in kafka_keys if k not in known
    ]
    items = data.get("connectors")
    if not isinstance(items, list) or not items:
        problems.append(f"{source}: 'connectors' must list at least one connector")
        items = []
    configs: list[ConnectorConfig] = []
    for index, item in enumerate(items):
        config, found = parse_connector(index, item)
        problems += found
        if config is not None:
            configs.append(config)
    names = [c.name for c in configs]
    problems += [
        f"{source}: connector name {n!r} is used twice" for n in set(names) if names.count(n) > 1
    ]
    try:
        kafka = KafkaSettings(**kafka_keys)
    except ValidationError as exc:
        problems += [
            f"{source}: kafka.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        ]
        kafka = KafkaSettings()
    if problems:
        raise ConfigError("invalid connector config:\n  " + "\n  ".join(problems))
    registry_url = data.get("registry_url") or RegistryClientSettings().registry_url
    return Plan(kafka, str(registry_url), tuple(configs))


def load_config(path: Path) -> Plan:
    """Read and validate a YAML config file; raise ConfigError with every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML: {exc}") from exc
    return parse_config(data, source=str(path))


# -- running ---------------------------------------------------------------------------
class Runner:
    """Runs the connectors of a plan, each in a supervised thread (module docstring)."""

    def __init__(
        self,
        plan: Plan,
        registry: CollectorRegistry | None = None,
        *,
        restart_initial_s: float = 1.0,
        restart_max_s: float = 30.0,
    ) -> None:
        self.plan = plan
        self.metrics = ConnectorMetrics.create(registry)
        self.stop_event = threading.Event()
        self.failed: dict[str, str] = {}
        self._restart = (restart_initial_s, restart_max_s)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for config in self.plan.connectors:
            thread = threading.Thread(
                target=self._supervise, args=(config,), name=f"connect-{config.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for every connector to end; True if all did."""
        for thread in self._threads:
            thread.join(timeout_s)
        return not any(t.is_alive() for t in self._threads)

    def wait(self, poll_s: float = 0.5) -> None:
        """Block until stopped or every connector ended (a loop, so signals get through)."""
        while not self.stop_event.wait(poll_s):
            if not any(t.is_alive() for t in self._threads):
                return

    def _supervise(self, config: ConnectorConfig) -> None:
        bound = self.metrics.bind(config.name, config.kind)
        context = Context(
            config.name,
            self.plan.kafka,
            self.plan.registry_url,
            bound,
            self.stop_event,
            topic_layout(self.plan.kafka),
        )
        cls = connector_class(config.kind)
        pause, most = self._restart
        while not self.stop_event.is_set():
            connector = cls(config.spec, context)
            bound.up.set(1)
            try:
                connector.run()
                pause = self._restart[0]
            except ConnectorFenced as exc:
                log.error("connector %s stops: %s", config.name, exc)  # noqa: TRY400 - no trace needed
                self.failed[config.name] = str(exc)
                return
            except ConnectorError as exc:
                bound.error(type(exc).__name__)
                log.warning("connector %s restarts in %.0fs: %s", config.name, pause, exc)
                self.stop_event.wait(pause)
                pause = min(pause * 2, most)
            except Exception as exc:
                # A bug, not weather: say so loudly and end the run (exit code 1).
                log.exception("connector %s failed unexpectedly", config.name)
                self.failed[config.name] = f"{type(exc).__name__}: {exc}"
                self.stop_event.set()
                return
            finally:
                bound.up.set(0)
                connector.close()
