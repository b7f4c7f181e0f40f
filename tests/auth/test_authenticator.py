"""The one HTTP decision: keys, passwords, sessions, roles, CSRF — and each refusal audited."""

from __future__ import annotations

import base64

import pytest

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.auth import (
    AN_AGENCY,
    CSRF_HEADER,
    SESSION_COOKIE,
    Allowed,
    Authenticator,
    Denied,
    RequestFacts,
    Sessions,
    agency_or_role,
    role,
)
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.access import IdentityKind, Role, load_access, revoke_key, save_access
from tests.identities import Identities


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


@pytest.fixture
def sink() -> MemoryAuditSink:
    return MemoryAuditSink()


@pytest.fixture
def auth(identities: Identities, sink: MemoryAuditSink) -> Authenticator:
    trail = AuditTrail("test", sink, AxisMetrics.create())
    return Authenticator(identities.watcher(), "test", trail, sessions=Sessions())


def test_a_key_proves_its_agency(identities: Identities, auth: Authenticator) -> None:
    key = identities.agency("SYT")
    facts = RequestFacts("POST", "/v1/events", {"authorization": f"Bearer {key}"})
    decision = auth.decide(facts, AN_AGENCY)
    assert isinstance(decision, Allowed)
    assert decision.identity is not None
    assert decision.identity.kind is IdentityKind.AGENCY
    assert decision.identity.name == "SYT"
    assert isinstance(auth.decide(RequestFacts("GET", "/x", {"x-api-key": key}), None), Allowed)


def test_no_credentials_on_a_public_path_is_anonymous(auth: Authenticator) -> None:
    decision = auth.decide(RequestFacts("GET", "/portal/x", {}), None)
    assert decision == Allowed(None)


def test_every_refusal_is_audited_with_its_reason(
    identities: Identities, auth: Authenticator, sink: MemoryAuditSink
) -> None:
    key = identities.agency("SYT")
    password = identities.operator("reader", Role.IOC_READER)
    admin_only = role(Role.ADMIN)
    cases = [
        (RequestFacts("DELETE", "/subjects/x", {}, client="10.0.0.9"), 401, "no_credentials"),
        (RequestFacts("DELETE", "/subjects/x", basic("reader", "wrong")), 401, "bad_credentials"),
        (RequestFacts("DELETE", "/subjects/x", basic("reader", password)), 403, "missing_role"),
        (RequestFacts("DELETE", "/subjects/x", {"x-api-key": key}), 403, "missing_role"),
        (
            RequestFacts("DELETE", "/subjects/x", {"authorization": "Digest x"}),
            401,
            "bad_credentials",
        ),
    ]
    for facts, status, reason in cases:
        decision = auth.decide(facts, admin_only)
        assert isinstance(decision, Denied)
        assert (decision.status, decision.reason) == (status, reason)
        assert decision.body["error"] in {"unauthenticated", "forbidden"}
    assert [e.reason for e in sink.events] == [c[2] for c in cases]
    assert sink.events[0].client == "10.0.0.9"
    assert sink.events[0].target == "DELETE /subjects/x"
    assert sink.events[1].actor == "operator:reader (claimed)"
    assert sink.events[2].actor == "operator:reader"
    assert all(password not in e.model_dump_json() for e in sink.events)


def test_failure_metrics_name_only_identities_that_exist(
    identities: Identities, sink: MemoryAuditSink
) -> None:
    metrics = AxisMetrics.create()
    auth = Authenticator(identities.watcher(), "test", AuditTrail("test", sink, metrics))
    identities.operator("admin", Role.ADMIN)
    need = role(Role.ADMIN)
    auth.decide(RequestFacts("GET", "/", basic("admin", "guess")), need)
    auth.decide(RequestFacts("GET", "/", basic("mallory-123", "guess")), need)
    text = metrics.exposition()[0].decode()
    assert 'lienthong_auth_failures_total{identity="operator:admin",service="test"} 1.0' in text
    assert 'identity="unknown"' in text
    assert "mallory" not in text


def test_an_inbox_is_its_agency_s_or_an_operator_s(
    identities: Identities, auth: Authenticator
) -> None:
    own, other = identities.agency("SYT"), identities.agency("STP")
    reader = identities.operator("ioc", Role.IOC_READER)
    need = agency_or_role("SYT", Role.IOC_READER)
    assert isinstance(
        auth.decide(RequestFacts("GET", "/inbox/SYT", {"x-api-key": own}), need), Allowed
    )
    refused = auth.decide(RequestFacts("GET", "/inbox/SYT", {"x-api-key": other}), need)
    assert isinstance(refused, Denied)
    assert refused.status == 403
    assert isinstance(
        auth.decide(RequestFacts("GET", "/inbox/SYT", basic("ioc", reader)), need), Allowed
    )


def test_a_session_needs_its_csrf_token_to_change_anything(
    identities: Identities, auth: Authenticator
) -> None:
    identities.operator("op", Role.OPERATOR)
    assert auth.sessions is not None
    cookie, session = auth.sessions.issue("op")
    cookies = {SESSION_COOKIE: cookie}
    need = role(Role.OPERATOR)
    assert isinstance(auth.decide(RequestFacts("GET", "/api/x", {}, cookies), need), Allowed)
    forged = auth.decide(RequestFacts("POST", "/api/replay", {}, cookies), need)
    assert isinstance(forged, Denied)
    assert forged.reason == "csrf"
    good = RequestFacts("POST", "/api/replay", {CSRF_HEADER: session.csrf}, cookies)
    assert isinstance(auth.decide(good, need), Allowed)
    tampered = {SESSION_COOKIE: cookie[:-1] + ("0" if cookie[-1] != "0" else "1")}
    assert isinstance(auth.decide(RequestFacts("GET", "/api/x", {}, tampered), need), Denied)


def test_an_expired_session_is_refused() -> None:
    now = [1000.0]
    sessions = Sessions(lifetime_s=10, clock=lambda: now[0])
    cookie, _ = sessions.issue("op")
    assert sessions.check(cookie) is not None
    now[0] = 1011.0
    assert sessions.check(cookie) is None


def test_a_revoked_key_fails_on_the_next_request(
    identities: Identities, auth: Authenticator
) -> None:
    key = identities.agency("SYT")
    facts = RequestFacts("POST", "/v1/events", {"x-api-key": key})
    assert isinstance(auth.decide(facts, AN_AGENCY), Allowed)
    save_access(identities.path, revoke_key(load_access(identities.path), key.split(".")[1])[0])
    assert isinstance(auth.decide(facts, AN_AGENCY), Denied)
