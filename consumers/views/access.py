"""Who may ask the query API what.

The citizen portal's look-ups (``/portal/...``) stay public: they show only what the
citizen's receipt shows. IOC statistics (``/ioc/...``) need an operator with role
ioc_reader (admins have it); an inbox (``/inbox/{agency}``) is that agency's own (its
API key) or an IOC reader's. ``/metrics``, ``/healthz`` and ``/readyz`` stay open for
Prometheus and probes; anything else needs some identity of the agencies file.
"""

from __future__ import annotations

from urllib.parse import unquote

from lienthong.auth import ANY_IDENTITY, Requirement, agency_or_role, role
from lienthong.schemas.access import Role

_OPEN = ("/portal/",)
_OPERATIONS = frozenset({"/metrics", "/healthz", "/readyz"})
IOC_READER = role(Role.IOC_READER)


def query_policy(method: str, path: str) -> Requirement | None:
    """The requirement of a query API request (None: public)."""
    if path.startswith(_OPEN) or path in _OPERATIONS:
        return None
    if path.startswith("/ioc/"):
        return IOC_READER
    if path.startswith("/inbox/"):
        agency = unquote(path.removeprefix("/inbox/")).strip("/")
        return agency_or_role(agency, Role.IOC_READER)
    return ANY_IDENTITY


CREDENTIAL_HEADERS = ("Authorization", "X-API-Key")
"""Headers a worker passes on when it asks its peers for their part of an answer."""
