"""HTTP authentication and authorisation for every door of the axis, in one place.

The gateway, the schema registry, the console and the query API all decide who is
asking, and whether they may, through :class:`Authenticator` (identities from the
agencies file, :mod:`lienthong.schemas.access`; every refusal on the security feed,
:mod:`lienthong.audit`). Starlette/FastAPI apps mount :class:`AccessMiddleware` with a
policy ``(method, path) -> Requirement | None``; the query API's faust views call
:meth:`Authenticator.decide` directly.

    auth = Authenticator(AccessWatcher(path), "registry", trail)
    app.add_middleware(AccessMiddleware, authenticator=auth, policy=registry_policy)

Credentials: an agency's API key (``Authorization: Bearer lt.…`` or ``X-API-Key``), an
operator's name and password (``Authorization: Basic``), or the console's signed
session cookie (with a CSRF token on every state-changing request).
"""

from lienthong.auth._aiohttp import aiohttp_access, aiohttp_identity
from lienthong.auth._asgi import AccessMiddleware, identity_of, session_of
from lienthong.auth._authenticator import (
    Allowed,
    Authenticator,
    Decision,
    Denied,
    RequestFacts,
)
from lienthong.auth._credentials import SESSION_COOKIE, Credentials, credentials_of
from lienthong.auth._policy import (
    AN_AGENCY,
    ANY_IDENTITY,
    Policy,
    Requirement,
    agency_or_role,
    role,
)
from lienthong.auth._sessions import CSRF_HEADER, Session, Sessions

__all__ = [
    "ANY_IDENTITY",
    "AN_AGENCY",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AccessMiddleware",
    "Allowed",
    "Authenticator",
    "Credentials",
    "Decision",
    "Denied",
    "Policy",
    "RequestFacts",
    "Requirement",
    "Session",
    "Sessions",
    "agency_or_role",
    "aiohttp_access",
    "aiohttp_identity",
    "credentials_of",
    "identity_of",
    "role",
    "session_of",
]
