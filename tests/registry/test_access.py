"""Registry writes need an admin; reads are open or not by setting; writes are audited."""

from __future__ import annotations

import httpx

from lienthong.audit import AuditAction, MemoryAuditSink
from lienthong.schemas.access import Role
from tests.identities import REGISTRY_ADMIN, Identities
from tests.registry.conftest import V1_JSON, StartRegistry, body, record

USER = record("User", {"name": "name", "type": "string"})
NEWER = record(
    "User", {"name": "name", "type": "string"}, {"name": "n", "type": "int", "default": 0}
)


def _client(url: str, auth: tuple[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30, headers={"Accept": V1_JSON}, auth=auth)


def test_writes_need_an_admin_and_each_refusal_is_audited(
    start_registry: StartRegistry, identities: Identities
) -> None:
    audit = MemoryAuditSink()
    server = start_registry(audit=audit)
    reader = identities.operator("reader", Role.IOC_READER)
    agency_key = identities.agency("SYT")
    with (
        _client(server.url) as anonymous,
        _client(server.url, ("reader", reader)) as operator,
        _client(server.url, REGISTRY_ADMIN) as admin,
    ):
        new = anonymous.post("/subjects/s-value/versions", json=body(USER))
        assert new.status_code == 403
        assert new.json()["error_code"] == 40301
        assert "admin" in new.json()["message"]
        made = admin.post("/subjects/s-value/versions", json=body(USER))
        assert made.status_code == 200
        # Producers "register" what exists: a look-up, allowed without rights.
        again = anonymous.post("/subjects/s-value/versions", json=body(USER))
        assert again.json() == made.json()
        keyed = httpx.post(
            f"{server.url}/subjects/s-value/versions",
            json=body(NEWER),
            headers={"Authorization": f"Bearer {agency_key}", "Accept": V1_JSON},
        )
        assert keyed.status_code == 403
        assert operator.delete("/subjects/s-value").status_code == 403
        unauthenticated = anonymous.delete("/subjects/s-value")
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["error_code"] == 401
        assert "Basic" in unauthenticated.headers["www-authenticate"]
        assert anonymous.put("/config", json={"compatibility": "NONE"}).status_code == 401
        wrong = _client(server.url, ("registry-admin", "guess"))
        assert wrong.put("/config", json={"compatibility": "NONE"}).status_code == 401
        wrong.close()
        assert admin.put("/config/s-value", json={"compatibility": "FULL"}).status_code == 200
        assert admin.delete("/subjects/s-value").status_code == 200
        assert anonymous.get("/subjects").status_code == 200  # reads are open by default
    actions = [(e.action, e.reason) for e in audit.events]
    assert actions == [
        (AuditAction.REQUEST_REFUSED, "missing_role"),
        (AuditAction.SCHEMA_REGISTERED, None),
        (AuditAction.REQUEST_REFUSED, "missing_role"),
        (AuditAction.REQUEST_REFUSED, "missing_role"),
        (AuditAction.REQUEST_REFUSED, "no_credentials"),
        (AuditAction.REQUEST_REFUSED, "no_credentials"),
        (AuditAction.AUTH_FAILED, "bad_credentials"),
        (AuditAction.COMPATIBILITY_CHANGED, None),
        (AuditAction.SCHEMA_DELETED, None),
    ]
    assert audit.events[1].actor == "operator:registry-admin"
    assert audit.events[2].actor == "agency:SYT"
    assert all(REGISTRY_ADMIN[1] not in e.model_dump_json() for e in audit.events)


def test_reads_can_be_closed_to_anonymous_clients(start_registry: StartRegistry) -> None:
    server = start_registry(anonymous_reads=False)
    with _client(server.url) as anonymous, _client(server.url, REGISTRY_ADMIN) as admin:
        assert anonymous.get("/subjects").status_code == 401
        assert anonymous.get("/healthz").status_code == 200
        assert admin.get("/subjects").status_code == 200
