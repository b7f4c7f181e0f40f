"""The console's Security panel and its administrative actions (sign-in, key revocation).

The panel shows the newest events of the security feed (``<prefix>.audit``), read
through the schema registry; sign-ins, failed sign-ins and revocations made here are
written to that feed too.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lienthong.audit import AuditAction, AuditRecord, AuditTrail, read_audit
from lienthong.auth import SESSION_COOKIE, Authenticator, identity_of, session_of
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout
from lienthong.schemas.access import (
    AccessChangeError,
    AccessWatcher,
    Identity,
    load_access,
    revoke_key,
    save_access,
)
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient
from lienthong.web import error_response, request_id

PANEL_SIZE = 50


class ConsoleSettingsLike(Protocol):
    """The console settings these routes read."""

    registry_url: str
    secure_cookies: bool
    session_secret: SecretStr | None


def security_events(
    kafka: KafkaSettings, layout: TopicLayout, registry_url: str, last: int = PANEL_SIZE
) -> list[dict[str, Any]]:
    """The newest ``last`` events of the security feed, newest first ([] before any)."""
    with RegistryClient(registry_url) as registry:
        try:
            records: list[AuditRecord] = list(
                read_audit(kafka, AvroDeserializer(registry), layout=layout, last=last)
            )
        except LookupError:
            return []
    return [record.as_json() for record in reversed(records)]


def revoke(access: AccessWatcher, key_id: str) -> str:
    """Revoke API key ``key_id`` in the agencies file; the sentence to show and audit.

    Raises AccessChangeError for an unknown key.
    """
    updated, owner, key = revoke_key(load_access(access.path), key_id)
    save_access(access.path, updated)
    return f"API key {key.id} of {owner.code} revoked"


def session_json(identity: Identity, csrf: str | None) -> dict[str, Any]:
    """What the page needs to know about who is signed in."""
    return {
        "name": identity.name,
        "roles": sorted(r.value for r in identity.roles),
        "csrf": csrf,
    }


def audit_request(
    trail: AuditTrail, request: Request, action: AuditAction, detail: str, target: str
) -> None:
    """An administrative action taken through the console, on the security feed."""
    identity = identity_of(request)
    actor = identity.label if identity is not None else "anonymous"
    client = request.client.host if request.client else None
    trail.record(action, actor, detail, target=target, client=client)


async def _credentials_of(request: Request) -> tuple[str, str]:
    """(name, password) from a sign-in form or JSON body ("" when missing)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None
        found = body if isinstance(body, dict) else {}
    else:
        found = dict(await request.form())
    return str(found.get("name", "")), str(found.get("password", ""))


def security_routes(
    kafka: KafkaSettings,
    layout: TopicLayout,
    settings: ConsoleSettingsLike,
    auth: Authenticator,
    trail: AuditTrail,
) -> list[Route]:
    """Sign-in, sign-out, who am I, the Security panel's feed, and key revocation."""

    async def login(request: Request) -> Response:
        """POST: a name and password (form or JSON); GET: a sign-in link's token."""
        sessions = auth.sessions
        assert sessions is not None
        client = request.client.host if request.client else None
        if request.method == "GET":
            name = sessions.redeem(request.query_params.get("token", ""))
            operator = auth.access.current().operator(name) if name else None
            identity = Identity.of_operator(operator) if operator is not None else None
            claimed = f"operator:{name}" if name else "link"
        else:
            form = await _credentials_of(request)
            claimed = f"operator:{form[0]} (claimed)"
            identity = await run_in_threadpool(auth.login, *form)
        if identity is None:
            trail.record(
                AuditAction.AUTH_FAILED, claimed, "console sign-in refused",
                target="/login", reason="bad_credentials", client=client,
            )  # fmt: skip
            return error_response(
                401, "wrong name or password, or an expired sign-in link",
                error="unauthenticated", request_id=request_id(request),
            )  # fmt: skip
        cookie, _ = sessions.issue(identity.name)
        trail.record(AuditAction.LOGIN, identity.label, "signed in to the console", client=client)
        answer: Response = (
            RedirectResponse("/", status_code=303)
            if request.method == "GET"
            else JSONResponse({"name": identity.name})
        )
        answer.set_cookie(
            SESSION_COOKIE, cookie, max_age=sessions.lifetime_s, httponly=True,
            samesite="strict", secure=settings.secure_cookies,
        )  # fmt: skip
        return answer

    async def logout(request: Request) -> Response:
        answer = JSONResponse({"signed_out": True})
        answer.delete_cookie(SESSION_COOKIE)
        return answer

    async def session(request: Request) -> Response:
        identity = identity_of(request)
        assert identity is not None  # the policy admits operators only
        found = session_of(request)
        return JSONResponse(session_json(identity, found.csrf if found else None))

    async def security(request: Request) -> Response:
        events = await run_in_threadpool(security_events, kafka, layout, settings.registry_url)
        return JSONResponse({"events": events})

    async def revoke_api_key(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        key_id = body.get("key_id") if isinstance(body, dict) else None
        if not isinstance(key_id, str) or not key_id:
            return error_response(
                422, 'send {"key_id": "<the id `lienthong agencies list` shows>"}',
                error="invalid_request", request_id=request_id(request),
            )  # fmt: skip
        try:
            done = await run_in_threadpool(revoke, auth.access, key_id)
        except AccessChangeError as exc:
            return error_response(404, str(exc), error="not_found", request_id=request_id(request))
        audit_request(trail, request, AuditAction.KEY_REVOKED, done, key_id)
        return JSONResponse({"revoked": key_id, "detail": done})

    return [
        Route("/api/session", session),
        Route("/api/security", security),
        Route("/api/keys/revoke", revoke_api_key, methods=["POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
