"""The sources in-process: a SQLite outbox, and folder drops (good, bad, partial files)."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.positions import read_position
from lienthong.connectors.topics import ingress_topic
from lienthong.demo.simulation import dossier_payload
from tests.connectors.events import new_id, plan_of, run_until
from tests.connectors.support import new_agency, read_topic


def _outbox(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "CREATE TABLE outbox (id TEXT NOT NULL, aggregatetype TEXT NOT NULL, "
        "aggregateid TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL)"
    )
    return db


def test_sqlite_outbox_publishes_in_order_and_dead_letters_bad_rows(
    tmp_path: Path, kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    agency = new_agency()
    dead = f"test.outbox.dlq.{new_id()}"
    db = _outbox(tmp_path / "motcua.db")
    rows: list[tuple[Any, ...]] = []
    for step in range(1, 31):
        number = f"H30-250304-{step % 3:04d}"
        rows.append(
            (
                str(uuid.uuid4()),
                "dossier",
                number,
                "DossierChanged",
                json.dumps(dossier_payload(number, step)),
            )
        )
    rows[4] = (*rows[4][:4], "{not json")
    rows[9] = (*rows[9][:3], "DossierDeleted", rows[9][4])  # no such event type
    rows[14] = (rows[14][0], "dossier", "H30-OTHER", "DossierChanged", rows[14][4])  # wrong key
    rows[19] = (42, *rows[19][1:])  # an integer id: mapped to a stable UUID
    db.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?, ?)", rows)
    name = f"outbox-{new_id()}"
    plan = plan_of(
        kafka_settings,
        schema_registry_url,
        {
            "name": name,
            "kind": "outbox",
            "dsn": f"sqlite:///{tmp_path / 'motcua.db'}",
            "agency": agency,
            "position_column": "rowid",
            "type_map": {"DossierChanged": "dossier.lifecycle"},
            "batch_size": 7,
            "poll_interval_s": 0.05,
            "delete_published": True,
            "deadletter_topic": dead,
        },
    )
    topic = ingress_topic(agency, "dossier.lifecycle")
    run_until(plan, lambda: read_position(kafka_settings, name) == 30)
    records = read_topic(kafka_settings, topic)
    assert len(records) == 27
    steps: dict[bytes | None, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        steps.setdefault(record.key, []).append(record.offset)
    assert {r.header("lt.event_id") for r in records} >= {rows[0][0], rows[29][0]}
    letters = read_topic(kafka_settings, dead)
    reasons = sorted(r.header("lt.dlq.reason") for r in letters)
    assert reasons == ["bad_payload", "key_mismatch", "unknown_event_type"]
    assert {r.header("lt.dlq.source_offset") for r in letters} == {"5", "10", "15"}
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0  # deleted once published


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = sorted({k for row in rows for k in row})
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    old = time.time() - 60  # settled: not being written any more
    os.utime(path, (old, old))


def _write_jsonl(path: Path, rows: list[Any]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    old = time.time() - 60
    os.utime(path, (old, old))


def test_folder_drop_publishes_good_files_and_reports_bad_rows(
    tmp_path: Path, kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    agency = new_agency()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = [dossier_payload(f"H30-250304-{i:04d}", i) for i in range(5)]
    _write_csv(
        inbox / "a-good.csv", [{k: v for k, v in r.items() if k != "occurred_at"} for r in good]
    )
    bad = [
        dossier_payload("H30-250304-0100", 1),
        {**dossier_payload("H30-250304-0101", 2), "LoaiDoiTuong": 9},
        "not an object",
    ]
    _write_jsonl(inbox / "b-bad.jsonl", bad)
    _write_jsonl(inbox / "c-partial.jsonl", bad)
    (inbox / "d-fresh.jsonl").write_text(json.dumps(good[0]) + "\n")  # still being written
    name = f"folder-{new_id()}"
    connector = {
        "name": name,
        "kind": "folder",
        "path": str(inbox),
        "event_type": "dossier.lifecycle",
        "agency": agency,
        "settle_s": 30,
        "poll_interval_s": 0.05,
    }
    plan = plan_of(kafka_settings, schema_registry_url, connector)
    settled = [inbox / "done" / "a-good.csv", inbox / "failed" / "b-bad.jsonl"]
    settled.append(inbox / "failed" / "c-partial.jsonl")
    run_until(plan, lambda: all(p.exists() for p in settled))
    # Not partial: both bad files fail whole, with a report of each rejected row.
    assert (inbox / "failed" / "b-bad.jsonl").exists()
    report = [
        json.loads(line)
        for line in (inbox / "failed" / "b-bad.jsonl.rejected.jsonl").read_text().splitlines()
    ]
    assert [(r["row"], r["reason"]) for r in report] == [(2, "invalid_event"), (3, "bad_payload")]
    assert report[0]["errors"][0]["field"] == "LoaiDoiTuong"
    assert (inbox / "d-fresh.jsonl").exists()  # not settled yet: left alone
    topic = ingress_topic(agency, "dossier.lifecycle")
    assert len(read_topic(kafka_settings, topic)) == 5

    # partial: the valid row of the same content is published, the others dead-lettered.
    (inbox / "failed" / "c-partial.jsonl").rename(inbox / "c-partial.jsonl")
    dead = f"test.folder.dlq.{new_id()}"
    plan = plan_of(
        kafka_settings,
        schema_registry_url,
        {**connector, "partial": True, "deadletter_topic": dead},
    )
    run_until(plan, (inbox / "done" / "c-partial.jsonl").exists)
    assert len(read_topic(kafka_settings, topic)) == 6
    letters = read_topic(kafka_settings, dead)
    assert sorted(r.header("lt.dlq.source_offset") for r in letters) == ["2", "3"]
    assert (inbox / "done" / "c-partial.jsonl.rejected.jsonl").exists()
    # The same file dropped again is recognised (its digest is in the position): moved
    # to done/ without publishing; a file with one more row republishes the same ids
    # for the rows it shares (content-derived), which downstream dedup drops.
    rows = [{k: v for k, v in r.items() if k != "occurred_at"} for r in good]
    _write_csv(inbox / "a-again.csv", rows)
    _write_csv(inbox / "a-more.csv", [*rows, {**rows[0], "MaHoSo": "H30-250304-0200"}])
    run_until(plan, (inbox / "done" / "a-more.csv").exists)
    assert (inbox / "done" / "a-again.csv").exists()
    ids = [r.header("lt.event_id") for r in read_topic(kafka_settings, topic)]
    assert len(ids) == 12
    assert len(set(ids)) == 7
