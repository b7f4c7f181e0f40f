"""Who is asking and whether they may: the one decision every HTTP door of the axis makes.

:meth:`Authenticator.decide` takes what a request shows (method, path, headers,
cookies, client address) and a :class:`~._policy.Requirement` and answers
:class:`Allowed` (with the identity, if any) or :class:`Denied` (401 or 403 with a JSON
body); every denial is written to the security feed. Framework adapters (the ASGI
middleware, the query API's faust views) only translate requests and answers.

Keys are checked against the agencies file as it is *now* (:class:`AccessWatcher`
re-reads it when it changes), so a revoked key fails on the next request in every
process. A password is checked with scrypt once per process; later requests with the
same name, password and stored hash hit a small cache of successes (failures are never
cached, so guessing stays slow).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio.to_thread

from lienthong.audit import AuditAction, AuditTrail
from lienthong.auth._credentials import Credentials, credentials_of
from lienthong.auth._policy import Requirement
from lienthong.auth._sessions import CSRF_HEADER, Session, Sessions
from lienthong.schemas.access import AccessWatcher, Identity, password_matches

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CACHE_SIZE = 1024


@dataclass(frozen=True)
class RequestFacts:
    """What the decision reads of a request (header names lower-case)."""

    method: str
    path: str
    headers: Mapping[str, str]
    cookies: Mapping[str, str] = field(default_factory=dict)
    client: str | None = None

    @property
    def target(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Allowed:
    """Go ahead; ``identity`` is None for an anonymous request to a public path."""

    identity: Identity | None
    session: Session | None = None


@dataclass(frozen=True)
class Denied:
    """Refused: the status (401 or 403), a stable reason and what to do next."""

    status: int
    reason: str
    detail: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str:
        """The stable error id (as :mod:`lienthong.web` names statuses)."""
        return "unauthenticated" if self.status == 401 else "forbidden"

    @property
    def body(self) -> dict[str, str]:
        """The JSON answer: ``error`` and ``reason`` (stable ids), ``detail`` (for people)."""
        return {"error": self.error, "reason": self.reason, "detail": self.detail}


Decision = Allowed | Denied


class Authenticator:
    """Authenticates requests against the agencies file for one service."""

    def __init__(
        self,
        access: AccessWatcher,
        service: str,
        trail: AuditTrail | None = None,
        *,
        sessions: Sessions | None = None,
        challenge: str = 'Bearer realm="lienthong", Basic realm="lienthong"',
    ) -> None:
        self.access = access
        self.service = service
        self.trail = trail
        self.sessions = sessions
        self._challenge = challenge
        self._verified: OrderedDict[str, None] = OrderedDict()

    # -- identity ------------------------------------------------------------------
    def identify(self, credentials: Credentials) -> tuple[Identity, Session | None] | None:
        """The identity the credentials prove, or None when they prove nothing."""
        access = self.access.current()
        secret = credentials.secret.get_secret_value()
        if credentials.scheme == "key":
            agency = access.authenticate_key(secret)
            return (Identity.of_agency(agency), None) if agency is not None else None
        if credentials.scheme == "basic" and credentials.username is not None:
            operator = access.operator(credentials.username)
            if operator is None or not self._password_ok(operator.password, secret):
                return None
            return Identity.of_operator(operator), None
        if credentials.scheme == "session" and self.sessions is not None:
            session = self.sessions.check(secret)
            operator = access.operator(session.name) if session is not None else None
            if operator is None:
                return None
            return Identity.of_operator(operator), session
        return None

    def login(self, name: str, password: str) -> Identity | None:
        """Check a name and password (the console's sign-in form)."""
        operator = self.access.current().operator(name)
        if operator is None or not self._password_ok(operator.password, password):
            return None
        return Identity.of_operator(operator)

    def _password_ok(self, stored: str, password: str) -> bool:
        token = hashlib.sha256(f"{stored}\0{password}".encode()).hexdigest()
        if token in self._verified:
            self._verified.move_to_end(token)
            return True
        if not password_matches(stored, password):
            return False
        self._verified[token] = None
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return True

    # -- the decision --------------------------------------------------------------
    def decide(self, request: RequestFacts, requirement: Requirement | None) -> Decision:
        """Allowed or Denied for one request (audited when denied)."""
        credentials = credentials_of(request.headers, request.cookies)
        if credentials is None:
            if requirement is None:
                return Allowed(None)
            return self._deny(
                request,
                401,
                "no_credentials",
                f"{request.target} needs {requirement.need}: send 'Authorization: Bearer "
                "<API key>' (keys come from `lienthong agencies add`) or sign in",
                actor="anonymous",
                action=AuditAction.REQUEST_REFUSED,
            )
        proven = self.identify(credentials)
        if proven is None:
            return self._deny(
                request,
                401,
                "bad_credentials",
                "the credentials are wrong, revoked or expired; ask an operator for a new key "
                "(`lienthong agencies add`) or sign in again",
                actor=credentials.claimed,
                action=AuditAction.AUTH_FAILED,
                metric_identity=self._known(credentials),
            )
        identity, session = proven
        if requirement is not None and not requirement.allows(identity):
            return self._deny(
                request,
                403,
                "missing_role",
                f"{request.target} needs {requirement.need}; {identity.label} is not",
                actor=identity.label,
                action=AuditAction.REQUEST_REFUSED,
                metric_identity=identity.label,
            )
        # Only guarded doors need the token: a public one (sign-in) grants nothing by itself.
        unsafe = requirement is not None and request.method.upper() not in _SAFE_METHODS
        if session is not None and unsafe and request.headers.get(CSRF_HEADER) != session.csrf:
            return self._deny(
                request,
                403,
                "csrf",
                f"a {request.method} from the console needs the page's {CSRF_HEADER} header",
                actor=identity.label,
                action=AuditAction.REQUEST_REFUSED,
                metric_identity=identity.label,
            )
        return Allowed(identity, session)

    async def adecide(self, request: RequestFacts, requirement: Requirement | None) -> Decision:
        """:meth:`decide` for an event loop: a password check (scrypt) runs in a thread."""
        if request.headers.get("authorization", "")[:6].lower() == "basic ":
            return await anyio.to_thread.run_sync(self.decide, request, requirement)
        return self.decide(request, requirement)

    def _known(self, credentials: Credentials) -> str | None:
        """The metric label of a failed claim, when it names an identity that exists."""
        access = self.access.current()
        if credentials.username is not None:
            found = access.operator(credentials.username) is not None
            return f"operator:{credentials.username}" if found else None
        if credentials.scheme == "key":
            key_id = credentials.secret.get_secret_value().partition(".")[2].partition(".")[0]
            owner = access.key_owner(key_id) if key_id else None
            return f"agency:{owner[0].code}" if owner is not None else None
        return None

    def _deny(
        self,
        request: RequestFacts,
        status: int,
        reason: str,
        detail: str,
        *,
        actor: str,
        action: AuditAction,
        metric_identity: str | None = None,
    ) -> Denied:
        if self.trail is not None:
            self.trail.record(
                action,
                actor,
                detail,
                target=request.target,
                reason=reason,
                client=request.client,
                metric_identity=metric_identity,
            )
        headers = {"WWW-Authenticate": self._challenge} if status == 401 else {}
        return Denied(status, reason, detail, headers)
