"""The HTTP ingestion gateway: JSON events in, Avro on the agency's ingress topics out.

    POST /v1/events         one event                    → 200 (or 202 when spooled)
    POST /v1/events/batch   {"events": [...]} (≤ max)    → 200 with one result per item
    GET  /healthz /readyz /metrics /docs

Checks, in order, each answered before anything is produced:
401 no or unknown key · 413 body or batch too large · 422 invalid (every field error,
per item) · 403 an event whose ``source_agency`` is not the key's agency or whose type the agency
may not publish · 429 over
the agency's rate (``Retry-After``). A batch is all or nothing up to here: one bad item
refuses the whole request, listing every bad item, so a client never has to work out
which half of a batch went through.

Keys, and the event types each agency may publish, come from the agencies file
(``LIENTHONG_AGENCIES_FILE``, checked by :mod:`lienthong.auth`); every 401 and 403 is
on the security feed.

Past the checks each item has its own outcome (``produced``, ``duplicate`` of an
earlier POST, ``spooled``, ``failed``, ``conflict``, ``busy``). The response is 200
when every item is produced or a duplicate, 202 when some are spooled, 409 for
conflicts, and 503 (``Retry-After``) when Kafka did not take some: re-POSTing the same
body is then safe, since items already produced answer as duplicates.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from lienthong.audit import AuditAction, AuditSettings, AuditTrail, open_trail
from lienthong.auth import AN_AGENCY, AccessMiddleware, Authenticator, Requirement, identity_of
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.producers._encoding import EventEncoder
from lienthong.producers._errors import FieldError, InvalidEvent, ProducerError
from lienthong.producers.gateway._body import (
    BodyInvalid,
    batch_adapter,
    openapi_schemas,
    parse_batch,
    parse_single,
)
from lienthong.producers.gateway._idempotency import IdempotencyStore
from lienthong.producers.gateway._ingest import Ingestor, ItemResult, batch_json
from lienthong.producers.gateway._ratelimit import RateLimiter
from lienthong.producers.gateway._settings import GatewaySettings
from lienthong.producers.gateway._sink import AioKafkaSink, PublisherSink, Sink
from lienthong.schemas.access import AccessSettings, AccessWatcher
from lienthong.schemas.errors import RegistryError
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import RegistryClient, SchemaRegistry
from lienthong.web import error_body, error_name, install_json_errors, request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]
_ROUTES = {"/v1/events", "/v1/events/batch", "/healthz", "/readyz", "/metrics"}
_PUBLISH = frozenset({"/v1/events", "/v1/events/batch"})


def _policy(method: str, path: str) -> Requirement | None:
    """Publishing needs an agency's key; health, metrics and the docs are open."""
    return AN_AGENCY if method == "POST" and path in _PUBLISH else None


