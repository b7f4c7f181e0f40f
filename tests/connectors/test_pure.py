"""Pure logic of the connectors: backoff, breaker, gap guard, SQL, mapping, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lienthong.connectors import sql
from lienthong.connectors.resilience import (
    Backoff,
    CircuitBreaker,
    CircuitState,
    is_retryable_status,
    retry_after,
)
from lienthong.connectors.sinks import pg_tables
from lienthong.connectors.sinks import portal_mapping as pm
from lienthong.connectors.sources import outbox_sql
from lienthong.schemas.catalogue import catalogue, event_type

# -- resilience ------------------------------------------------------------------------


def test_backoff_grows_exponentially_within_its_cap_and_jitter() -> None:
    backoff = Backoff(initial_s=0.5, multiplier=2.0, max_s=5.0, jitter=0.2)
    assert [backoff.delay(n, rand=0.5) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert backoff.delay(2, rand=0.0) == pytest.approx(0.8)
    assert backoff.delay(2, rand=0.999999) == pytest.approx(1.2, rel=1e-5)
    assert backoff.delay(10, rand=0.999) <= 5.0
    assert backoff.after(3, retry_after("1.5")) == 1.5
    assert backoff.after(3, retry_after("3600")) == 5.0  # capped
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_retryable_statuses() -> None:
    assert [s for s in (200, 400, 404, 408, 422, 425, 429, 500, 503) if is_retryable_status(s)] == [
        408, 425, 429, 500, 503,
    ]  # fmt: skip


def state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # read through a call: each check sees the state afresh


def test_circuit_opens_after_failures_in_a_row_and_half_opens_after_cooldown() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_s=10.0)
    breaker.failure(0.0)
    breaker.failure(1.0)
    breaker.success()  # the run is broken: counting starts again
    for now in (2.0, 3.0, 4.0):
        assert breaker.allow(now)
        breaker.failure(now)
    assert state(breaker) is CircuitState.OPEN
    assert not breaker.allow(5.0)
    assert breaker.wait_s(5.0) == pytest.approx(9.0)
    assert breaker.allow(14.0)
    assert state(breaker) is CircuitState.HALF_OPEN
    breaker.failure(14.0)  # the trial failed: open again at once
    assert not breaker.allow(15.0)
    assert breaker.allow(24.0)
    breaker.success()
    assert state(breaker) is CircuitState.CLOSED
    assert breaker.opened_count == 2


# -- outbox ----------------------------------------------------------------------------


def test_outbox_sql_quotes_checked_names() -> None:
    columns = outbox_sql.Columns(table="motcua.outbox", occurred_at="created_at")
    assert outbox_sql.select_sql(columns, "%s") == (
        'SELECT "seq", "id", "aggregatetype", "aggregateid", "type", "payload", "created_at" '
        'FROM "motcua"."outbox" WHERE "seq" > %s ORDER BY "seq" LIMIT %s'
    )
    assert outbox_sql.delete_sql(columns, "?") == 'DELETE FROM "motcua"."outbox" WHERE "seq" <= ?'
    for bad in ("outbox; DROP TABLE x", 'a"b', "a.b.c", ""):
        with pytest.raises(ValueError, match="plain SQL name"):
            sql.check_identifier(bad)


def test_gap_guard_waits_for_a_hole_then_moves_on() -> None:
    now = [0.0]
    guard = outbox_sql.GapGuard(wait_s=5.0, clock=lambda: now[0])
    assert guard.admit(0, [1, 2, 3]) == 3
    assert guard.admit(3, [4, 6, 7]) == 1  # 5 is not visible yet: stop before the hole
    now[0] = 2.0
    assert guard.admit(4, [6, 7]) == 0  # still waiting for 5
    assert guard.admit(4, [5, 6, 7]) == 3  # 5 committed: all in order
    assert guard.admit(7, [9]) == 0  # the wait for 8 starts now (t = 2)
    now[0] = 6.0
    assert guard.admit(7, [9]) == 0
    now[0] = 7.5
    assert guard.admit(7, [9, 10]) == 2  # 8 was burnt (a rollback): move on
    assert outbox_sql.GapGuard(0.0, lambda: 0.0).admit(0, [5, 9]) == 2  # SQLite: no wait


# -- PostgreSQL tables -----------------------------------------------------------------


def test_tables_follow_the_contract() -> None:
    model = pg_tables.table_model(event_type("dossier.lifecycle"), "state", schema="public")
    types = {c.name: (c.sql_type, c.nullable) for c in model.columns}
    assert types["event_id"] == ("uuid", False)
    assert types["occurred_at"] == ("timestamptz", False)
    assert types["MaHoSo"] == ("text", False)
    assert types["TrangThaiTruoc"] == ("integer", True)
    assert types["NgayTra"] == ("timestamptz", True)
    assert model.key == "MaHoSo"
    assert model.table == "public.dossier_lifecycle"
    merge = pg_tables.merge_sql(model)
    assert 'ON CONFLICT ("MaHoSo") DO UPDATE' in merge
    assert '"public"."dossier_lifecycle"."occurred_at" <= EXCLUDED."occurred_at"' in merge
    history = pg_tables.table_model(event_type("dossier.progress"), "log", schema="s", name="steps")
    assert pg_tables.merge_sql(history).endswith('ON CONFLICT ("event_id") DO NOTHING')
    assert pg_tables.sql_type(["null", "string", "int"]) == ("jsonb", True)
    assert pg_tables.sql_type({"type": "array", "items": "string"}) == ("jsonb", False)


def test_a_batch_keeps_the_newest_state_per_key_and_the_first_of_each_event() -> None:
    model = pg_tables.table_model(event_type("dossier.lifecycle"), "state", schema="public")

    def rec(number: str, minute: int, event_id: str) -> dict[str, object]:
        at = datetime(2025, 1, 1, 0, minute, tzinfo=UTC)
        return {"MaHoSo": number, "envelope": {"occurred_at": at, "event_id": event_id}}

    records = [rec("A", 2, "a2"), rec("A", 1, "a1"), rec("B", 1, "b1"), rec("A", 2, "a2b")]
    kept = pg_tables.latest_per_key(model, records)
    assert [r["envelope"] for r in kept] == [records[3]["envelope"], records[2]["envelope"]]
    log = pg_tables.table_model(event_type("dossier.progress"), "log", schema="public")
    assert len(pg_tables.latest_per_key(log, [rec("A", 1, "x"), rec("A", 2, "x")])) == 1


# -- national portal -------------------------------------------------------------------


def test_portal_time_is_vietnam_local() -> None:
    assert pm.portal_time(datetime(2025, 3, 4, 17, 30, 5, tzinfo=UTC)) == "20250305003005"
    assert pm.portal_time(1_735_689_600_000) == "20250101070000"  # epoch ms
    # The tz database, not a fixed +7: Saigon was UTC+8 until 1975.
    assert pm.portal_time(0) == "19700101080000"
    assert pm.portal_time(None) is None
    with pytest.raises(ValueError, match="naive"):
        pm.portal_time(datetime(2025, 1, 1))


def test_status_mapping_table() -> None:
    default = pm.StatusMapping()
    assert [default.national(c) for c in range(1, 11)] == list(range(1, 11))
    site = pm.StatusMapping.with_overrides({3: 11}, {"cancelling": 7})
    assert site.national(3) == 11
    assert site.national(4) == 4
    assert site.national(4, "cancelling") == 7
    with pytest.raises(pm.UnmappedStatus, match="status 42"):
        site.national(42)


def test_dossier_event_maps_to_dong_bo_item() -> None:
    at = datetime(2025, 3, 4, 1, 2, 3, tzinfo=UTC)
    record = {
        "MaHoSo": "H30-1",
        "TrangThaiHoSo": 5,
        "TrangThaiNoiBo": None,
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Nguyễn Văn A",
        "LoaiDoiTuong": 1,
        "NgayTiepNhan": at,
        "NgayHenTra": None,
        "DonViXuLy": "UBND xã Hoả Lựu",
        "NoiDungBoSung": "Bản sao giấy chứng sinh",
        "NgayHenTraMoi": at,
    }
    item = pm.dong_bo_item(record, pm.StatusMapping())
    assert item == {
        "MaHoSo": "H30-1",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Nguyễn Văn A",
        "LoaiDoiTuong": "1",
        "NgayTiepNhan": "20250304080203",
        "TrangThaiHoSo": "5",
        "DonViXuLy": "UBND xã Hoả Lựu",
        "DanhSachHoSoBoSung": [
            {"NoiDungBoSung": "Bản sao giấy chứng sinh", "NgayHenTraMoi": "20250304080203"}
        ],
    }
    body = pm.request_body(pm.DONG_BO, [item], updating=True)
    assert body == {"service": "DongBoHoSoMC", "isUpdating": "True", "data": [item]}
    assert "isUpdating" not in pm.request_body(pm.TIEN_DO, [item], updating=True)


def test_acknowledgement_needs_error_code_zero() -> None:
    assert pm.acknowledged(200, {"error_code": "0", "message": "ok"})[0]
    assert pm.acknowledged(200, {"error_code": 0})[0]
    assert not pm.acknowledged(200, {"error_code": "-1", "message": "busy"})[0]
    assert not pm.acknowledged(200, None)[0]
    assert not pm.acknowledged(502, {"error_code": "0"})[0]


def test_every_event_type_has_a_table() -> None:
    for entry in catalogue().values():
        model = pg_tables.table_model(entry, "state", schema="public")
        assert model.key in {c.name for c in model.columns}
        assert pg_tables.create_sql(model)
