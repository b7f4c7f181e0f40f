"""The aiohttp adapter (the query API's faust web server): the same decision as ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from lienthong.auth._authenticator import Authenticator, Denied, RequestFacts
from lienthong.auth._policy import Policy
from lienthong.schemas.access import Identity
from lienthong.web import aiohttp_request_id, json_error

_IDENTITY = "lienthong.identity"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def aiohttp_access(authenticator: Authenticator, policy: Policy) -> Middleware:
    """aiohttp middleware enforcing ``policy``; denials answered in JSON (lienthong.web)."""

    @web.middleware
    async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
        facts = RequestFacts(
            request.method,
            request.path,
            {k.lower(): v for k, v in request.headers.items()},
            dict(request.cookies),
            request.remote,
        )
        decision = await authenticator.adecide(facts, policy(request.method, request.path))
        if isinstance(decision, Denied):
            return json_error(
                decision.status,
                decision.detail,
                error=decision.error,
                request_id=aiohttp_request_id(request),
                headers=decision.headers,
                reason=decision.reason,
            )
        request[_IDENTITY] = decision.identity
        return await handler(request)

    return access


def aiohttp_identity(request: web.BaseRequest) -> Identity | None:
    """The identity :func:`aiohttp_access` found on ``request``."""
    found = request.get(_IDENTITY)
    return found if isinstance(found, Identity) else None
