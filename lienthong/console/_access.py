"""Who may use the console: operators (people) only, and what each role may do.

Any operator (admin, operator, ioc_reader) may look; replaying dead letters, revoking
API keys and reading the Security panel need role operator (admins have it). Sign-in
is a form (name and password) or a short-lived link ``lienthong console`` prints; the
browser then holds a signed session cookie, and every POST carries the page's CSRF token.
"""

from __future__ import annotations

from lienthong.auth import Requirement, role
from lienthong.schemas.access import IdentityKind, Role

AN_OPERATOR = Requirement("a signed-in operator", lambda i: i.kind is IdentityKind.OPERATOR)
OPERATOR = role(Role.OPERATOR)
_PUBLIC = frozenset({"/", "/healthz", "/metrics", "/login", "/logout"})
_OPERATORS_ONLY = frozenset({"/api/deadletters/replay", "/api/keys/revoke", "/api/security"})


def console_policy(method: str, path: str) -> Requirement | None:
    """The requirement of a console request (None: public)."""
    if path in _PUBLIC:
        return None
    if path in _OPERATORS_ONLY:
        return OPERATOR
    return AN_OPERATOR
