"""The query API: faust web views over the view tables (default http://127.0.0.1:6066).

Look-ups by key (a dossier, a feedback case) are answered by the worker holding the
key's partition (:mod:`.cluster`); another worker forwards the request there.
Aggregates (statistics, lists) need every partition, so they scatter-gather: the worker
asked computes its own part, asks every other worker holding the table for theirs
(``?scope=local``), merges (counts add up, lists concatenate) and only then sorts and
pages. All answers are JSON; lists are pages ``{items, total, limit, offset,
next_offset}`` chosen with ``?limit=`` (default 50) and ``?offset=``.

Every error is JSON (``lienthong.web``): a parameter it cannot use is a 400 naming the
``field`` and the ``rule``; an answer it cannot give right now (recovering, a partition
without a worker, a peer away) is a 503 with ``Retry-After``, never a wrong 0 or 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date
from typing import Any

import faust
from faust.web import Request, Response, View

from lienthong.consumers.views.access import CREDENTIAL_HEADERS
from lienthong.consumers.views.cluster import Unavailable, ask, owner, peers, require_settled
from lienthong.consumers.views.entities import CASES, DOCUMENTS, DOSSIERS, FEEDBACK, ZONES
from lienthong.consumers.views.query import (
    STAT_DIMENSIONS,
    active_zones,
    case_stats,
    dossier_stats,
    inbox,
    merge_rows,
    overdue_list,
    page,
    portal_dossier,
    public_feedback,
)
from lienthong.consumers.views.registry import Views
from lienthong.web import aiohttp_request_id, json_error

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000_000
"""Far beyond any list's length; bounded so no number reaches the JSON encoder unchecked."""
MAX_KEY_LENGTH = 256
"""Longest id in a path or a filter (MaHoSo, case and document ids are far shorter)."""
_DIGITS = re.compile(r"[0-9]{1,10}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameter(ValueError):
    """A parameter the API cannot use: answered 400 naming the field and the rule."""

    def __init__(self, field: str, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.field, self.rule, self.detail = field, rule, detail


def _integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(
            name,
            f"integer {low}..{high}",
            f"{name} must be an integer from {low} to {high}, not {raw[:40]!r}",
        )
    return int(raw)


def paging(query: Mapping[str, str], max_page: int) -> tuple[int, int]:
    """``(limit, offset)`` of a list request, both bounded."""
    limit = _integer(query, "limit", DEFAULT_LIMIT, 1, max_page)
    return limit, _integer(query, "offset", 0, 0, MAX_OFFSET)


def key_param(name: str, value: str | None) -> str | None:
    """An id from the path or the query, bounded in length (``None`` stays ``None``)."""
    if value is not None and not 1 <= len(value) <= MAX_KEY_LENGTH:
        raise BadParameter(
            name,
            f"1..{MAX_KEY_LENGTH} characters",
            f"{name} must have 1 to {MAX_KEY_LENGTH} characters, not {len(value)}",
        )
    return value


def day_param(query: Mapping[str, str]) -> str | None:
    """``?day=YYYY-MM-DD`` (a real calendar day) or ``None``."""
    raw = query.get("day")
    if raw is None:
        return None
    try:
        valid = _DAY.fullmatch(raw) is not None and date.fromisoformat(raw) is not None
    except ValueError:
        valid = False
    if not valid:
        raise BadParameter(
            "day", "YYYY-MM-DD", f"day must be a calendar day as YYYY-MM-DD, not {raw[:40]!r}"
        )
    return raw


def by_param(query: Mapping[str, str]) -> str:
    by = query.get("by", "agency")
    if by not in STAT_DIMENSIONS:
        raise BadParameter(
            "by",
            f"one of {'|'.join(STAT_DIMENSIONS)}",
            f"by must be one of {', '.join(STAT_DIMENSIONS)}, not {by[:40]!r}",
        )
    return by


Answer = Callable[[], Awaitable[Response]]


async def answer(request: Request, respond: Answer) -> Response:
    """``respond()``, with :class:`BadParameter` and :class:`Unavailable` as JSON errors."""
    rid = aiohttp_request_id(request)  # type: ignore[arg-type]  # faust's aiohttp request
    try:
        return await respond()
    except BadParameter as exc:
        return json_error(  # type: ignore[return-value]
            400,
            exc.detail,
            error="invalid_parameter",
            request_id=rid,
            field=exc.field,
            rule=exc.rule,
        )
    except Unavailable as exc:
        return json_error(  # type: ignore[return-value]
            503,
            exc.detail,
            request_id=rid,
            headers={"Retry-After": str(exc.retry_after_s)},
            retry_after_s=exc.retry_after_s,
        )


async def forward(app: faust.App, view: View, request: Request, url: str) -> Response:
    """Ask the worker at ``url`` the same question and relay its answer."""
    rid = aiohttp_request_id(request)  # type: ignore[arg-type]
    status, body = await ask(
        app, url, request.url.path, request.query, rid, credentials=_credentials(request)
    )
    return view.json(body, status=status)


def _credentials(request: Request) -> dict[str, str]:
    """The caller's credentials, for peers: each worker checks who asks, peers too."""
    return {name: request.headers[name] for name in CREDENTIAL_HEADERS if name in request.headers}


async def gather(
    app: faust.App, request: Request, table: Any, local: Callable[[], Any]
) -> list[Any]:
    """This worker's part, plus every peer's part unless this is itself a peer request."""
    if request.query.get("scope") == "local":
        require_settled(app)
        return [local()]
    others = peers(app, table)  # checks that every partition has a worker
    parts = [local()]
    rid = aiohttp_request_id(request)  # type: ignore[arg-type]
    for peer in others:
        query = {**request.query, "scope": "local"}
        status, body = await ask(
            app, peer, request.url.path, query, rid, credentials=_credentials(request)
        )
        if status != 200 or not isinstance(body, dict) or "part" not in body:
            raise Unavailable(f"the worker at {peer} could not give its part ({status})")
        parts.append(body["part"])
    return parts


def register_pages(app: faust.App, views: Views, clock: Callable[[], float]) -> None:
    """Add the query API's pages to ``app`` (see consumers/views/README.md)."""
    dossiers = views.tables[DOSSIERS]
    max_page = views.settings.max_page

    def now_ms() -> int:
        return int(clock() * 1000)

    def not_found(view: View, request: Request, detail: str) -> Response:
        rid = aiohttp_request_id(request)  # type: ignore[arg-type]
        return json_error(404, detail, request_id=rid)  # type: ignore[return-value]

    async def listing(
        view: View,
        request: Request,
        table: Any,
        local: Callable[[], list[Any]],
        order: Callable[[Iterable[Any]], list[Any]],
    ) -> Response:
        limit, offset = paging(request.query, max_page)
        parts = await gather(app, request, table, local)
        if request.query.get("scope") == "local":
            return view.json({"part": parts[0]})
        return view.json(page(order(row for part in parts for row in part), limit, offset))

    def merged_rows(rows: Iterable[Any]) -> dict[str, Any]:
        return merge_rows({r["key"]: {k: v for k, v in r.items() if k != "key"}} for r in rows)

    async def lookup(
        view: View,
        request: Request,
        name: str,
        *,
        field: str,
        key: str,
        render: Callable[[Mapping[str, Any]], Any],
    ) -> Response:
        """One entity by key: here, forwarded to its worker, or 404 when it has none."""
        key_param(field, key)
        elsewhere = owner(app, views.tables[name], key)
        if elsewhere is not None:
            return await forward(app, view, request, elsewhere)
        state = views.get(name, key)
        if state is None or (name == DOSSIERS and state.get("status") is None):
            return not_found(view, request, f"no {field} {key}")  # progress only: not yet
        return view.json(render(state))

    @app.page("/portal/dossiers/{ma_ho_so}")
    class PortalDossier(View):
        """A dossier's current state for the citizen portal, identity masked."""

        async def get(self, request: Request, ma_ho_so: str) -> Response:
            def render(state: Mapping[str, Any]) -> Any:
                return portal_dossier(state, now_ms())

            return await answer(
                request,
                lambda: lookup(
                    self, request, DOSSIERS, field="ma_ho_so", key=ma_ho_so, render=render
                ),
            )

    @app.page("/portal/feedback/{case_id}")
    class PortalFeedback(View):
        """A feedback case's public status (the answer once published)."""

        async def get(self, request: Request, case_id: str) -> Response:
            return await answer(
                request,
                lambda: lookup(
                    self, request, FEEDBACK, field="case_id", key=case_id, render=public_feedback
                ),
            )

    @app.page("/ioc/stats")
    class Stats(View):
        """Dossier counts by ``?by=agency|procedure|unit|status|day`` (``&day=YYYY-MM-DD``)."""

        async def get(self, request: Request) -> Response:
            async def respond() -> Response:
                by, day = by_param(request.query), day_param(request.query)

                def local() -> list[Any]:
                    tally = views.tally
                    rows = (
                        tally.stats(by, now_ms(), day=day)
                        if tally.ready
                        else dossier_stats(views.states(DOSSIERS), by, now_ms(), day=day)
                    )
                    return [{"key": k, **r} for k, r in rows.items()]

                def order(rows: Iterable[Any]) -> list[Any]:
                    merged = merged_rows(rows)
                    return [{"key": k, **merged[k]} for k in sorted(merged)]

                return await listing(self, request, dossiers, local, order)

            return await answer(request, respond)

    @app.page("/ioc/overdue")
    class Overdue(View):
        """Open dossiers past their due time now, longest overdue first."""

        async def get(self, request: Request) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (r["due_at"], r["MaHoSo"]))

            def local() -> list[Any]:
                now, tally = now_ms(), views.tally
                if not tally.ready:
                    return overdue_list(views.states(DOSSIERS), now)
                return tally.late_rows(now, lambda key: views.get(DOSSIERS, key.decode()))

            return await answer(request, lambda: listing(self, request, dossiers, local, order))

    @app.page("/ioc/cases")
    class Cases(View):
        """Epidemic cases by ward and day of first report (``?ward=``, ``?day=``)."""

        async def get(self, request: Request) -> Response:
            async def respond() -> Response:
                ward = key_param("ward", request.query.get("ward"))
                day = day_param(request.query)

                def local() -> list[Any]:
                    rows = case_stats(views.states(CASES), ward=ward, day=day)
                    return [{"key": k, **r} for k, r in rows.items()]

                def order(rows: Iterable[Any]) -> list[Any]:
                    merged = merged_rows(rows)
                    return [
                        {"ward_code": k.split("|")[0], "day": k.split("|")[1], **merged[k]}
                        for k in sorted(merged)
                    ]

                return await listing(self, request, views.tables[CASES], local, order)

            return await answer(request, respond)

    @app.page("/ioc/quarantine")
    class Quarantine(View):
        """Quarantine zones active now (opened, not lifted)."""

        async def get(self, request: Request) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (r["opened_at"], r["zone_id"]))

            def local() -> list[Any]:
                return active_zones(views.states(ZONES))

            zones = views.tables[ZONES]
            return await answer(request, lambda: listing(self, request, zones, local, order))

    @app.page("/inbox/{agency}")
    class Inbox(View):
        """Documents addressed to an agency, newest first."""

        async def get(self, request: Request, agency: str) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (-r["issued_at"], r["document_id"]))

            def local() -> list[Any]:
                return inbox(views.states(DOCUMENTS), agency)

            async def respond() -> Response:
                key_param("agency", agency)
                return await listing(self, request, views.tables[DOCUMENTS], local, order)

            return await answer(request, respond)
