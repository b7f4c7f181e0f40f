"""The demo's agencies file: every reference agency, the grants the simulation needs,
an admin, the console's reader identity, and keys for the one-stop centre and for an
intruder (a real agency's system misbehaving, whose refusals fill the Security panel).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from lienthong.demo.simulation import (
    CASE_AGENCIES,
    DOCUMENT_AGENCY,
    DOSSIER_AGENCY,
    FEEDBACK_AGENCY,
)
from lienthong.schemas.access import Role, add_key, grant, save_access, seed_access, set_operator

INTRUDER_AGENCY = "STP"
"""Sở Tư pháp: a real agency whose (simulated) system tries what it must not."""

GRANTS = {
    DOSSIER_AGENCY: ["dossier.lifecycle", "dossier.progress"],
    **{agency: ["case.epidemic", "case.quarantine_zone"] for agency in CASE_AGENCIES},
    FEEDBACK_AGENCY: ["case.feedback"],
    DOCUMENT_AGENCY: ["document.official"],
    INTRUDER_AGENCY: ["dossier.lifecycle"],
}


@dataclass(frozen=True)
class DemoIdentities:
    """Secrets the demo hands its parts (shown once; only hashes are in the file)."""

    path: Path
    admin_password: str
    console_password: str
    gateway_key: str
    intruder_key: str


def write_demo_identities(path: Path) -> DemoIdentities:
    """Write the demo's agencies file at ``path`` and return the secrets it made."""
    access = seed_access()
    for agency, types in GRANTS.items():
        access, _ = grant(access, agency, publish=types)
    access, _ = grant(access, DOCUMENT_AGENCY, subscribe=["ioc"])
    admin_password, console_password = secrets.token_urlsafe(12), secrets.token_urlsafe(16)
    access, _ = set_operator(access, "admin", [Role.ADMIN], admin_password)
    access, _ = set_operator(access, "console", [Role.IOC_READER], console_password)
    access, _, gateway_key = add_key(access, DOSSIER_AGENCY, "demo one-stop system")
    access, _, intruder_key = add_key(access, INTRUDER_AGENCY, "demo intruder")
    save_access(path, access)
    return DemoIdentities(
        path,
        admin_password,
        console_password,
        gateway_key.get_secret_value(),
        intruder_key.get_secret_value(),
    )
