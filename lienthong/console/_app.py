"""The administrators' console: one static page and the JSON it polls.

GET  /                         the page (no build step: plain HTML, CSS and JS)
GET  /api/overview             throughput, lag, dead letters by reason, agency health
GET  /api/series               the last hour of those figures, one point per refresh
GET  /api/deadletters?reason=  the letters of one reason (drill-down)
POST /api/deadletters/replay   {"reason": ...}: replay them to the gate (once each)
GET  /api/ioc                  dossiers by status, overdue, cases by ward (views API)
GET  /healthz, /metrics
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import httpx
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from lienthong.audit import AuditAction, AuditSettings, AuditTrail, open_trail
from lienthong.auth import (
    AccessMiddleware,
    Authenticator,
    Sessions,
)
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.console._access import console_policy
from lienthong.console._collector import Collector
from lienthong.console._security import audit_request, security_routes
from lienthong.consumers.dlq import Selection, replay
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.access import AccessSettings, AccessWatcher
from lienthong.schemas.deadletter import DeadRecord
from lienthong.schemas.reference import units_2024
from lienthong.schemas.rules.dossier_codes import status_label
from lienthong.web import error_response, install_json_errors, request_id


class ConsoleSettings(BaseSettings):
    """Where the console listens and what it reads (``LIENTHONG_CONSOLE_*``)."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_CONSOLE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    views_url: str = Field(
        default="http://127.0.0.1:6066", description="Query API of the materialized views."
    )
    topic_prefix: str | None = None  # default: LIENTHONG_TOPIC_PREFIX
    refresh_s: float = Field(default=2.0, gt=0)
    views_username: str | None = Field(
        default=None, description="Operator (role ioc_reader) the console asks the views as."
    )
    views_password: SecretStr | None = None
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs session cookies; set the same value on every console process "
        "(unset: a random one per process, so sessions end with it).",
    )
    secure_cookies: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (behind TLS)."
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=AliasChoices("LIENTHONG_REGISTRY_URL", "registry_url"),
        description="Schema registry, to read the security feed.",
    )


# Ward codes as the GSO list names them (the 2025 codes reuse one of their old units').
_UNIT_NAMES = {unit.code: unit.name for unit in units_2024()}


async def _ioc_summary(client: httpx.AsyncClient) -> dict[str, Any]:
    """Dossiers by status, open overdue dossiers and cases by ward, from the views' API."""
    stats = (await client.get("/ioc/stats", params={"by": "status", "limit": 50})).json()
    overdue = (await client.get("/ioc/overdue", params={"limit": 1})).json()
    cases = (await client.get("/ioc/cases", params={"limit": 500})).json()
    by_status = {
        f"{row['key']} {status_label(int(row['key']))}": row["dossiers"]
        for row in stats["items"]
        if str(row["key"]).isdigit()
    }
    wards: Counter[str] = Counter()
    for row in cases["items"]:
        code = str(row["ward_code"])
        wards[f"{code} {_UNIT_NAMES.get(code, '')}".strip()] += row["cases"]
    return {
        "dossiers": sum(by_status.values()),
        "by_status": by_status,
        "overdue": overdue["total"],
        "cases_by_ward": dict(wards.most_common(10)),
    }


def _letter_json(item: DeadRecord) -> dict[str, Any]:
    letter = item.letter
    return {
        "ref": item.ref,
        "reason": letter.reason,
        "field": letter.refusal.field,
        "message": letter.refusal.message,
        "agency": letter.refusal.agency,
        "source": f"{letter.source.topic}[{letter.source.partition}]@{letter.source.offset}",
        "first_seen_ms": letter.first_seen_ms,
    }


def create_app(
    kafka: KafkaSettings,
    settings: ConsoleSettings,
    metrics: AxisMetrics | None = None,
    *,
    access: AccessWatcher | None = None,
    trail: AuditTrail | None = None,
) -> Starlette:
    """The console application; its collector starts and stops with the app."""
    metrics = metrics or AxisMetrics.create()
    layout = topic_layout(kafka, prefix=settings.topic_prefix)
    trail = trail or open_trail(
        "console",
        kafka,
        metrics,
        AuditSettings(topic_prefix=layout.prefix, registry_url=settings.registry_url),
    )
    access = access or AccessWatcher(AccessSettings().agencies_file)
    auth = Authenticator(
        access,
        "console",
        trail,
        sessions=Sessions(settings.session_secret),
        challenge='Session realm="lienthong-console"',  # no Basic: browsers must not prompt
    )
    views_auth = (
        (settings.views_username, settings.views_password.get_secret_value())
        if settings.views_username and settings.views_password
        else None
    )
    collector = Collector(
        kafka,
        layout,
        metrics,
        settings.refresh_s,
        worker_metrics_url=f"{settings.views_url.rstrip('/')}/metrics",
    )
    page = resources.files("lienthong.console").joinpath("static", "index.html")

    async def index(request: Request) -> Response:
        return HTMLResponse(page.read_text("utf-8"))

    async def series(request: Request) -> Response:
        return JSONResponse(collector.series.as_json())

    async def overview(request: Request) -> Response:
        snap = collector.snapshot
        reasons = Counter(item.letter.reason for item in snap.deadletters)
        return JSONResponse(
            {
                "at": snap.at,
                "broker_up": snap.broker_up,
                "throughput": snap.throughput,
                "lag": snap.lag,
                "deadletters": dict(reasons.most_common()),
                "deadletter_total": len(snap.deadletters),
                "agencies": snap.agencies,
                "agencies_unattributed": snap.agencies_unattributed,
            }
        )

    async def deadletters(request: Request) -> Response:
        reason = request.query_params.get("reason")
        chosen = [
            _letter_json(x)
            for x in collector.snapshot.deadletters
            if reason is None or x.letter.reason == reason
        ]
        return JSONResponse({"reason": reason, "letters": chosen[-200:]})

    async def replay_reason(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(reason, str) or not reason:
            return error_response(
                422,
                'send {"reason": "<a dead-letter reason>"} to replay the letters of that reason',
                error="invalid_request",
                request_id=request_id(request),
            )
        report = await run_in_threadpool(
            replay, kafka, layout, Selection(reasons=frozenset({reason}))
        )
        detail = f"replayed {len(report.replayed)} dead letters of reason {reason}"
        audit_request(trail, request, AuditAction.REPLAY, detail, reason)
        return JSONResponse({"replayed": len(report.replayed), "already": len(report.already)})

    async def ioc(request: Request) -> Response:
        base = settings.views_url.rstrip("/")
        try:
            async with httpx.AsyncClient(base_url=base, timeout=3.0, auth=views_auth) as client:
                data = await _ioc_summary(client)
        except (httpx.HTTPError, ValueError, KeyError):
            return JSONResponse({"available": False, "url": base})
        return JSONResponse({"available": True, "url": base, "data": data})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "broker_up": collector.snapshot.broker_up})

    async def metrics_page(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        collector.start()
        try:
            yield
        finally:
            await run_in_threadpool(collector.stop)
            await run_in_threadpool(trail.close)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/overview", overview),
            Route("/api/series", series),
            Route("/api/deadletters", deadletters),
            Route("/api/deadletters/replay", replay_reason, methods=["POST"]),
            Route("/api/ioc", ioc),
            *security_routes(kafka, layout, settings, auth, trail),
            Route("/healthz", healthz),
            Route("/metrics", metrics_page),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(AccessMiddleware, authenticator=auth, policy=console_policy)
    install_json_errors(app)
    app.state.auth = auth
    app.state.collector = collector
    return app
