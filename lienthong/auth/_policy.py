"""What a request needs: nothing (public), any identity, a role, or a given agency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lienthong.schemas.access import Identity, IdentityKind, Role


@dataclass(frozen=True)
class Requirement:
    """A rule on the caller's identity, with the words a refusal uses for it."""

    need: str  # completes "this needs ...", e.g. "an operator with role admin"
    allows: Callable[[Identity], bool]


Policy = Callable[[str, str], Requirement | None]
"""``(method, path) -> requirement``; None means the request is public."""

ANY_IDENTITY = Requirement("an identity of the agencies file", lambda _: True)
AN_AGENCY = Requirement("an agency's API key", lambda i: i.kind is IdentityKind.AGENCY)


def role(required: Role) -> Requirement:
    """An operator with ``required`` (admin has every role)."""
    return Requirement(
        f"an operator with role {required.value}",
        lambda i: i.kind is IdentityKind.OPERATOR and i.has(required),
    )


def agency_or_role(code: str, required: Role) -> Requirement:
    """Agency ``code`` itself, or an operator with ``required``."""
    return Requirement(
        f"agency {code}'s own key or an operator with role {required.value}",
        lambda i: i.is_agency(code) or (i.kind is IdentityKind.OPERATOR and i.has(required)),
    )
