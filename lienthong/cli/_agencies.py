"""``lienthong agencies ...``: the agencies file — identities, grants, keys, operators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.audit import AuditAction, open_trail
from lienthong.schemas.access import (
    AccessChangeError,
    AccessError,
    AccessFile,
    AccessSettings,
    Role,
    add_key,
    grant,
    load_access,
    remove_operator,
    revoke_key,
    save_access,
    seed_access,
    set_operator,
)

agencies_app = typer.Typer(
    help=(
        "Manage the agencies file (LIENTHONG_AGENCIES_FILE, default "
        "~/.lienthong/agencies.yaml): agencies, what each may publish and read, their API "
        "keys, and the operators who run the axis.\n\n"
        "Only hashes of keys and passwords are stored, so a key is shown once, when it is "
        "made. Every change is written to the audit topic.\n\n"
        "  lienthong agencies init\n\n"
        "  lienthong agencies grant SYT --publish case.epidemic --subscribe syt\n\n"
        "  lienthong agencies add 000.00.00.H30 --label 'one-stop-shop system'\n\n"
        "  lienthong agencies list\n\n"
        "  lienthong agencies revoke-key 3f9a0c12b7de\n\n"
        "  lienthong agencies operator add admin --role admin"
    ),
    no_args_is_help=True,
)
operator_app = typer.Typer(
    help=(
        "People who run the axis: roles admin (everything), operator (replay dead "
        "letters, revoke keys), ioc_reader (read the console and IOC statistics).\n\n"
        "  lienthong agencies operator add admin --role admin\n\n"
        "  lienthong agencies operator remove alice"
    ),
    no_args_is_help=True,
)
agencies_app.add_typer(operator_app, name="operator")
console = Console()


def _path() -> Path:
    return AccessSettings().agencies_file


def _load() -> AccessFile:
    try:
        return load_access(_path())
    except AccessError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _change(apply: Callable[[AccessFile], AccessFile], param: str) -> AccessFile:
    try:
        updated = apply(_load())
    except AccessChangeError as exc:
        raise typer.BadParameter(str(exc), param_hint=param) from exc
    save_access(_path(), updated)
    return updated


def _audit(action: AuditAction, detail: str, target: str) -> None:
    """Write the change to the audit topic; say so if Kafka could not take it."""
    trail = open_trail("cli")
    trail.record(action, "cli:local", detail, target=target)
    trail.close()
    delivered = getattr(trail.sink, "delivered", 1)
    if not delivered:
        console.print(
            "[yellow]warning:[/] the audit topic could not be reached; this change is in "
            "the agencies file but not in the security feed (is Kafka running?)"
        )


def _when(stamp: datetime | None) -> str:
    return "" if stamp is None else stamp.strftime("%Y-%m-%d %H:%M")


@agencies_app.command()
def init(
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Create the agencies file with every agency of schemas/reference/agencies.csv."""
    path = _path()
    if path.exists() and not force:
        console.print(f"{path} exists; keep it, or pass --force to start again.")
        raise typer.Exit(1)
    access = seed_access()
    save_access(path, access)
    console.print(
        f"Wrote {path} with {len(access.agencies)} agencies. Next: grant what each may "
        "publish (`lienthong agencies grant CODE --publish TYPE`), add an admin "
        "(`lienthong agencies operator add admin --role admin`)."
    )


@agencies_app.command()
def add(
    agency: Annotated[str, typer.Argument(help="Agency code, e.g. 000.00.00.H30 or SYT.")],
    label: Annotated[str, typer.Option(help="What the key is for (shown in list).")] = "",
) -> None:
    """Make a new API key for AGENCY and print it once (give it to the agency's system).

    An agency not yet in the file is added (without grants).
    """
    made: list[tuple[str, str]] = []

    def apply(access: AccessFile) -> AccessFile:
        updated, key, secret = add_key(access, agency, label)
        made.append((key.id, secret.get_secret_value()))
        return updated

    _change(apply, "AGENCY")
    key_id, secret = made[0]
    console.print(f"Key {key_id} for agency [bold]{agency}[/]:")
    # The only place a secret is ever revealed: the operator must copy it now.
    typer.echo(secret)
    console.print(
        "Store it now; it cannot be shown again. Use it as 'Authorization: Bearer <key>'."
    )
    _audit(AuditAction.KEY_ADDED, f"API key {key_id} added for agency {agency}", key_id)


