"""Who may read and write the registry, and the audit of its writes.

Like Confluent's registry with its authorizer: reads (schemas, subjects, look-ups,
compatibility checks) are open or need any identity, by setting; writes (a new schema
version, a delete, a compatibility level or mode) need an operator with role admin.
One exception keeps producers working without admin rights: posting a schema that is
already registered under the subject is a look-up, not a write, and is answered with
its id (Confluent clients "register" on first use).
"""

from __future__ import annotations

from starlette.requests import Request

from lienthong.audit import AuditAction, AuditTrail
from lienthong.auth import ANY_IDENTITY, Policy, Requirement, identity_of, role
from lienthong.registry._schema import avro_schema
from lienthong.registry._service import RegistryService
from lienthong.schemas.access import Identity, Role

ADMIN = role(Role.ADMIN)
_READ_POSTS = ("/compatibility/",)


def registry_policy(anonymous_reads: bool) -> Policy:
    """The requirement of each request: admin for writes, reads open or authenticated."""
    reads: Requirement | None = None if anonymous_reads else ANY_IDENTITY

    def policy(method: str, path: str) -> Requirement | None:
        if path in {"/healthz", "/readyz", "/metrics"}:
            return None
        if method in {"GET", "HEAD"}:
            return reads
        if method == "POST" and (path.startswith(_READ_POSTS) or path.count("/") == 2):
            return reads  # compatibility checks and POST /subjects/{s} look-ups
        if method == "POST" and path.startswith("/subjects/") and path.endswith("/versions"):
            return reads  # register: the handler lets non-admins only look up
        return ADMIN

    return policy


def is_admin(identity: Identity | None) -> bool:
    return identity is not None and ADMIN.allows(identity)


class InProcessRegistry:
    """The registry's own service as a codec's :class:`SchemaRegistry` (for its audit feed)."""

    def __init__(self, service: RegistryService) -> None:
        self._service = service

    def register(self, subject: str, schema: str) -> int:
        return self._service.register(subject, avro_schema(schema))

    def get_schema(self, schema_id: int) -> str:
        text: str = self._service.read(lambda st: st.schema(schema_id)).text
        return text


def _trail(request: Request) -> AuditTrail | None:
    trail: AuditTrail | None = getattr(request.app.state, "trail", None)
    return trail


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit_write(request: Request, action: AuditAction, detail: str, target: str) -> None:
    """An allowed registry write, on the security feed."""
    trail = _trail(request)
    if trail is not None:
        identity = identity_of(request)
        actor = identity.label if identity is not None else "anonymous"
        trail.record(action, actor, detail, target=target, client=_client(request))


def refuse_write(request: Request, subject: str) -> None:
    """A non-admin tried to add a schema version: audited (the caller answers 403)."""
    trail = _trail(request)
    if trail is not None:
        identity = identity_of(request)
        trail.record(
            AuditAction.REQUEST_REFUSED,
            identity.label if identity is not None else "anonymous",
            f"a new schema for {subject} needs an operator with role admin",
            target=f"POST /subjects/{subject}/versions",
            reason="missing_role",
            client=_client(request),
            metric_identity=identity.label if identity is not None else None,
        )
