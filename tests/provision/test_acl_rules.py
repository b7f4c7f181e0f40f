"""The least-privilege rules as data (no Kafka)."""

from __future__ import annotations

from pathlib import Path

from lienthong.connectors.topics import TopicLayout
from lienthong.provision import (
    Acl,
    AxisNames,
    Operation,
    Pattern,
    Resource,
    agency_acls,
    desired_acls,
    explain_kafka,
    service_acls,
)
from lienthong.provision._acl import is_managed
from lienthong.schemas.access import AccessFile, Agency, Service

NAMES = AxisNames(layout=TopicLayout("lienthong"))
H30 = Agency(code="000.00.00.H30", publish=["dossier.lifecycle"], subscribe=["ioc"])


def _topics(acls: list[Acl], operation: Operation) -> set[str]:
    return {
        a.name + ("*" if a.pattern is Pattern.PREFIXED else "")
        for a in acls
        if a.resource is Resource.TOPIC and a.operation is operation
    }


def test_an_agency_writes_only_the_ingress_of_what_it_may_publish() -> None:
    acls = agency_acls(H30, NAMES)
    assert {a.principal for a in acls} == {"agency.000.00.00.h30"}
    assert _topics(acls, Operation.WRITE) == {
        "lienthong.ingress.000.00.00.h30.dossier.lifecycle",
        "lienthong.sub.ioc.*",  # its own subscriber dead letters
    }
    assert _topics(acls, Operation.READ) == {"lienthong.sub.ioc", "lienthong.sub.ioc.*"}
    groups = {(a.name, a.pattern) for a in acls if a.resource is Resource.GROUP}
    assert groups == {("ioc", Pattern.LITERAL), ("ioc.", Pattern.PREFIXED)}
    assert not any(a.resource is Resource.CLUSTER for a in acls)


def test_an_agency_without_grants_may_do_nothing() -> None:
    assert agency_acls(Agency(code="SYT"), NAMES) == []


def test_only_the_worker_reads_ingress_and_owns_its_group() -> None:
    readers = {
        service
        for service in Service
        if any(
            a.operation is Operation.READ and a.name == "lienthong.ingress."
            for a in service_acls(service, NAMES)
        )
    }
    assert readers == {Service.WORKER}
    worker_group = {
        (s, a.name)
        for s in Service
        for a in service_acls(s, NAMES)
        if a.resource is Resource.GROUP and a.operation is Operation.READ
    }
    assert (Service.WORKER, "lienthong-worker") in worker_group
    assert all(name != "lienthong-worker" for s, name in worker_group if s is not Service.WORKER)


def test_the_admin_is_never_managed() -> None:
    wanted = desired_acls(AccessFile(agencies=[H30]), NAMES)
    assert "svc.admin" not in wanted
    assert set(wanted) >= {"agency.000.00.00.h30", "svc.worker", "svc.gateway"}
    assert not is_managed("svc.admin")
    assert is_managed("agency.syt")
    assert not is_managed("alice")


def test_explain_says_what_is_allowed_and_that_the_rest_is_denied(tmp_path: Path) -> None:
    lines = explain_kafka(AccessFile(agencies=[H30]), "000.00.00.H30", tmp_path, NAMES)
    assert lines[0].startswith("Kafka principal User:agency.000.00.00.h30")
    assert "no credential yet" in lines[0]
    assert any(
        "WRITE" in line and "ingress.000.00.00.h30.dossier.lifecycle" in line for line in lines
    )
    assert lines[-1].startswith("everything else is denied")
    assert explain_kafka(AccessFile(), "nobody", tmp_path)[0].startswith("no agency or service")
