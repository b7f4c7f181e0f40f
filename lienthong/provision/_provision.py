"""Make the cluster match the agencies file: credentials and ACLs, idempotently.

Re-running changes nothing once the cluster matches. A grant removed from the file
loses its ACL, and an identity removed from the file loses its ACLs and its SCRAM
credential, in the same run: Kafka checks ACLs on every request, so access ends at
once, even on connections already open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision._acl import Acl, AxisNames, desired_acls, is_managed
from lienthong.provision._credentials import (
    credential_path,
    credential_settings,
    new_password,
    write_credential,
)
from lienthong.provision._kafka import KafkaAccess
from lienthong.schemas.access import AccessFile, kafka_principal


@dataclass
class ProvisionReport:
    """What one run changed (all empty when the cluster already matched)."""

    new_credentials: list[Path] = field(default_factory=list)
    removed_users: list[str] = field(default_factory=list)
    added: list[Acl] = field(default_factory=list)
    removed: list[Acl] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_credentials or self.removed_users or self.added or self.removed)


def provision(
    access: AccessFile,
    kafka: KafkaSettings,
    credentials_dir: Path,
    names: AxisNames | None = None,
    *,
    prune: bool = True,
    connect: Callable[[KafkaSettings], KafkaAccess] = KafkaAccess,
) -> ProvisionReport:
    """Give every identity of ``access`` its credential and exactly its ACLs.

    ``kafka`` must authenticate as the cluster's admin. A credential is made when the
    cluster lacks the user or its file is missing (the password cannot be read back).
    With ``prune`` (the default) agencies and services absent from ``access`` lose
    their ACLs and credentials; without it only the identities in ``access`` are
    touched (several files sharing one cluster, as tests do).
    """
    wanted = desired_acls(access, names or AxisNames())
    report = ProvisionReport()
    with connect(kafka) as cluster:
        users = cluster.scram_users()
        current = cluster.acls()
        for principal in sorted(wanted):
            path = credential_path(credentials_dir, principal)
            if principal in users and path.exists():
                continue
            password = new_password()
            cluster.set_password(principal, password)
            settings = credential_settings(principal, password, kafka)
            report.new_credentials.append(write_credential(credentials_dir, settings))
        ours = {
            acl
            for acl in current
            if is_managed(acl.principal) and (prune or acl.principal in wanted)
        }
        target = set().union(*wanted.values()) if wanted else set()
        report.removed = sorted(ours - target)
        report.added = sorted(target - current)
        cluster.remove(report.removed)
        cluster.add(report.added)
        for user in sorted(users - set(wanted)):
            if prune and is_managed(user):
                cluster.delete_user(user)
                credential_path(credentials_dir, user).unlink(missing_ok=True)
                report.removed_users.append(user)
    return report


def explain_kafka(
    access: AccessFile, code: str, credentials_dir: Path, names: AxisNames | None = None
) -> list[str]:
    """What identity ``code`` (agency code or service name) may do on Kafka, in lines."""
    principal = _principal(access, code)
    if principal is None:
        return [f"no agency or service {code!r} in the agencies file"]
    acls = sorted(desired_acls(access, names or AxisNames()).get(principal, frozenset()))
    path = credential_path(credentials_dir, principal)
    held = f"credential {path}" if path.exists() else "no credential yet (run provision)"
    lines = [f"Kafka principal User:{principal} (SCRAM-SHA-512; {held})"]
    if not acls:
        lines.append("may do nothing on Kafka (no publish or subscribe grant)")
    lines += [f"may {acl}" for acl in acls]
    lines.append("everything else is denied (StandardAuthorizer, no allow-everyone)")
    return lines


def _principal(access: AccessFile, code: str) -> str | None:
    agency = access.agency(code)
    if agency is not None:
        return kafka_principal(agency.code)
    for service in access.services:
        if code in (service.value, kafka_principal(service.value)):
            return kafka_principal(service.value)
    return None
