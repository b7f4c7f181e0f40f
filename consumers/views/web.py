"""The query API: faust web views over the view tables (default http://127.0.0.1:6066).

Look-ups by key (a dossier, a feedback case) are routed like faust's ``table_route``,
but with the partition computed here (Kafka's murmur2 partitioner, as every producer of
the axis uses) rather than from the faust producer's metadata, which does not know a
changelog topic until it has written to it (after a restart: a 500). A worker that does
not hold the key's partition forwards the request to the one that does.
Aggregates (statistics, lists) need every partition, so they scatter-gather: the worker
asked computes its own part, asks every other worker holding the table for theirs
(``?scope=local``), merges (counts add up, lists concatenate) and only then sorts and
pages. All answers are JSON; lists are pages ``{items, total, limit, offset,
next_offset}`` chosen with ``?limit=`` (default 50) and ``?offset=``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.web import Request, Response, View
from yarl import URL

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
from lienthong.consumers.views.tables import Views

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 50


class BadRequest(ValueError):
    """A query parameter the API cannot use; answered with 400 and the reason."""


def _paging(request: Request, max_page: int) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", DEFAULT_LIMIT))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        raise BadRequest("limit and offset must be integers") from None
    if not 1 <= limit <= max_page or offset < 0:
        raise BadRequest(f"limit must be 1..{max_page} and offset ≥ 0")
    return limit, offset


def _peers(app: faust.App, table: Any) -> list[str]:
    """Web URLs of the other workers holding partitions of ``table``."""
    try:
        hosts = app.router.table_metadata(table.name)
    except KeyError:
        return []  # no assignment known yet: this worker is all there is
    own = str(app.conf.canonical_url).rstrip("/")
    return [str(url) for url in hosts if str(url).rstrip("/") != own]


async def _gather(app: faust.App, request: Request, table: Any, local: Any) -> list[Any]:
    """This worker's part, plus every peer's part unless this is itself a peer request."""
    parts = [local]
    if request.query.get("scope") == "local":
        return parts
    for peer in _peers(app, table):
        query = {**request.query, "scope": "local"}
        url = URL(peer).with_path(request.url.path).with_query(query)
        async with app.http_client.get(url) as response:
            response.raise_for_status()
            parts.append((await response.json())["part"])
    return parts


def owner(app: faust.App, table: Any, key: str) -> str | None:
    """The web URL of the worker holding ``key``'s partition; None when it is this one."""
    partitions = table.partitions or app.conf.topic_partitions
    partition = (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
    topic = table.changelog_topic.get_topic_name()
    own = str(app.conf.canonical_url).rstrip("/")
    try:
        hosts = app.router.table_metadata(table.name)
    except KeyError:
        return None
    for url, topics in hosts.items():
        if partition in topics.get(topic, ()):
            return None if str(url).rstrip("/") == own else str(url)
    return None  # unassigned (rebalancing): answer from what this worker has


async def forward(app: faust.App, view: View, request: Request, url: str) -> Response:
    """Ask the worker at ``url`` the same question and relay its answer."""
    target = URL(url).with_path(request.url.path).with_query(dict(request.query))
    async with app.http_client.get(target) as response:
        return view.json(await response.json(), status=response.status)


def register_pages(app: faust.App, views: Views, clock: Callable[[], float]) -> None:
    """Add the query API's pages to ``app`` (see consumers/views/README.md)."""
    dossiers, feedback = views.tables[DOSSIERS], views.tables[FEEDBACK]
    max_page = views.settings.max_page

    def now_ms() -> int:
        return int(clock() * 1000)

    def error(view: View, status: int, message: str) -> Response:
        return view.json({"error": message}, status=status)

    async def listing(
        view: View,
        request: Request,
        table: Any,
        local: Callable[[], list[Any]],
        order: Callable[[Iterable[Any]], list[Any]],
    ) -> Response:
        try:
            limit, offset = _paging(request, max_page)
        except BadRequest as exc:
            return error(view, 400, str(exc))
        parts = await _gather(app, request, table, local())
        if request.query.get("scope") == "local":
            return view.json({"part": parts[0]})
        return view.json(page(order(row for part in parts for row in part), limit, offset))

    @app.page("/portal/dossiers/{ma_ho_so}")
    class PortalDossier(View):
        """A dossier's current state for the citizen portal, identity masked."""

        async def get(self, request: Request, ma_ho_so: str) -> Response:
            elsewhere = owner(app, dossiers, ma_ho_so)
            if elsewhere is not None:
                return await forward(app, self, request, elsewhere)
            state = views.get(DOSSIERS, ma_ho_so)
            if state is None or state.get("status") is None:
                return error(self, 404, f"no dossier {ma_ho_so}")
            return self.json(portal_dossier(state, now_ms()))

    @app.page("/portal/feedback/{case_id}")
    class PortalFeedback(View):
        """A feedback case's public status (the answer once published)."""

        async def get(self, request: Request, case_id: str) -> Response:
            elsewhere = owner(app, feedback, case_id)
            if elsewhere is not None:
                return await forward(app, self, request, elsewhere)
            state = views.get(FEEDBACK, case_id)
            if state is None:
                return error(self, 404, f"no feedback case {case_id}")
            return self.json(public_feedback(state))

    @app.page("/ioc/stats")
    class Stats(View):
        """Dossier counts by ``?by=agency|procedure|unit|status|day`` (``&day=YYYY-MM-DD``)."""

        async def get(self, request: Request) -> Response:
            by = request.query.get("by", "agency")
            if by not in STAT_DIMENSIONS:
                return error(self, 400, f"by must be one of {', '.join(STAT_DIMENSIONS)}")
            day = request.query.get("day")

            def local() -> list[Any]:
                rows = dossier_stats(views.states(DOSSIERS), by, now_ms(), day=day)
                return [{"key": k, **r} for k, r in rows.items()]

            def order(rows: Iterable[Any]) -> list[Any]:
                merged = merge_rows(
                    {r["key"]: {k: v for k, v in r.items() if k != "key"}} for r in rows
                )
                return [{"key": k, **merged[k]} for k in sorted(merged)]

            return await listing(self, request, dossiers, local, order)

    @app.page("/ioc/overdue")
    class Overdue(View):
        """Open dossiers past their due time now, longest overdue first."""

        async def get(self, request: Request) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (r["due_at"], r["MaHoSo"]))

            return await listing(
                self,
                request,
                dossiers,
                lambda: overdue_list(views.states(DOSSIERS), now_ms()),
                order,
            )

    @app.page("/ioc/cases")
    class Cases(View):
        """Epidemic cases by ward and day of first report (``?ward=``, ``?day=``)."""

        async def get(self, request: Request) -> Response:
            ward, day = request.query.get("ward"), request.query.get("day")

            def local() -> list[Any]:
                rows = case_stats(views.states(CASES), ward=ward, day=day)
                return [{"key": k, **r} for k, r in rows.items()]

            def order(rows: Iterable[Any]) -> list[Any]:
                merged = merge_rows(
                    {r["key"]: {k: v for k, v in r.items() if k != "key"}} for r in rows
                )
                return [
                    {"ward_code": k.split("|")[0], "day": k.split("|")[1], **merged[k]}
                    for k in sorted(merged)
                ]

            return await listing(self, request, views.tables[CASES], local, order)

    @app.page("/ioc/quarantine")
    class Quarantine(View):
        """Quarantine zones active now (opened, not lifted)."""

        async def get(self, request: Request) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (r["opened_at"], r["zone_id"]))

            return await listing(
                self, request, views.tables[ZONES], lambda: active_zones(views.states(ZONES)), order
            )

    @app.page("/inbox/{agency}")
    class Inbox(View):
        """Documents addressed to an agency, newest first."""

        async def get(self, request: Request, agency: str) -> Response:
            def order(rows: Iterable[Any]) -> list[Any]:
                return sorted(rows, key=lambda r: (-r["issued_at"], r["document_id"]))

            return await listing(
                self,
                request,
                views.tables[DOCUMENTS],
                lambda: inbox(views.states(DOCUMENTS), agency),
                order,
            )
