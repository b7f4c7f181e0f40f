"""``lienthong agencies provision|explain``: the Kafka side of the agencies file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lienthong.audit import AuditAction, open_trail
from lienthong.connectors.kafka import KafkaSettings
from lienthong.consumers.worker import WorkerSettings
from lienthong.provision import (
    AxisNames,
    ProvisionError,
    ProvisionReport,
    credential_path,
    explain_kafka,
    provision,
    read_credential,
)
from lienthong.registry import RegistrySettings
from lienthong.schemas.access import (
    ADMIN_PRINCIPAL,
    AccessError,
    AccessFile,
    AccessSettings,
    explain_http,
    load_access,
)
from lienthong.settings import CredentialsSettings

console = Console()
err_console = Console(stderr=True)

AdminCredential = Annotated[
    Path | None,
    typer.Option(
        "--admin",
        help=(
            "The admin's credential file (LIENTHONG_* lines). Default: the LIENTHONG_SASL_* "
            "settings, or else <credentials dir>/svc.admin.env, which `lienthong broker "
            "start --secure` writes."
        ),
    ),
]


def _names() -> AxisNames:
    worker = WorkerSettings()
    return AxisNames(
        layout=worker.layout(KafkaSettings()),
        worker_app_id=worker.app_id,
        registry_topic=RegistrySettings().topic,
    )


def _admin_settings(admin_file: Path | None, credentials_dir: Path) -> KafkaSettings:
    if admin_file is not None:
        return read_credential(admin_file)
    settings = KafkaSettings()
    local_admin = credential_path(credentials_dir, ADMIN_PRINCIPAL)
    if settings.sasl_username is None and local_admin.exists():
        return read_credential(local_admin)
    return settings


def _load() -> tuple[Path, AccessFile]:
    path = AccessSettings().agencies_file
    try:
        return path, load_access(path)
    except AccessError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def provision_command(admin: AdminCredential = None) -> None:
    """Give every agency and service in the agencies file its Kafka credential and ACLs.

    A SCRAM-SHA-512 credential per identity is written once to
    ~/.lienthong/credentials/<principal>.env (LIENTHONG_CREDENTIALS_DIR), mode 0600: hand
    an agency its file. ACLs follow the file exactly: re-running changes nothing; a
    grant removed from the file loses its ACL and an identity removed from it loses its
    credential, at once.

      lienthong broker start --secure && lienthong agencies provision

      lienthong agencies explain 000.00.00.H30
    """
    path, access = _load()
    credentials_dir = CredentialsSettings().credentials_dir
    settings = _admin_settings(admin, credentials_dir)
    try:
        report = provision(access, settings, credentials_dir, _names())
    except ProvisionError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    for file in report.new_credentials:
        console.print(f"credential written: {file}")
    for user in report.removed_users:
        console.print(f"credential removed: {user}")
    for acl in report.removed:
        console.print(f"- User:{acl.principal} {acl}", highlight=False)
    for acl in report.added:
        console.print(f"+ User:{acl.principal} {acl}", highlight=False)
    summary = "changed" if report.changed else "already matched"
    console.print(f"Kafka at {settings.bootstrap_servers} {summary} {path}.")
    _audit(settings, report, path)


def _audit(settings: KafkaSettings, report: ProvisionReport, path: Path) -> None:
    """Provisioning is an administrative act: it goes to the security feed."""
    detail = (
        f"provisioned {path}: {len(report.new_credentials)} credential(s) made, "
        f"{len(report.removed_users)} removed, {len(report.added)} ACL(s) added, "
        f"{len(report.removed)} removed"
    )
    trail = open_trail("cli", kafka=settings)
    trail.record(AuditAction.PROVISION, f"kafka:{settings.sasl_username or 'anonymous'}", detail)
    trail.close()
    if not getattr(trail.sink, "delivered", 1):
        console.print(
            "[yellow]warning:[/] the audit topic could not be reached; this provisioning is "
            "not in the security feed (is the schema registry running?)"
        )


def explain_command(
    code: Annotated[str, typer.Argument(help="Agency code (000.00.00.H30, SYT) or service.")],
) -> None:
    """Print what an identity may do: on Kafka (topics, groups) and over HTTP."""
    _, access = _load()
    credentials_dir = CredentialsSettings().credentials_dir
    kafka = explain_kafka(access, code, credentials_dir, _names())
    http = explain_http(access, code)
    known_kafka = not kafka[0].startswith("no agency or service")
    known_http = not http[0].startswith("no agency or operator")
    if not (known_kafka or known_http):
        err_console.print(f"[bold red]error:[/] {kafka[0]}", highlight=False)
        raise typer.Exit(1)
    lines = (kafka if known_kafka else []) + (http if known_http else [])
    for line in lines:
        console.print(line, highlight=False)
