"""What each identity may do on Kafka, as data: the rules of least privilege.

Rules (the whole policy of the axis' Kafka side, read top to bottom):

- an agency (``agency.<code>``) writes only the ingress topics of the event types it
  may publish (``<prefix>.ingress.<code>.<type>``, creating them if missing), reads only
  the subscriber topics it was granted (``<prefix>.sub.<name>``) with consumer groups
  named ``<name>`` or ``<name>.…``, and keeps its own dead letters under
  ``<prefix>.sub.<name>.`` (what :class:`~lienthong.consumers.Subscriber` writes);
- the gateway writes (and creates) any ingress topic: it publishes as the agency whose
  API key it checked;
- the worker reads the ingress topics and its own views topic, writes the canonical,
  dead-letter and subscriber topics, owns its faust group, table changelogs and
  transactional ids (all named after its app id);
- the registry owns its one compacted topic;
- the connectors write ingress (sources), read canonical and subscriber topics (sinks)
  in groups and transactions named ``lienthong-connect.…``, own the positions topic and
  write dead letters;
- the console reads every axis topic, sees every group's offsets (lag) and the
  cluster, and replays dead letters: it writes ingress and the replay ledger;
- every service writes (and may create) the audit topic ``<prefix>.audit``, the
  security feed; agencies never do, so no agency can forge an audit event;
- the admin (``svc.admin``) is the broker's super user and needs no rule.

Nothing here talks to Kafka: :mod:`._kafka` applies these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lienthong.connectors.topics import TopicLayout
from lienthong.schemas.access import AccessFile, Agency, Service, kafka_principal
from lienthong.schemas.naming import topic_segment


class Resource(StrEnum):
    TOPIC = "TOPIC"
    GROUP = "GROUP"
    TRANSACTIONAL_ID = "TRANSACTIONAL_ID"
    CLUSTER = "CLUSTER"


class Pattern(StrEnum):
    LITERAL = "LITERAL"
    PREFIXED = "PREFIXED"


class Operation(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    CREATE = "CREATE"
    DESCRIBE = "DESCRIBE"
    DESCRIBE_CONFIGS = "DESCRIBE_CONFIGS"
    ALL = "ALL"


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule for a principal (``User:<name>``), from any host."""

    principal: str
    resource: Resource
    pattern: Pattern
    name: str
    operation: Operation

    def __str__(self) -> str:
        where = f"{self.name}*" if self.pattern is Pattern.PREFIXED else self.name
        return f"{self.operation.value:<16} {self.resource.value.lower():<16} {where}"


@dataclass(frozen=True)
class AxisNames:
    """The names the rules refer to; defaults are the axis' own settings' defaults."""

    layout: TopicLayout = field(default_factory=TopicLayout)
    worker_app_id: str = "lienthong-worker"
    registry_topic: str = "_lienthong_schemas"
    connect_prefix: str = "lienthong-connect."

    @property
    def prefix(self) -> str:
        return self.layout.prefix

    @property
    def connect_positions(self) -> str:
        return self.layout.connect_positions


_R, _W, _C, _D = Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE
_LIT, _PRE = Pattern.LITERAL, Pattern.PREFIXED
_T, _G, _X = Resource.TOPIC, Resource.GROUP, Resource.TRANSACTIONAL_ID
_CLUSTER_NAME = "kafka-cluster"


def _rules(
    principal: str, resource: Resource, pattern: Pattern, name: str, *ops: Operation
) -> list[Acl]:
    return [Acl(principal, resource, pattern, name, op) for op in ops]


def agency_acls(agency: Agency, names: AxisNames) -> list[Acl]:
    """An agency's rules: its published types' ingress, its subscriber topics and groups."""
    who = kafka_principal(agency.code)
    acls: list[Acl] = []
    for event_type in agency.publish:
        acls += _rules(who, _T, _LIT, names.layout.ingress(agency.code, event_type), _W, _C)
    for name in agency.subscribe:
        segment = topic_segment(name)
        acls += _rules(who, _T, _LIT, names.layout.subscriber(name), _R)
        acls += _rules(who, _T, _PRE, f"{names.layout.subscriber(name)}.", _R, _W, _C)
        acls += _rules(who, _G, _LIT, segment, _R)
        acls += _rules(who, _G, _PRE, f"{segment}.", _R)
    return acls


def service_acls(service: Service, names: AxisNames) -> list[Acl]:
    """A service's rules (see the module docstring for why each is needed)."""
    who = kafka_principal(service.value)
    audit = _rules(who, _T, _LIT, names.layout.audit, _W, _C)
    return audit + _own_acls(service, who, names)


def _own_acls(service: Service, who: str, names: AxisNames) -> list[Acl]:
    p = names.prefix
    ingress, events, sub = f"{p}.ingress.", f"{p}.events.", f"{p}.sub."
    deadletter = names.layout.deadletter
    if service is Service.GATEWAY:
        return _rules(who, _T, _PRE, ingress, _W, _C)
    if service is Service.WORKER:
        app = names.worker_app_id
        return [
            *_rules(who, _T, _PRE, ingress, _R, _C),
            *_rules(who, _T, _PRE, events, _R, _W, _C),
            *_rules(who, _T, _LIT, deadletter, _W, _C),
            *_rules(who, _T, _PRE, sub, _W, _C),
            *_rules(who, _T, _PRE, f"{app}-", Operation.ALL),
            *_rules(who, _G, _LIT, app, _R),
            *_rules(who, _X, _PRE, app, _W, _D),
        ]
    if service is Service.REGISTRY:
        return _rules(who, _T, _LIT, names.registry_topic, _R, _W, _C, Operation.DESCRIBE_CONFIGS)
    if service is Service.CONNECTORS:
        return [
            *_rules(who, _T, _PRE, ingress, _W, _C),
            *_rules(who, _T, _PRE, events, _R),
            *_rules(who, _T, _PRE, sub, _R),
            *_rules(who, _T, _LIT, deadletter, _W, _C),
            *_rules(who, _T, _LIT, names.connect_positions, _R, _W, _C),
            *_rules(who, _G, _PRE, names.connect_prefix, _R),
            *_rules(who, _X, _PRE, names.connect_prefix, _W, _D),
        ]
    # The console.
    return [
        *_rules(who, _T, _PRE, f"{p}.", _R),
        *_rules(who, _T, _PRE, ingress, _W),
        *_rules(who, _T, _LIT, names.layout.replay_ledger, _W, _C),
        *_rules(who, _G, _LIT, "*", _D),
        *_rules(who, Resource.CLUSTER, _LIT, _CLUSTER_NAME, _D),
    ]


def desired_acls(access: AccessFile, names: AxisNames) -> dict[str, frozenset[Acl]]:
    """Every managed principal of the file and the rules it should have (maybe none)."""
    wanted: dict[str, frozenset[Acl]] = {}
    for agency in access.agencies:
        wanted[kafka_principal(agency.code)] = frozenset(agency_acls(agency, names))
    for service in access.services:
        wanted[kafka_principal(service.value)] = frozenset(service_acls(service, names))
    return wanted


def is_managed(principal: str) -> bool:
    """Principals provisioning owns: agencies and services, never the admin."""
    return principal.startswith(("agency.", "svc.")) and principal != kafka_principal("admin")
