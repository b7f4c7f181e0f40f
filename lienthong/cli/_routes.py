"""``lienthong routes check FILE``: validate a routing rules file and explain errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.consumers.errors import RulesFileUnreadable, RulesInvalid
from lienthong.consumers.routing import load_rules

console = Console()

routes_app = typer.Typer(
    help=(
        "Routing rules: which subscriber topics get which events.\n\n"
        "The worker reads them with --rules FILE and reloads the file when it changes.\n\n"
        "  lienthong routes check routes.yaml"
    ),
    no_args_is_help=True,
)


@routes_app.command()
def check(
    path: Annotated[Path, typer.Argument(help="The rules file (YAML).", show_default=False)],
) -> None:
    """Check a rules file: schema, unique names, event types and payload fields.

    Prints each problem with where it is (``rules[2] (name).match.status``) and exits 1,
    or prints the rules and the subscriber topics they fill. Example file:

      version: 1
      rules:
        - name: portal-dossier-results
          match: {event_type: dossier.lifecycle, status: [9, 10]}
          to: [citizen-portal]

    Facets: event_type, agency, unit, district, status, recipients, confidentiality
    (one value, a list, or a glob such as "case.*"); `unless:` excludes, `payload:`
    matches payload fields (the payload is then decoded).
    """
    try:
        rules = load_rules(path)
    except RulesFileUnreadable as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except RulesInvalid as exc:
        console.print(f"[bold red]{path} is not valid[/] ({len(exc.problems)} problem(s)):")
        for problem in exc.problems:
            console.print(
                f"  [yellow]{problem.location or '(file)'}[/]: {problem.message}", highlight=False
            )
        raise typer.Exit(1) from None
    table = Table(title=f"{path}: {len(rules.rules)} rule(s), valid")
    for column in ("rule", "when", "unless", "payload", "to"):
        table.add_column(column)
    for rule in rules.rules:
        table.add_row(
            rule.name,
            _conditions(rule.match.conditions()) or "every event",
            _conditions(rule.unless.conditions()) if rule.unless else "",
            _conditions(rule.payload or {}),
            ", ".join(rule.to),
        )
    console.print(table)


def _conditions(conditions: dict[str, list[str]]) -> str:
    return "; ".join(f"{k} ∈ {{{', '.join(v)}}}" for k, v in conditions.items())
