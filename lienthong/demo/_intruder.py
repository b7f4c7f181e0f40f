"""The demo's bad actor: a real agency's system (Sở Tư pháp) trying what it must not.

Each :meth:`Intruder.step` tries one forbidden thing, in turn: a forged key at the
gateway, publishing in another agency's name, reading another agency's inbox, deleting
a schema without the role, and changing the one-stop centre's dossier (valid at the
gateway, refused by the gate as ``not_owner``). Every attempt is refused, and every
refusal shows on the console's Security panel.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from lienthong.demo._identities import INTRUDER_AGENCY
from lienthong.demo.simulation import DOSSIER_AGENCY
from lienthong.schemas.models import DossierLifecycle


@dataclass
class Intruder:
    """Misbehaves against the demo's gateway, views API and registry."""

    urls: dict[str, str]
    key: str
    refused: int = 0
    _moves: Iterator[Callable[[DossierLifecycle | None], int]] = field(init=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(timeout=10)
        self._moves = itertools.cycle(
            [self._forged_key, self._as_another, self._other_inbox, self._delete, self._hijack]
        )

    def close(self) -> None:
        self._http.close()

    def step(self, victim: DossierLifecycle | None) -> None:
        """Try the next forbidden thing (the victim: a dossier of the one-stop centre)."""
        try:
            status = next(self._moves)(victim)
        except httpx.HTTPError:
            return  # a service restarting: try again on the next step
        if status in (401, 403):
            self.refused += 1

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def _forged_key(self, _: DossierLifecycle | None) -> int:
        forged = {"Authorization": "Bearer lt.000000000000.not-a-real-secret"}
        url = f"{self.urls['gateway']}/v1/events"
        return self._http.post(url, json={}, headers=forged).status_code

    def _as_another(self, victim: DossierLifecycle | None) -> int:
        if victim is None:
            return 0
        url = f"{self.urls['gateway']}/v1/events"
        body = victim.model_dump(mode="json")  # source_agency is the one-stop centre's
        return self._http.post(url, json=body, headers=self._auth()).status_code

    def _other_inbox(self, _: DossierLifecycle | None) -> int:
        url = f"{self.urls['worker']}/inbox/{DOSSIER_AGENCY}"
        return self._http.get(url, headers=self._auth()).status_code

    def _delete(self, _: DossierLifecycle | None) -> int:
        url = f"{self.urls['registry']}/subjects/lienthong.events.dossier.lifecycle-value"
        return self._http.delete(url, headers=self._auth()).status_code

    def _hijack(self, victim: DossierLifecycle | None) -> int:
        if victim is None:
            return 0
        # The same facts at the same time, only sent by another agency.
        envelope = DossierLifecycle.new_envelope(
            INTRUDER_AGENCY, occurred_at=victim.envelope.occurred_at
        )
        hijacked = victim.model_copy(update={"envelope": envelope})
        url = f"{self.urls['gateway']}/v1/events"
        # Accepted at the gateway (the key may publish dossiers as STP); the gate,
        # which knows whose dossier it is, refuses it as not_owner.
        self._http.post(url, json=hijacked.model_dump(mode="json"), headers=self._auth())
        self.refused += 1
        return 0
