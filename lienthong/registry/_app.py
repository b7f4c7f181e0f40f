"""The Confluent Schema Registry REST API v1 (Avro) as a Starlette application.

Paths, query flags and JSON shapes of each endpoint live here; the wire conventions
(media types, error bodies) in :mod:`._http`. Kafka calls block, so handlers run the
service in Starlette's thread pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.audit import AuditAction
from lienthong.auth import AccessMiddleware, Authenticator, identity_of
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.registry._access import audit_write, is_admin, refuse_write, registry_policy
from lienthong.registry._errors import Forbidden, InvalidSchema, NotFound, SubjectNotFound
from lienthong.registry._http import (
    Handler,
    confluent_body,
    entry,
    flag,
    http_error,
    media_type,
    read_body,
    reply,
    translating,
    version_segment,
)
from lienthong.registry._schema import avro_schema
from lienthong.registry._service import Registered, RegistryService
from lienthong.registry._state import RegistryState
from lienthong.web import JsonErrors

T = TypeVar("T")


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


async def _call(function: Callable[[], T]) -> T:
    """Run a blocking service call (Kafka round trips) off the event loop."""
    return await run_in_threadpool(function)


async def _read(request: Request, question: Callable[[RegistryState], T]) -> T:
    service = _service(request)
    return await _call(lambda: service.read(question))


async def root(request: Request) -> Response:
    return reply(request, {})


async def healthz(request: Request) -> Response:
    alive = _service(request).store.alive
    return reply(request, {"status": "ok" if alive else "down"}, 200 if alive else 503)


async def readyz(request: Request) -> Response:
    ready = _service(request).store.ready
    return reply(request, {"status": "ready" if ready else "catching up"}, 200 if ready else 503)


async def schema_types(request: Request) -> Response:
    return reply(request, ["AVRO"])


async def schema_by_id(request: Request) -> Response:
    schema_id: int = request.path_params["id"]
    entry = await _read(request, lambda st: st.schema(schema_id))
    return reply(request, {"schema": entry.text})


async def raw_schema_by_id(request: Request) -> Response:
    schema_id: int = request.path_params["id"]
    entry = await _read(request, lambda st: st.schema(schema_id))
    return Response(entry.text, media_type=media_type(request))


async def subjects_of_id(request: Request) -> Response:
    schema_id, deleted = request.path_params["id"], flag(request, "deleted")

    def question(st: RegistryState) -> list[str]:
        st.schema(schema_id)  # 40403 for an unknown id
        return list(dict.fromkeys(e.subject for e in st.usages(schema_id, deleted=deleted)))

    return reply(request, await _read(request, question))


async def versions_of_id(request: Request) -> Response:
    schema_id, deleted = request.path_params["id"], flag(request, "deleted")

    def question(st: RegistryState) -> list[dict[str, Any]]:
        st.schema(schema_id)
        return [
            {"subject": e.subject, "version": e.version}
            for e in st.usages(schema_id, deleted=deleted)
        ]

    return reply(request, await _read(request, question))


async def all_schemas(request: Request) -> Response:
    prefix = request.query_params.get("subjectPrefix", "")
    deleted, latest = flag(request, "deleted"), flag(request, "latestOnly")

    def question(st: RegistryState) -> list[dict[str, Any]]:
        found = []
        for subject in st.subject_names(deleted=deleted):
            if subject.startswith(prefix):
                entries = st.versions(subject, deleted=deleted)
                for e in entries[-1:] if latest else entries:
                    text = st.schemas[e.id].text
                    found.append(entry(Registered(e.subject, e.version, e.id, text)))
        return found

    return reply(request, await _read(request, question))


async def subjects(request: Request) -> Response:
    prefix = request.query_params.get("subjectPrefix", "")
    deleted, only = flag(request, "deleted"), flag(request, "deletedOnly")
    names = await _read(request, lambda st: st.subject_names(deleted=deleted, deleted_only=only))
    return reply(request, [name for name in names if name.startswith(prefix)])


async def lookup(request: Request) -> Response:
    body = await read_body(request)
    schema = avro_schema(body.get("schema"), body.get("schemaType"), body.get("references"))
    subject, deleted = request.path_params["subject"], flag(request, "deleted")
    service = _service(request)
    found = await _call(lambda: service.lookup(subject, schema, deleted=deleted))
    return reply(request, entry(found))


async def delete_subject(request: Request) -> Response:
    subject, permanent = request.path_params["subject"], flag(request, "permanent")
    service = _service(request)
    deleted = await _call(lambda: service.delete_subject(subject, permanent=permanent))
    how = "permanently" if permanent else "softly"
    detail = f"subject {subject} deleted {how} (versions {deleted})"
    audit_write(request, AuditAction.SCHEMA_DELETED, detail, subject)
    return reply(request, deleted)


async def versions(request: Request) -> Response:
    subject = request.path_params["subject"]
    deleted, only = flag(request, "deleted"), flag(request, "deletedOnly")

    def question(st: RegistryState) -> list[int]:
        if not st.has_subject(subject, deleted=deleted or only):
            raise SubjectNotFound(subject)
        entries = st.versions(subject, deleted=deleted or only)
        return [e.version for e in entries if not only or e.deleted]

    return reply(request, await _read(request, question))


async def register(request: Request) -> Response:
    body = await read_body(request)
    schema = avro_schema(body.get("schema"), body.get("schemaType"), body.get("references"))
    subject = request.path_params["subject"]
    wanted_id, wanted_version = body.get("id"), body.get("version")
    for name, value in (("id", wanted_id), ("version", wanted_version)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidSchema(f"'{name}' must be a non-negative integer")
    service = _service(request)
    identity = identity_of(request)
    if not is_admin(identity):
        # Not a writer: an already-registered schema is answered as a look-up.
        try:
            found = await _call(lambda: service.lookup(subject, schema))
        except NotFound:
            found = None
        if found is None or wanted_id is not None or wanted_version is not None:
            refuse_write(request, subject)
            raise Forbidden(
                f"registering a new schema under {subject} needs an operator with role "
                "admin (send Basic credentials); an existing schema is looked up freely"
            )
        return reply(request, {"id": found.id})
    schema_id = await _call(
        lambda: service.register(
            subject, schema, schema_id=wanted_id or None, version=wanted_version or None
        )
    )
    detail = f"schema id {schema_id} registered under {subject}"
    audit_write(request, AuditAction.SCHEMA_REGISTERED, detail, subject)
    return reply(request, {"id": schema_id})


async def _found_version(request: Request, *, deleted: bool) -> Registered:
    subject = request.path_params["subject"]
    version = version_segment(request.path_params["version"])
    service = _service(request)
    return await _call(lambda: service.get_version(subject, version, deleted=deleted))


async def get_version(request: Request) -> Response:
    found = await _found_version(request, deleted=flag(request, "deleted"))
    return reply(request, entry(found))


async def raw_version(request: Request) -> Response:
    found = await _found_version(request, deleted=flag(request, "deleted"))
    return Response(found.schema, media_type=media_type(request))


async def referenced_by(request: Request) -> Response:
    # No schema references are accepted, so nothing refers to anything; the version
    # must still exist, as Confluent checks.
    await _found_version(request, deleted=True)
    return reply(request, [])


async def delete_version(request: Request) -> Response:
    subject = request.path_params["subject"]
    version = version_segment(request.path_params["version"])
    permanent = flag(request, "permanent")
    service = _service(request)
    deleted = await _call(lambda: service.delete_version(subject, version, permanent=permanent))
    detail = f"version {deleted} of {subject} deleted{' permanently' if permanent else ''}"
    audit_write(request, AuditAction.SCHEMA_DELETED, detail, subject)
    return reply(request, deleted)


async def compatibility(request: Request) -> Response:
    body = await read_body(request)
    subject = request.path_params["subject"]
    raw = request.path_params.get("version")
    version = version_segment(raw) if raw is not None else None
    verbose = flag(request, "verbose")
    service = _service(request)
    try:
        schema = avro_schema(body.get("schema"), body.get("schemaType"), body.get("references"))
        reasons = await _call(
            lambda: service.check_compatibility(subject, schema, version, every=raw is None)
        )
    except InvalidSchema as exc:
        if not verbose:
            raise
        reasons = [str(exc)]
    answer: dict[str, Any] = {"is_compatible": not reasons}
    if verbose:
        answer["messages"] = reasons
    return reply(request, answer)


async def config(request: Request) -> Response:
    subject = request.path_params.get("subject")
    service = _service(request)
    scope = subject or "(global)"
    if request.method == "PUT":
        body = await read_body(request)
        level = await _call(lambda: service.set_config(subject, body.get("compatibility")))
        _audit_config(request, f"compatibility of {scope} set to {level}", scope)
        return reply(request, {"compatibility": level})
    if request.method == "DELETE":
        previous = await _call(lambda: service.delete_config(subject))
        _audit_config(request, f"compatibility of {scope} reset (was {previous})", scope)
        return reply(request, {"compatibilityLevel": previous})
    to_global = flag(request, "defaultToGlobal")
    level = await _call(lambda: service.get_config(subject, default_to_global=to_global))
    return reply(request, {"compatibilityLevel": level})


async def mode(request: Request) -> Response:
    subject = request.path_params.get("subject")
    service = _service(request)
    if request.method == "PUT":
        body = await read_body(request)
        force = flag(request, "force")
        new = await _call(lambda: service.set_mode(subject, body.get("mode"), force=force))
        _audit_config(request, f"mode of {subject or '(global)'} set to {new}", subject or "")
        return reply(request, {"mode": new})
    if request.method == "DELETE" and subject is not None:
        previous = await _call(lambda: service.delete_mode(subject))
        _audit_config(request, f"mode of {subject} reset (was {previous})", subject)
        return reply(request, {"mode": previous})
    to_global = flag(request, "defaultToGlobal")
    current = await _call(lambda: service.get_mode(subject, default_to_global=to_global))
    return reply(request, {"mode": current})


def _audit_config(request: Request, detail: str, target: str) -> None:
    audit_write(request, AuditAction.COMPATIBILITY_CHANGED, detail, target)


_SUBJECT = "/subjects/{subject}"
_VERSION = _SUBJECT + "/versions/{version}"
_ROUTES: list[tuple[str, Handler, list[str]]] = [
    ("/", root, ["GET"]),
    ("/healthz", healthz, ["GET"]),
    ("/readyz", readyz, ["GET"]),
    ("/schemas", all_schemas, ["GET"]),
    ("/schemas/types", schema_types, ["GET"]),
    ("/schemas/ids/{id:int}", schema_by_id, ["GET"]),
    ("/schemas/ids/{id:int}/schema", raw_schema_by_id, ["GET"]),
    ("/schemas/ids/{id:int}/subjects", subjects_of_id, ["GET"]),
    ("/schemas/ids/{id:int}/versions", versions_of_id, ["GET"]),
    ("/subjects", subjects, ["GET"]),
    (_SUBJECT, lookup, ["POST"]),
    (_SUBJECT, delete_subject, ["DELETE"]),
    (_SUBJECT + "/versions", versions, ["GET"]),
    (_SUBJECT + "/versions", register, ["POST"]),
    (_VERSION, get_version, ["GET"]),
    (_VERSION, delete_version, ["DELETE"]),
    (_VERSION + "/schema", raw_version, ["GET"]),
    (_VERSION + "/referencedby", referenced_by, ["GET"]),
    ("/compatibility" + _VERSION, compatibility, ["POST"]),
    ("/compatibility" + _SUBJECT + "/versions", compatibility, ["POST"]),
    ("/config", config, ["GET", "PUT", "DELETE"]),
    ("/config/{subject}", config, ["GET", "PUT", "DELETE"]),
    ("/mode", mode, ["GET", "PUT"]),
    ("/mode/{subject}", mode, ["GET", "PUT", "DELETE"]),
]


def _instrumented(metrics: AxisMetrics) -> Middleware:
    async def count(request: Request, call_next: RequestResponseEndpoint) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        status = str(response.status_code)
        # The first path segment keeps label cardinality bounded (no subject names).
        route = "/" + request.url.path.strip("/").split("/", 1)[0]
        metrics.registry_requests.labels(request.method, status).inc()
        metrics.http_duration.labels("registry", route, request.method, status).observe(
            time.perf_counter() - began
        )
        return response

    return Middleware(BaseHTTPMiddleware, dispatch=count)


def _guarded(authenticator: Authenticator | None, anonymous_reads: bool) -> list[Middleware]:
    if authenticator is None:
        return []
    return [
        Middleware(
            AccessMiddleware,
            authenticator=authenticator,
            policy=registry_policy(anonymous_reads),
            render=confluent_body,
        )
    ]


def create_app(
    service: RegistryService,
    metrics: AxisMetrics | None = None,
    *,
    authenticator: Authenticator | None = None,
    anonymous_reads: bool = True,
) -> Starlette:
    """The HTTP application serving ``service``, with ``/metrics`` on ``metrics``.

    Without an ``authenticator`` nothing is checked (an embedded registry in a test of
    something else); every server the CLI starts has one (:class:`RegistryServer`).
    """
    metrics = metrics or AxisMetrics.create()
    routes = [Route(path, translating(h), methods=methods) for path, h, methods in _ROUTES]

    async def metrics_page(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    routes.append(Route("/metrics", metrics_page, methods=["GET"]))
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error},
        # JsonErrors outermost: a bug answers a JSON 500 with a request id, counted too.
        middleware=[
            Middleware(JsonErrors, render=confluent_body),
            _instrumented(metrics),
            *_guarded(authenticator, anonymous_reads),
        ],
    )
    app.state.service = service
    app.state.trail = authenticator.trail if authenticator is not None else None
    app.state.metrics = metrics
    return app
