"""The agencies file: parse, validate with located errors, edit, save, watch."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lienthong.schemas.access import (
    AccessChangeError,
    AccessError,
    AccessFile,
    AccessWatcher,
    Role,
    add_key,
    explain_http,
    grant,
    hash_password,
    kafka_principal,
    load_access,
    parse_access,
    password_matches,
    revoke_key,
    save_access,
    seed_access,
    set_operator,
)

EXAMPLE = """\
agencies:
  - code: "000.00.00.H30"
    name: "UBND tỉnh Hậu Giang"
    parent: null
    publish: [dossier.lifecycle]
    subscribe: [ioc]
  - code: SYT
    name: Sở Y tế
    parent: "000.00.00.H30"
    publish: [case.epidemic]
operators: []
"""


def test_an_example_file_parses() -> None:
    access = parse_access(EXAMPLE)
    assert [a.code for a in access.agencies] == ["000.00.00.H30", "SYT"]
    assert access.agency("000.00.00.h30") is access.agencies[0]
    assert access.services  # every service by default


def test_a_problem_names_its_line_and_field() -> None:
    broken = EXAMPLE.replace("publish: [case.epidemic]", "publish: [case.nope]")
    with pytest.raises(AccessError) as caught:
        parse_access(broken, "agencies.yaml")
    text = str(caught.value)
    assert "line 10" in text
    assert "agencies[1].publish" in text
    assert "case.nope" in text


def test_unknown_parent_and_duplicate_codes_are_refused() -> None:
    with pytest.raises(AccessError, match="parent 'XYZ'"):
        parse_access(EXAMPLE.replace('parent: "000.00.00.H30"', "parent: XYZ"))
    with pytest.raises(AccessError, match="appears twice"):
        parse_access(EXAMPLE.replace("code: SYT", 'code: "000.00.00.h30"'))


def test_a_clear_password_is_refused() -> None:
    text = EXAMPLE.replace(
        "operators: []", "operators:\n  - name: admin\n    roles: [admin]\n    password: hunter2"
    )
    with pytest.raises(AccessError, match="scrypt"):
        parse_access(text)


def test_keys_are_kept_as_digests_and_revocation_sticks() -> None:
    access = parse_access(EXAMPLE)
    access, key, secret = add_key(access, "SYT", "one-stop")
    presented = secret.get_secret_value()
    assert presented.split(".")[2] not in str(access.model_dump())
    agency = access.authenticate_key(presented)
    assert agency is not None
    assert agency.code == "SYT"
    assert access.authenticate_key(presented + "x") is None
    assert access.authenticate_key("lt.nope.nope") is None
    access, _, revoked = revoke_key(access, key.id)
    assert revoked.revoked_at is not None
    assert access.authenticate_key(presented) is None
    first = revoked.revoked_at
    access, _, again = revoke_key(access, key.id, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert again.revoked_at == first
    with pytest.raises(AccessChangeError, match="agencies list"):
        revoke_key(access, "ffffffffffff")


def test_a_key_for_a_new_agency_adds_it() -> None:
    access, _, _ = add_key(AccessFile(), "STP")
    assert access.agency("STP") is not None


def test_grants_are_checked_against_the_catalogue() -> None:
    access = parse_access(EXAMPLE)
    access, agency = grant(access, "SYT", publish=["case.feedback"], subscribe=["syt"])
    assert agency.publish == ["case.epidemic", "case.feedback"]
    access, agency = grant(access, "SYT", publish=["case.epidemic"], revoke=True)
    assert agency.publish == ["case.feedback"]
    with pytest.raises(AccessChangeError, match="catalogue"):
        grant(access, "SYT", publish=["nope"])


def test_passwords_are_slow_hashes() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt:n=16384,r=8,p=1:")
    assert password_matches(stored, "correct horse")
    assert not password_matches(stored, "correct horse ")
    _, operator = set_operator(AccessFile(), "admin", [Role.ADMIN], "pw")
    assert operator.has(Role.OPERATOR)
    assert "pw" not in operator.password


def test_save_is_atomic_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "agencies.yaml"
    access, _, _ = add_key(parse_access(EXAMPLE), "SYT")
    access, _ = set_operator(access, "admin", [Role.ADMIN], "pw")
    save_access(path, access)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_access(path) == access
    assert path.read_text("utf-8").startswith("# The axis' identities")
    assert list(path.parent.iterdir()) == [path]


def test_an_absent_file_is_empty(tmp_path: Path) -> None:
    assert load_access(tmp_path / "none.yaml") == AccessFile()


def test_the_seed_comes_from_the_reference() -> None:
    access = seed_access()
    ubnd = access.agency("000.00.00.H30")
    assert ubnd is not None
    assert ubnd.name.startswith("Ủy ban nhân dân")
    syt = access.agency("SYT")
    assert syt is not None
    assert syt.parent == "000.00.00.H30"
    cdc = access.agency("CDC Hậu Giang")
    assert cdc is not None
    assert cdc.parent == "SYT"


def test_principals() -> None:
    assert kafka_principal("000.00.00.H30") == "agency.000.00.00.h30"
    assert kafka_principal("CDC Hậu Giang") == "agency.cdc-hau-giang"
    assert kafka_principal("worker") == "svc.worker"
    assert kafka_principal("admin") == "svc.admin"


def test_explain_http() -> None:
    access, key, _ = add_key(parse_access(EXAMPLE), "SYT")
    lines = explain_http(access, "SYT")
    assert key.id in lines[0]
    assert any("case.epidemic" in line for line in lines)
    assert "no agency" in explain_http(access, "ZZZ")[0]


def test_the_watcher_sees_a_revocation_and_keeps_the_last_good_file(tmp_path: Path) -> None:
    path = tmp_path / "agencies.yaml"
    access, key, secret = add_key(parse_access(EXAMPLE), "SYT")
    save_access(path, access)
    watcher = AccessWatcher(path)
    assert watcher.current().authenticate_key(secret.get_secret_value()) is not None
    access, _, _ = revoke_key(access, key.id)
    save_access(path, access)
    assert watcher.current().authenticate_key(secret.get_secret_value()) is None
    path.write_text("agencies: [{code: ''}]\n", "utf-8")
    os.utime(path, ns=(1, 1))
    assert watcher.current() == access
    assert watcher.problem is not None
