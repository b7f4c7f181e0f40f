"""``lienthong schemas ...``: the catalogue against a schema registry."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lienthong.audit import AuditEvent, audit_schema
from lienthong.connectors.topics import DEFAULT_LAYOUT, canonical_topic, ingress_topic
from lienthong.schemas.access import AccessFile, AccessSettings, load_access
from lienthong.schemas.catalogue import by_full_name, catalogue
from lienthong.schemas.errors import RegistryRequestError
from lienthong.schemas.registry_client import RegistryClient
from lienthong.settings import RegistryClientSettings

schemas_app = typer.Typer(
    help=(
        "Register and check the event contracts (schemas/avro/*.avsc) against the schema "
        "registry (LIENTHONG_REGISTRY_URL, default http://127.0.0.1:8081).\n\n"
        "Subjects are named by topic: the canonical topic of each event type, "
        "e.g. lienthong.events.dossier.lifecycle-value.\n\n"
        "Before publishing a changed contract:\n\n"
        "  lienthong schemas check my/DossierLifecycle.avsc   (exit 1 if incompatible)\n\n"
        "  lienthong schemas diff my/DossierLifecycle.avsc"
    ),
    no_args_is_help=True,
)
console = Console()

RegistryOption = Annotated[
    str | None, typer.Option("--registry", help="Registry URL (default LIENTHONG_REGISTRY_URL).")
]
SubjectOption = Annotated[
    str | None,
    typer.Option("--subject", help="Subject to compare with (default: by the record's topic)."),
]


def _client(url: str | None) -> RegistryClient:
    settings = RegistryClientSettings()
    return RegistryClient(url or settings.registry_url, auth=settings.registry_auth)


def subject_for(event_type: str) -> str:
    """The subject of an event type under the topic-name strategy."""
    return f"{canonical_topic(event_type)}-value"


def _load_avsc(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path} is not a readable JSON schema: {exc}") from exc
    return json.dumps(schema, ensure_ascii=False), schema


def _subject_of_file(schema: dict[str, Any], subject: str | None) -> str:
    if subject:
        return subject
    name = schema.get("name", "")
    full = name if "." in name else f"{schema.get('namespace', '')}.{name}"
    return subject_for(by_full_name(full).event_type)


def register_all(client: RegistryClient, access: AccessFile) -> list[tuple[str, str, int]]:
    """Register the catalogue (canonical subjects), the audit contract, and each event
    type under every ingress subject an agency of ``access`` is granted: agencies'
    producers then only look their schemas up, which needs no admin rights.

    Returns (event type, subject, id) rows.
    """
    rows = []
    for name, entry in catalogue().items():
        subject = subject_for(name)
        rows.append((name, subject, client.register(subject, entry.schema_str)))
    audit = f"{DEFAULT_LAYOUT.audit}-value"
    rows.append((AuditEvent.EVENT_TYPE, audit, client.register(audit, audit_schema())))
    for agency in access.agencies:
        for name in agency.publish:
            subject = f"{ingress_topic(agency.code, name)}-value"
            schema = catalogue()[name].schema_str
            rows.append((name, subject, client.register(subject, schema)))
    return rows


@schemas_app.command("register")
def register(registry: RegistryOption = None) -> None:
    """Register every event type of the catalogue under its canonical topic's subject,
    the security feed's contract under the audit topic's, and each event type an
    agency may publish (agencies file) under its ingress topic's subject.

    New schemas need an admin operator: set LIENTHONG_REGISTRY_USERNAME and
    LIENTHONG_REGISTRY_PASSWORD (see `lienthong agencies operator add`).
    """
    table = Table("event type", "subject", "id")
    access = load_access(AccessSettings().agencies_file)
    with _client(registry) as client:
        for name, subject, schema_id in register_all(client, access):
            table.add_row(name, subject, str(schema_id))
    console.print(table)


@schemas_app.command("list")
def list_subjects(registry: RegistryOption = None) -> None:
    """List the registry's subjects with their latest version and schema id."""
    table = Table("subject", "version", "id")
    with _client(registry) as client:
        for subject in sorted(client.subjects()):
            schema_id, version, _ = client.latest(subject)
            table.add_row(subject, str(version), str(schema_id))
    console.print(table)


@schemas_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A changed .avsc file.", exists=True)],
    subject: SubjectOption = None,
    registry: RegistryOption = None,
) -> None:
    """Check a changed .avsc against the registry's compatibility rule for its subject.

    Exits 0 when it may be registered, 1 (with the reasons) when it may not.
    """
    text, schema = _load_avsc(file)
    target = _subject_of_file(schema, subject)
    with _client(registry) as client:
        try:
            ok, reasons = client.check_compatibility(target, text)
        except RegistryRequestError as exc:
            if exc.error_code == 40401:
                console.print(f"{target} does not exist yet: any valid schema may be registered.")
                return
            raise
    if ok:
        console.print(f"[green]compatible[/] with {target}")
        return
    console.print(f"[red]incompatible[/] with {target}:")
    for reason in reasons:
        console.print(f"  - {reason}", highlight=False, markup=False)
    raise typer.Exit(1)


@schemas_app.command("diff")
def diff(
    file: Annotated[Path, typer.Argument(help="A changed .avsc file.", exists=True)],
    subject: SubjectOption = None,
    registry: RegistryOption = None,
) -> None:
    """Show how an .avsc differs from the latest version registered for its subject."""
    _, schema = _load_avsc(file)
    target = _subject_of_file(schema, subject)
    with _client(registry) as client:
        _, version, registered = client.latest(target)
    before = json.dumps(json.loads(registered), indent=2, ensure_ascii=False).splitlines()
    after = json.dumps(schema, indent=2, ensure_ascii=False).splitlines()
    lines = list(
        difflib.unified_diff(before, after, f"{target} v{version}", str(file), lineterm="")
    )
    # Plain output: a diff must not be re-wrapped to the terminal's width.
    typer.echo("\n".join(lines) if lines else "no difference")
