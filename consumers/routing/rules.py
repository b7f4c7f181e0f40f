"""The routing rules file: its schema (pydantic), loading, and errors explained.

Example (``routes.yaml``)::

    version: 1
    rules:
      - name: ioc-sees-everything          # unique; shown in lt.routed_by
        match: {}                          # no condition: every event
        to: [ioc]                          # subscriber names → lienthong.sub.<name>
      - name: portal-dossier-results
        match:
          event_type: dossier.lifecycle    # one value, a list, or a glob ("dossier.*")
          status: [9, 10]                  # any of these
        to: [citizen-portal]
      - name: cdc-vi-thanh
        match: {event_type: "case.*", district: "930"}
        unless: {status: UNKNOWN}          # excluded even when `match` holds
        to: [cdc-vi-thanh]
      - name: business-dossiers-to-skhdt
        match: {event_type: dossier.lifecycle}
        payload: {LoaiDoiTuong: 2}         # opens the payload (decoded once per event)
        to: [skhdt]

Within ``match`` every named facet must hold (and), within a facet any listed value
(or). Facets are the gate's trusted headers: event_type, agency, unit, district, status,
recipients, confidentiality. An event goes to the union of the destinations of every
rule it matches, once each.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from lienthong.connectors.topics import topic_segment
from lienthong.consumers.errors import RuleProblem, RulesFileUnreadable, RulesInvalid
from lienthong.schemas.catalogue import catalogue


def _values(value: Any) -> Any:
    # One value or a list of them; numbers are compared as the text headers carry.
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, bool) or not isinstance(v, str | int) for v in items):
        raise ValueError("expected a text or number, or a list of them")
    return [str(v) for v in items]


Values = Annotated[list[str], BeforeValidator(_values), Field(min_length=1)]


class Match(BaseModel):
    """Conditions on the gate's trusted headers; a facet left out matches anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: Values | None = None
    agency: Values | None = None
    unit: Values | None = None
    district: Values | None = None
    status: Values | None = None
    recipients: Values | None = None
    confidentiality: Values | None = None

    def conditions(self) -> dict[str, list[str]]:
        """Facet → accepted values (globs allowed), for the facets this match names."""
        return {name: list(v) for name, v in self if v is not None}


class Rule(BaseModel):
    """One routing rule: when it applies, and which subscriber topics get the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)]
    description: str | None = None
    match: Match = Match()
    unless: Match | None = None
    payload: dict[str, Values] | None = None
    to: Annotated[list[str], Field(min_length=1)]

    @field_validator("to")
    @classmethod
    def _subscribers(cls, to: list[str]) -> list[str]:
        for name in to:
            topic_segment(name)  # raises ValueError with a clear message
        return list(dict.fromkeys(to))


class RulesFile(BaseModel):
    """A whole rules file: ``version: 1`` and the list of rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    rules: list[Rule]

    def subscribers(self) -> list[str]:
        """Every subscriber some rule names, in order of first mention."""
        return list(dict.fromkeys(s for rule in self.rules for s in rule.to))


def _location(loc: tuple[int | str, ...], data: Any) -> str:
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and out.endswith("]") and "name" in node:
                out += f" ({node['name']})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _catalogue_problems(rules: RulesFile) -> list[RuleProblem]:
    types = list(catalogue())
    problems: list[RuleProblem] = []
    names: set[str] = set()
    for n, rule in enumerate(rules.rules):
        where = f"rules[{n}] ({rule.name})"
        if rule.name in names:
            problems.append(RuleProblem(f"{where}.name", "another rule has this name"))
        names.add(rule.name)
        patterns = rule.match.event_type or ["*"]
        matched = [t for t in types if any(fnmatch.fnmatchcase(t, p) for p in patterns)]
        for pattern in rule.match.event_type or []:
            if not any(fnmatch.fnmatchcase(t, pattern) for t in types):
                problems.append(
                    RuleProblem(
                        f"{where}.match.event_type",
                        f"{pattern!r} matches no event type of the catalogue ({', '.join(types)})",
                    )
                )
        for path in rule.payload or {}:
            top = path.split(".")[0]
            if matched and not any(top in catalogue()[t].model.model_fields for t in matched):
                problems.append(
                    RuleProblem(
                        f"{where}.payload.{path}",
                        f"no field {top!r} in {', '.join(matched)}",
                    )
                )
    return problems


def parse_rules(data: Any, source: str = "rules") -> RulesFile:
    """Validate already-parsed YAML; raises :class:`RulesInvalid` listing every problem."""
    if data is None:
        raise RulesInvalid(source, [RuleProblem("", "the file is empty; expected `rules:`")])
    try:
        rules = RulesFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            RuleProblem(_location(e["loc"], data), e["msg"])
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise RulesInvalid(source, problems) from None
    problems = _catalogue_problems(rules)
    if problems:
        raise RulesInvalid(source, problems)
    return rules


def load_rules(path: Path) -> RulesFile:
    """Read, parse and check a rules file.

    Raises :class:`RulesFileUnreadable` or :class:`RulesInvalid`.
    """
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RulesFileUnreadable(f"cannot read rules file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileUnreadable(f"{path} is not valid YAML: {exc}") from exc
    return parse_rules(data, str(path))