class _Problem(Exception):
    """An answer other than success, raised inside a handler; ``error`` is its stable id."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        *,
        error: str | None = None,
    ):
        super().__init__(body.get("detail", ""))
        self.status = status
        self.error = error or error_name(status)
        self.body = body
        self.headers = headers or {}


def _timed(app: ASGIApp, metrics: AxisMetrics) -> ASGIApp:
    """Pure ASGI middleware: request duration by route, method and status."""

    async def middleware(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            path = scope.get("path", "")
            route = path if path in _ROUTES else "other"  # bounded label values
            metrics.http_duration.labels(
                "gateway", route, scope.get("method", ""), str(status[0])
            ).observe(time.perf_counter() - began)

    return middleware


class Gateway:
    """The gateway's state: identities, limits, idempotency, encoder and Kafka sink."""

    def __init__(
        self,
        kafka: KafkaSettings,
        settings: GatewaySettings,
        *,
        registry: SchemaRegistry | None = None,
        sink: Sink | None = None,
        metrics: AxisMetrics | None = None,
        access: AccessWatcher | None = None,
        trail: AuditTrail | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or AxisMetrics.create()
        self.registry = registry or RegistryClient(settings.registry_url)
        self.trail = trail or open_trail(
            "gateway", kafka, self.metrics, AuditSettings(registry_url=settings.registry_url)
        )
        self.auth = Authenticator(
            access or AccessWatcher(AccessSettings().agencies_file), "gateway", self.trail
        )
        self.limiter = RateLimiter(settings.rate_per_s, settings.burst)
        self.store = IdempotencyStore(settings.idempotency_path, ttl_s=settings.idempotency_ttl_s)
        self.layout = topic_layout(kafka)
        if sink is None:
            sink = (
                AioKafkaSink(kafka, settings, self.layout)
                if settings.producer == "aiokafka"
                else PublisherSink(kafka, settings, self.registry, self.layout)
            )
        self.sink = sink
        encoder = EventEncoder(self.registry, self.layout)
        self.ingestor = Ingestor(encoder, self.store, sink, self.metrics)
        self.batch = batch_adapter(settings.max_batch)

    async def close(self) -> None:
        await self.sink.close()
        self.store.close()
        self.trail.close()
        if isinstance(self.registry, RegistryClient):
            self.registry.close()

    # -- the checks ------------------------------------------------------------------
    def agency(self, request: Request) -> str:
        """The code of the agency whose key the request carries (the middleware checked it)."""
        identity = identity_of(request)
        if identity is None:  # unreachable behind AccessMiddleware; fail closed anyway
            raise _Problem(401, {"detail": "an agency's API key is needed"})
        return identity.name

    async def body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise self._too_large(f"body of {declared} bytes exceeds {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:  # a chunked body that lied or said nothing
                raise self._too_large(f"body exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, detail: str) -> _Problem:
        return _Problem(
            413,
            {
                "detail": f"{detail}; split it into smaller batches "
                f"(at most {self.settings.max_batch} events)"
            },
        )

    def invalid(self, exc: BodyInvalid) -> _Problem:
        if exc.too_many:
            return self._too_large(f"more than {self.settings.max_batch} events in one batch")
        for errors in exc.items.values():
            for error in errors:
                self.metrics.validation_failures.labels(error.rule).inc()
        items = [
            {"index": index, "errors": [e.as_dict() for e in errors]}
            for index, errors in sorted(
                exc.items.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0)
            )
        ]
        return _Problem(
            422,
            {"detail": "invalid event(s); nothing was produced", "items": items},
            error="invalid_event",
        )

    def authorise(self, request: Request, agency: str, events: list[EventModel]) -> None:
        """Each event must be the key's agency's own, of a type it may publish."""
        wrong = [
            {"index": i, "source_agency": e.envelope.source_agency}
            for i, e in enumerate(events)
            if e.envelope.source_agency != agency
        ]
        if wrong:
            self._refuse(
                request,
                agency,
                "wrong_agency",
                f"this key publishes for agency {agency!r} only; nothing was produced",
                wrong,
            )
        found = self.auth.access.current().agency(agency)
        granted = set(found.publish) if found is not None else set()
        ungranted = [
            {"index": i, "event_type": e.EVENT_TYPE}
            for i, e in enumerate(events)
            if e.EVENT_TYPE not in granted
        ]
        if ungranted:
            types = ", ".join(sorted({str(u["event_type"]) for u in ungranted}))
            self._refuse(
                request,
                agency,
                "not_granted",
                f"agency {agency!r} may not publish {types} (grant it with "
                f"`lienthong agencies grant {agency} --publish TYPE`); nothing was produced",
                ungranted,
            )

    def _refuse(
        self,
        request: Request,
        agency: str,
        reason: str,
        detail: str,
        items: list[dict[str, object]],
    ) -> None:
        client = request.client.host if request.client else None
        self.trail.record(
            AuditAction.REQUEST_REFUSED,
            f"agency:{agency}",
            detail,
            target=f"{request.method} {request.url.path}",
            reason=reason,
            client=client,
            metric_identity=f"agency:{agency}",
        )
        raise _Problem(403, {"reason": reason, "detail": detail, "items": items})

    def limit(self, agency: str, count: int) -> None:
        wait = self.limiter.take(agency, count)
        if wait > 0:
            raise _Problem(
                429,
                {"detail": f"rate limit of {self.settings.rate_per_s:g} events/s for {agency}"},
                {"Retry-After": str(math.ceil(wait))},
            )

    async def produce(self, events: list[EventModel]) -> list[ItemResult]:
        try:
            return await self.ingestor.ingest(events)
        except InvalidEvent as exc:
            raise self.invalid(BodyInvalid({None: exc.errors})) from exc
        except ProducerError as exc:  # the registry or Kafka is away
            raise _Problem(503, {"detail": str(exc)}, {"Retry-After": "5"}) from exc


def _status(results: list[ItemResult]) -> tuple[int, dict[str, str]]:
    statuses = {r.status for r in results}
    if statuses & {"failed", "busy"}:
        return 503, {"Retry-After": "1"}
    if "conflict" in statuses:
        return 409, {}
    if "spooled" in statuses:
        return 202, {}
    return 200, {}


def _answer(problem: _Problem, request: Request) -> JSONResponse:
    rest = {k: v for k, v in problem.body.items() if k != "detail"}
    body = error_body(
        problem.status, problem.error, problem.body["detail"], request_id(request), **rest
    )
    return JSONResponse(body, problem.status, headers=problem.headers)


def create_app(
    kafka: KafkaSettings | None = None,
    settings: GatewaySettings | None = None,
    *,
    registry: SchemaRegistry | None = None,
    sink: Sink | None = None,
    metrics: AxisMetrics | None = None,
    access: AccessWatcher | None = None,
    trail: AuditTrail | None = None,
) -> FastAPI:
    """The gateway as an ASGI app (``uvicorn`` serves it; tests may too)."""
    gw = Gateway(
        kafka or KafkaSettings(),
        settings or GatewaySettings(),
        registry=registry,
        sink=sink,
        metrics=metrics,
        access=access,
        trail=trail,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await gw.close()

    app = FastAPI(
        title="lienthong ingestion gateway",
        version="1",
        description=(__doc__ or "").split("\n\n", 1)[1],
        lifespan=lifespan,
    )
    app.state.gateway = gw
    schemas, definitions = openapi_schemas()

    _routes(app, gw, schemas)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(definitions)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(AccessMiddleware, authenticator=gw.auth, policy=_policy)
    app.add_middleware(_TimedMiddleware, metrics=gw.metrics)
    install_json_errors(app)  # outermost: its JSON 500s are timed as 500s too
    return app


def _body_doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _routes(app: FastAPI, gw: Gateway, schemas: dict[str, Any]) -> None:
    @app.post("/v1/events", openapi_extra=_body_doc(schemas["single"]), tags=["events"])
    async def publish_one(request: Request) -> Response:
        """Publish one event as the key's agency; answers its topic, partition and offset."""
        try:
            agency = gw.agency(request)
            try:
                event = parse_single(await gw.body(request))
            except BodyInvalid as exc:
                raise gw.invalid(exc) from exc
            gw.authorise(request, agency, [event])
            gw.limit(agency, 1)
            results = await gw.produce([event])
        except _Problem as problem:
            return _answer(problem, request)
        status, headers = _status(results)
        return JSONResponse(results[0].as_dict(), status, headers=headers)

    @app.post("/v1/events/batch", openapi_extra=_body_doc(schemas["batch"]), tags=["events"])
    async def publish_batch(request: Request) -> Response:
        """Publish up to max_batch events; all are checked before any is produced."""
        try:
            agency = gw.agency(request)
            try:
                events = parse_batch(gw.batch, await gw.body(request))
            except BodyInvalid as exc:
                raise gw.invalid(exc) from exc
            gw.authorise(request, agency, events)
            gw.limit(agency, len(events))
            results = await gw.produce(events)
        except _Problem as problem:
            return _answer(problem, request)
        status, headers = _status(results)
        return Response(batch_json(results), status, headers, media_type="application/json")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> Response:
        """Kafka and the schema registry answer (503 otherwise)."""
        kafka_ok = await gw.sink.ready()
        registry_ok = await anyio.to_thread.run_sync(_registry_answers, gw.registry)
        body = {"kafka": kafka_ok, "registry": registry_ok}
        return JSONResponse(body, 200 if kafka_ok and registry_ok else 503)

    @app.get("/metrics", tags=["operations"])
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition of the gateway's metrics."""
        payload, content_type = gw.metrics.exposition()
        return Response(payload, media_type=content_type)


class _TimedMiddleware:
    def __init__(self, app: ASGIApp, metrics: AxisMetrics) -> None:
        self._call = _timed(app, metrics)

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        await self._call(scope, receive, send)


def _registry_answers(registry: SchemaRegistry) -> bool:
    if not isinstance(registry, RegistryClient):
        return True
    try:
        registry.subjects()
    except RegistryError:
        return False
    return True


__all__ = ["FieldError", "Gateway", "create_app"]
