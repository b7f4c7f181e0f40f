"""``lienthong agencies ...``: the gateway's per-agency API keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.producers import KeyStoreError
from lienthong.producers.gateway import GatewaySettings, KeyStore

agencies_app = typer.Typer(
    help=(
        "Manage the API keys agency systems use with the ingestion gateway.\n\n"
        "A key publishes only as its own agency. Only a hash of each key is stored "
        "(LIENTHONG_GATEWAY_KEYS_PATH), so a key is shown once, when it is made.\n\n"
        "  lienthong agencies add 000.00.00.H30 --label 'one-stop-shop system'\n\n"
        "  lienthong agencies list\n\n"
        "  lienthong agencies revoke-key 3f9a0c12b7de"
    ),
    no_args_is_help=True,
)
console = Console()


def _store() -> KeyStore:
    return KeyStore(GatewaySettings().keys_path)


def _when(stamp: float | None) -> str:
    return "" if stamp is None else datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


@agencies_app.command()
def add(
    agency: Annotated[str, typer.Argument(help="Agency code, e.g. 000.00.00.H30 or SYT.")],
    label: Annotated[str, typer.Option(help="What the key is for (shown in list).")] = "",
) -> None:
    """Make a new API key for AGENCY and print it once (give it to the agency's system)."""
    store = _store()
    try:
        key, secret = store.add(agency, label)
    except KeyStoreError as exc:
        raise typer.BadParameter(str(exc), param_hint="AGENCY") from exc
    finally:
        store.close()
    console.print(f"Key {key.key_id} for agency [bold]{key.agency}[/]:")
    # The only place a secret is ever revealed: the operator must copy it now.
    typer.echo(secret.get_secret_value())
    console.print(
        "Store it now; it cannot be shown again. Use it as 'Authorization: Bearer <key>'."
    )


@agencies_app.command(name="list")
def list_keys(
    agency: Annotated[str | None, typer.Option(help="Only this agency's keys.")] = None,
) -> None:
    """List keys: id, agency, label, created, revoked (never the secrets)."""
    store = _store()
    try:
        keys = store.keys(agency)
    finally:
        store.close()
    table = Table("key id", "agency", "label", "created (UTC)", "revoked (UTC)")
    for key in keys:
        table.add_row(
            key.key_id, key.agency, key.label, _when(key.created_at), _when(key.revoked_at)
        )
    console.print(table if keys else "No keys yet: `lienthong agencies add AGENCY`.")


@agencies_app.command(name="revoke-key")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key id `lienthong agencies list` shows.")],
) -> None:
    """Revoke a key; the gateway refuses it (401) from the next request on."""
    store = _store()
    try:
        key = store.revoke(key_id)
    except KeyStoreError as exc:
        raise typer.BadParameter(str(exc), param_hint="KEY_ID") from exc
    finally:
        store.close()
    console.print(f"Key {key.key_id} of {key.agency} revoked at {_when(key.revoked_at)} UTC.")
