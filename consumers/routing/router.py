"""Applying routing rules to one record: destinations decided on its trusted headers.

A compiled :class:`Router` is pure: headers in, destination topics out. The payload is
opened (through a callable the caller supplies, so it is decoded once and only if
needed) just for rules with a ``payload`` condition whose header conditions held.
Decisions that need no payload are memoised per combination of the facets the rules
look at, so the common case is one dict look-up per record.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.routing.rules import Match, RulesFile
from lienthong.schemas.headers import FACET_HEADERS, MULTI_VALUED

PayloadLoader = Callable[[], Mapping[str, Any] | None]
"""Returns the decoded payload (or None when it cannot be decoded); called at most once."""

_MEMO_LIMIT = 20_000


@dataclass(frozen=True)
class Decision:
    """Where one record goes, and which rules sent it there."""

    topics: tuple[str, ...]
    rules: tuple[str, ...]


NOWHERE = Decision((), ())


class _Values:
    """Accepted values of one facet: exact ones in a set, globs tried after."""

    def __init__(self, values: list[str]) -> None:
        self.exact = frozenset(v for v in values if not _is_glob(v))
        self.globs = tuple(v for v in values if _is_glob(v))

    def accepts(self, value: str) -> bool:
        return value in self.exact or any(fnmatch.fnmatchcase(value, g) for g in self.globs)


def _is_glob(value: str) -> bool:
    return any(c in value for c in "*?[")


def _compile(match: Match) -> tuple[tuple[str, bool, _Values], ...]:
    return tuple(
        (FACET_HEADERS[facet], facet in MULTI_VALUED, _Values(values))
        for facet, values in match.conditions().items()
    )


def _holds(tests: tuple[tuple[str, bool, _Values], ...], headers: Mapping[str, bytes]) -> bool:
    for header, multi, values in tests:
        raw = headers.get(header)
        if raw is None:
            return False
        text = raw.decode("utf-8", "replace")
        if multi:
            if not any(values.accepts(part) for part in text.split(",")):
                return False
        elif not values.accepts(text):
            return False
    return True


def _lookup(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _payload_holds(tests: tuple[tuple[str, _Values], ...], payload: Mapping[str, Any]) -> bool:
    for path, values in tests:
        found = _lookup(payload, path)
        items = found if isinstance(found, list) else [found]
        if not any(item is not None and values.accepts(str(item)) for item in items):
            return False
    return True


@dataclass(frozen=True)
class _Compiled:
    name: str
    match: tuple[tuple[str, bool, _Values], ...]
    unless: tuple[tuple[str, bool, _Values], ...] | None
    payload: tuple[tuple[str, _Values], ...]
    topics: tuple[str, ...]


class Router:
    """A rules file compiled for one topic layout."""

    def __init__(self, rules: RulesFile, layout: TopicLayout) -> None:
        self.rules = rules
        self._compiled = tuple(
            _Compiled(
                name=rule.name,
                match=_compile(rule.match),
                unless=_compile(rule.unless) if rule.unless is not None else None,
                payload=tuple((p, _Values(v)) for p, v in (rule.payload or {}).items()),
                topics=tuple(layout.subscriber(s) for s in rule.to),
            )
            for rule in rules.rules
        )
        self.needs_payload = any(c.payload for c in self._compiled)
        looked_at = {t[0] for c in self._compiled for t in (*c.match, *(c.unless or ()))}
        self._memo_headers = tuple(sorted(looked_at))
        self._memo: dict[tuple[bytes | None, ...], Decision] = {}

    @property
    def topics(self) -> list[str]:
        """Every destination topic of these rules."""
        return list(dict.fromkeys(t for c in self._compiled for t in c.topics))

    def route(self, headers: Mapping[str, bytes], payload: PayloadLoader | None = None) -> Decision:
        """The destinations of a record with trusted ``headers``."""
        if not self.needs_payload:
            memo_key = tuple(headers.get(name) for name in self._memo_headers)
            decision = self._memo.get(memo_key)
            if decision is None:
                decision = self._decide(headers, None)
                if len(self._memo) >= _MEMO_LIMIT:
                    self._memo.clear()
                self._memo[memo_key] = decision
            return decision
        return self._decide(headers, payload)

    def _decide(self, headers: Mapping[str, bytes], payload: PayloadLoader | None) -> Decision:
        topics: dict[str, None] = {}
        names: list[str] = []
        opened: Mapping[str, Any] | None = None
        tried = False
        for rule in self._compiled:
            if not _holds(rule.match, headers):
                continue
            if rule.unless is not None and _holds(rule.unless, headers):
                continue
            if rule.payload:
                if not tried:
                    opened, tried = (payload() if payload else None), True
                if opened is None or not _payload_holds(rule.payload, opened):
                    continue
            names.append(rule.name)
            topics.update(dict.fromkeys(rule.topics))
        return Decision(tuple(topics), tuple(names)) if names else NOWHERE
