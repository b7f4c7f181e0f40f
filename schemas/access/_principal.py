"""Kafka principals (SCRAM usernames): the only place that spells them."""

from __future__ import annotations

from lienthong.schemas.access._model import Service
from lienthong.schemas.naming import topic_segment

ADMIN_PRINCIPAL = "svc.admin"
"""The broker's own inter-broker and administration user."""


def kafka_principal(identity_name: str) -> str:
    """The SCRAM username of an agency (its code) or a service (its name).

    ``"000.00.00.H30"`` → ``"agency.000.00.00.h30"``; ``"worker"`` → ``"svc.worker"``;
    ``"admin"`` → ``"svc.admin"``. Agency codes are folded as in topic names, so an
    agency's principal and its ``ingress.<segment>.`` prefix always agree.
    """
    if identity_name == "admin":
        return ADMIN_PRINCIPAL
    if identity_name in {s.value for s in Service}:
        return f"svc.{identity_name}"
    return f"agency.{topic_segment(identity_name)}"
