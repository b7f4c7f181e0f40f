"""The console's doors: sign-in, roles, CSRF, key revocation — each refusal audited."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from lienthong.audit import AuditAction, AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.console import ConsoleSettings, create_app
from lienthong.schemas.access import Role, load_access
from tests.identities import Identities


@pytest.fixture
def audit() -> MemoryAuditSink:
    return MemoryAuditSink()


@pytest.fixture
def console(identities: Identities, audit: MemoryAuditSink) -> TestClient:
    app = create_app(
        KafkaSettings(),
        ConsoleSettings(port=0),
        access=identities.watcher(),
        trail=AuditTrail("console", audit),
    )
    # No `with`: the collector (Kafka) is not started; these doors need none.
    return TestClient(app, base_url="http://127.0.0.1")


def sign_in(console: TestClient, name: str, password: str) -> str:
    response = console.post("/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    csrf: str = console.get("/api/session").json()["csrf"]
    return csrf


def test_nothing_without_signing_in_and_wrong_passwords_are_audited(
    console: TestClient, identities: Identities, audit: MemoryAuditSink
) -> None:
    identities.operator("op", Role.OPERATOR)
    assert console.get("/").status_code == 200  # the page itself, with its sign-in form
    anonymous = console.get("/api/overview")
    assert anonymous.status_code == 401
    assert anonymous.json()["reason"] == "no_credentials"
    assert "Basic" not in anonymous.headers["www-authenticate"]  # browsers must not prompt
    wrong = console.post("/login", json={"name": "op", "password": "guess"})
    assert wrong.status_code == 401
    assert [(e.action, e.reason) for e in audit.events] == [
        (AuditAction.REQUEST_REFUSED, "no_credentials"),
        (AuditAction.AUTH_FAILED, "bad_credentials"),
    ]


def test_replay_and_revocation_need_an_operator_and_the_page_s_csrf_token(
    console: TestClient, identities: Identities, audit: MemoryAuditSink
) -> None:
    key = identities.agency("SYT")
    key_id = key.split(".")[1]
    reader = identities.operator("reader", Role.IOC_READER)
    sign_in(console, "reader", reader)
    assert console.get("/api/session").json()["roles"] == ["ioc_reader"]
    refused = console.post("/api/deadletters/replay", json={"reason": "x"})
    assert refused.status_code == 403
    assert refused.json()["reason"] == "missing_role"
    assert console.get("/api/security").status_code == 403

    operator = identities.operator("op", Role.OPERATOR)
    csrf = sign_in(console, "op", operator)
    forged = console.post("/api/keys/revoke", json={"key_id": key_id})
    assert forged.status_code == 403
    assert forged.json()["reason"] == "csrf"
    done = console.post("/api/keys/revoke", json={"key_id": key_id}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert not load_access(identities.path).key_owner(key_id)[1].active  # type: ignore[index]
    assert console.post("/logout").status_code == 200
    assert console.get("/api/session").status_code == 401
    actions = [(e.action, e.reason, e.actor) for e in audit.events]
    assert (AuditAction.REQUEST_REFUSED, "missing_role", "operator:reader") in actions
    assert (AuditAction.REQUEST_REFUSED, "csrf", "operator:op") in actions
    assert (AuditAction.KEY_REVOKED, None, "operator:op") in actions
    assert (AuditAction.LOGIN, None, "operator:op") in actions


def test_a_sign_in_link_sets_the_session(console: TestClient, identities: Identities) -> None:
    identities.operator("admin", Role.ADMIN)
    token = console.app.state.auth.sessions.login_token("admin")  # type: ignore[attr-defined]
    followed = console.get(f"/login?token={token}", follow_redirects=False)
    assert followed.status_code == 303
    assert console.get("/api/session").json()["name"] == "admin"
    assert console.get("/login?token=forged", follow_redirects=False).status_code == 401
