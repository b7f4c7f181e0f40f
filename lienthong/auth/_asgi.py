"""The ASGI adapter: the authenticator in front of a Starlette or FastAPI app.

The identity lands in ``request.state.identity`` (None on a public path without
credentials) and the console session in ``request.state.session``; a denial is
answered here, as JSON, before the app sees the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

import orjson
from starlette.requests import Request

from lienthong.auth._authenticator import Authenticator, Decision, Denied, RequestFacts
from lienthong.auth._policy import Policy
from lienthong.auth._sessions import Session
from lienthong.schemas.access import Identity
from lienthong.web import Renderer, error_body, request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AccessMiddleware:
    """Authenticate every HTTP request and enforce ``policy`` before the app runs."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        policy: Policy,
        render: Renderer = error_body,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.policy = policy
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision = await self._decide(scope)
        if isinstance(decision, Denied):
            body = self.render(decision.status, decision.error, decision.detail, request_id(scope))
            body.setdefault("reason", decision.reason)
            await _answer(send, decision, body)
            return
        state = scope.setdefault("state", {})
        state["identity"] = decision.identity
        state["session"] = decision.session
        await self.app(scope, receive, send)

    async def _decide(self, scope: Scope) -> Decision:
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = _cookies(headers.get("cookie", ""))
        client = scope.get("client")
        address = str(client[0]) if client else None

        facts = RequestFacts(method, path, headers, cookies, address)
        return await self.authenticator.adecide(facts, self.policy(method, path))


def _cookies(header: str) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001  # a malformed Cookie header means no cookies
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


async def _answer(send: Send, denied: Denied, body: dict[str, Any]) -> None:
    payload = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    headers += [(k.lower().encode(), v.encode()) for k, v in denied.headers.items()]
    await send({"type": "http.response.start", "status": denied.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def identity_of(request: Request) -> Identity | None:
    """The authenticated caller of ``request`` (None: anonymous on a public path)."""
    identity: Identity | None = getattr(request.state, "identity", None)
    return identity


def session_of(request: Request) -> Session | None:
    """The console session of ``request``, if it came with one."""
    session: Session | None = getattr(request.state, "session", None)
    return session
