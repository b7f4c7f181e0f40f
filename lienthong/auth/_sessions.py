"""Signed session cookies for people signed in to the console.

A cookie holds ``<name>.<expiry>.<csrf>.<signature>`` (HMAC-SHA256 with the server's
secret), so any console process holding the same secret accepts it; nothing is kept
server-side. ``csrf`` is the token a page must echo in ``X-CSRF-Token`` on every
state-changing request: another site can make the browser send the cookie, but cannot
read the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Session:
    """A signed-in person: operator name, expiry (epoch seconds) and CSRF token."""

    name: str
    expires: int
    csrf: str


class Sessions:
    """Issues and checks session cookies with one secret."""

    def __init__(
        self,
        secret: SecretStr | None = None,
        *,
        lifetime_s: int = 8 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Without a configured secret each process makes its own: sessions then end
        # with the process, and several console processes need the secret set.
        raw = secret.get_secret_value() if secret is not None else secrets.token_urlsafe(32)
        self._key = raw.encode()
        self.lifetime_s = lifetime_s
        self._clock = clock

    def issue(self, name: str) -> tuple[str, Session]:
        """A new cookie value for operator ``name`` and the session it carries."""
        session = Session(name, int(self._clock()) + self.lifetime_s, secrets.token_urlsafe(16))
        encoded = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
        body = f"{encoded}.{session.expires}.{session.csrf}"
        return f"{body}.{self._sign(body)}", session

    def check(self, cookie: str) -> Session | None:
        """The session of a valid, unexpired cookie; None otherwise."""
        body, _, signature = cookie.rpartition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        encoded, expires, csrf = [*body.split("."), "", "", ""][:3]
        try:
            name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            until = int(expires)
        except ValueError:
            return None
        if until < self._clock():
            return None
        return Session(name, until, csrf)

    def login_token(self, name: str, lifetime_s: int = 300) -> str:
        """A short-lived sign-in link token for ``name`` (``lienthong console`` prints one)."""
        encoded = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
        body = f"login.{encoded}.{int(self._clock()) + lifetime_s}"
        return f"{body}.{self._sign(body)}"

    def redeem(self, token: str) -> str | None:
        """The operator name of a valid, unexpired login token; None otherwise."""
        body, _, signature = token.rpartition(".")
        purpose, _, rest = body.partition(".")
        encoded, _, expires = rest.partition(".")
        if purpose != "login" or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            until = int(expires)
        except ValueError:
            return None
        return name if until >= self._clock() else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
