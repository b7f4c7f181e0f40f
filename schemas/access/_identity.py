"""Who is asking, once authenticated; and what an identity may do over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lienthong.schemas.access._model import AccessFile, Agency, Operator, Role


class IdentityKind(StrEnum):
    AGENCY = "agency"  # an agency's system, with an API key
    OPERATOR = "operator"  # a person, with a name and password


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: an agency (by key) or an operator (by password)."""

    kind: IdentityKind
    name: str  # the agency's code or the operator's name
    roles: frozenset[Role] = frozenset()

    @classmethod
    def of_agency(cls, agency: Agency) -> Identity:
        return cls(IdentityKind.AGENCY, agency.code)

    @classmethod
    def of_operator(cls, operator: Operator) -> Identity:
        return cls(IdentityKind.OPERATOR, operator.name, frozenset(operator.roles))

    @property
    def label(self) -> str:
        """``agency:SYT`` or ``operator:admin``: how audit events and logs name it."""
        return f"{self.kind.value}:{self.name}"

    def has(self, role: Role) -> bool:
        """Whether an operator has ``role`` (admin implies all); agencies have no roles."""
        return Role.ADMIN in self.roles or role in self.roles

    def is_agency(self, code: str) -> bool:
        return self.kind is IdentityKind.AGENCY and self.name == code


def explain_http(access: AccessFile, code: str) -> list[str]:
    """What agency (or operator) ``code`` may do over HTTP, one line per right.

    ``lienthong agencies explain`` prints these beside the Kafka side.
    """
    operator = access.operator(code)
    if operator is not None:
        roles = ", ".join(r.value for r in operator.roles)
        lines = [f"operator {operator.name}: roles {roles}; signs in with a password"]
        if operator.has(Role.ADMIN):
            lines.append("registry: may register and delete schemas and set compatibility")
        if operator.has(Role.OPERATOR):
            lines.append("console: may replay dead letters and revoke API keys")
        lines.append("console and query API: may read inboxes and IOC statistics")
        return lines
    agency = access.agency(code)
    if agency is None:
        return [f"no agency or operator {code!r} in the agencies file"]
    active = agency.active_keys()
    ids = ", ".join(k.id for k in active) or "none"
    lines = [f"HTTP API keys: {len(active)} active ({ids})"]
    if active:
        published = ", ".join(agency.publish) or "nothing (no publish grant)"
        lines.append(f"gateway: may publish {published} as {agency.code}")
        lines.append(f"query API: may read its own inbox /inbox/{agency.code}")
    else:
        lines.append("gateway and query API: nothing until a key is added")
    return lines