@agencies_app.command(name="list")
def list_agencies(
    agency: Annotated[str | None, typer.Option(help="Only this agency.")] = None,
) -> None:
    """Agencies with their grants and keys (never secrets), then operators."""
    access = _load()
    chosen = [a for a in access.agencies if agency is None or a.code == agency]
    if not chosen:
        console.print("No agencies yet: `lienthong agencies init`.")
        return
    table = Table("agency", "name", "publishes", "subscribes")
    for found in chosen:
        table.add_row(found.code, found.name, ", ".join(found.publish), ", ".join(found.subscribe))
    console.print(table)
    keys = Table("key id", "agency", "label", "created (UTC)", "revoked (UTC)")
    keys.columns[0].no_wrap = True
    for found in chosen:
        for key in found.keys:
            keys.add_row(
                key.id, found.code, key.label, _when(key.created_at), _when(key.revoked_at)
            )
    console.print(keys if keys.row_count else "No API keys yet: `lienthong agencies add CODE`.")
    if agency is None and access.operators:
        operators = Table("operator", "roles")
        for operator in access.operators:
            operators.add_row(operator.name, ", ".join(r.value for r in operator.roles))
        console.print(operators)


@agencies_app.command(name="revoke-key")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id `lienthong agencies list` shows.")],
) -> None:
    """Revoke a key; every service refuses it (401) from its next request on."""
    done: list[str] = []

    def apply(access: AccessFile) -> AccessFile:
        updated, owner, key = revoke_key(access, key_id)
        done.append(f"Key {key.id} of {owner.code} revoked at {_when(key.revoked_at)} UTC.")
        return updated

    _change(apply, "KEY_ID")
    console.print(done[0])
    _audit(AuditAction.KEY_REVOKED, done[0], key_id)


@agencies_app.command(name="grant")
def grant_rights(
    agency: Annotated[str, typer.Argument(help="Agency code.")],
    publish: Annotated[
        list[str] | None, typer.Option(help="Event type it may publish (repeatable).")
    ] = None,
    subscribe: Annotated[
        list[str] | None, typer.Option(help="Subscriber topic it may read (repeatable).")
    ] = None,
    revoke_: Annotated[
        bool, typer.Option("--revoke", help="Take these rights away instead.")
    ] = False,
) -> None:
    """Let AGENCY publish event types and read subscriber topics (or, with --revoke, not).

    Run `lienthong agencies provision` afterwards so the broker's ACLs follow.
    """
    changed: list[str] = []

    def apply(access: AccessFile) -> AccessFile:
        updated, found = grant(access, agency, publish=publish, subscribe=subscribe, revoke=revoke_)
        changed.append(
            f"{found.code} publishes [{', '.join(found.publish)}], "
            f"subscribes [{', '.join(found.subscribe)}]"
        )
        return updated

    _change(apply, "AGENCY")
    console.print(changed[0])
    _audit(AuditAction.GRANT_CHANGED, changed[0], agency)


@operator_app.command(name="add")
def operator_add(
    name: Annotated[str, typer.Argument(help="Sign-in name, e.g. admin or nguyen.van.a.")],
    role: Annotated[
        list[Role], typer.Option(help="Role (repeatable): admin, operator, ioc_reader.")
    ],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            confirmation_prompt=True,
            hide_input=True,
            envvar="LIENTHONG_OPERATOR_PASSWORD",
            help="Asked for when not given (or from LIENTHONG_OPERATOR_PASSWORD).",
        ),
    ],
) -> None:
    """Add operator NAME (or replace its roles and password). Only a scrypt hash is kept."""
    _change(lambda access: set_operator(access, name, role, password)[0], "NAME")
    roles = ", ".join(r.value for r in role)
    console.print(f"Operator {name} can sign in with roles {roles}.")
    _audit(AuditAction.OPERATOR_CHANGED, f"operator {name} set with roles {roles}", name)


@operator_app.command(name="remove")
def operator_remove(
    name: Annotated[str, typer.Argument(help="The operator to remove.")],
) -> None:
    """Remove operator NAME: its sessions and passwords stop working at once."""
    _change(lambda access: remove_operator(access, name), "NAME")
    console.print(f"Operator {name} removed.")
    _audit(AuditAction.OPERATOR_CHANGED, f"operator {name} removed", name)
