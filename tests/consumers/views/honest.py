"""Polling the query API through a fault: every answer must be right, or a 503.

Used by the crash and two-worker tests and by ``bench/bench_recovery.py``: once a day of
events is fully materialized, the figures and the look-ups have one right answer each;
a worker that is recovering may say so (503 with Retry-After) but never answer a total
of 0, a 404 for a dossier that exists, or a 500.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from lienthong.schemas.models import DossierLifecycle, EventModel
from tests.identities import QUERY_READER

from .oracle import Expected


@dataclass
class Poll:
    """What the API answered while polled: counts by kind, the wrong answers, timing."""

    started: float = field(default_factory=time.monotonic)
    kinds: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    first_right_s: float | None = None  # after start: since then every round was right

    def note(self, kind: str, detail: str = "") -> None:
        self.kinds[kind] += 1
        if kind == "wrong" and len(self.wrong) < 20:
            self.wrong.append(detail)


class Questions:
    """The questions asked at each round, with their right answers."""

    def __init__(self, events: list[EventModel], want: Expected, sample: int = 8) -> None:
        latest = {e.MaHoSo: e.TrangThaiHoSo for e in events if isinstance(e, DossierLifecycle)}
        numbers = sorted(latest)
        step = max(1, len(numbers) // sample)
        self.dossiers = {n: latest[n] for n in numbers[::step][:sample]}
        self.status = want.status

    def ask(self, client: httpx.Client, base: str, poll: Poll) -> bool:
        """One round of questions; True when every answer was right."""
        right = self._stats(client, base, poll)
        for number, status in self.dossiers.items():
            right = self._dossier(client, base, number, status, poll) and right
        return right

    @staticmethod
    def _get(
        client: httpx.Client, url: str, poll: Poll, **params: str | int
    ) -> httpx.Response | None:
        """The answer, or ``None`` (noted) when there is none or it is an honest 503."""
        try:
            response = client.get(url, params=params)
        except httpx.HTTPError as exc:
            poll.note("no_connection", type(exc).__name__)
            return None
        if response.status_code == 503 and "retry-after" in response.headers:
            poll.note("unavailable")
            return None
        return response

    def _stats(self, client: httpx.Client, base: str, poll: Poll) -> bool:
        response = self._get(client, f"{base}/ioc/stats", poll, by="status", limit=500)
        if response is None:
            return False
        got = (
            {r["key"]: r["dossiers"] for r in response.json()["items"]}
            if response.status_code == 200
            else None
        )
        if got == self.status:
            poll.note("right")
            return True
        poll.note("wrong", f"stats {response.status_code}: {response.text[:200]}")
        return False

    def _dossier(
        self, client: httpx.Client, base: str, number: str, status: int, poll: Poll
    ) -> bool:
        response = self._get(client, f"{base}/portal/dossiers/{number}", poll)
        if response is None:
            return False
        if response.status_code == 200 and response.json()["status"] == status:
            poll.note("right")
            return True
        poll.note("wrong", f"{number} {response.status_code}: {response.text[:200]}")
        return False


def poll_until_right(
    base: str, questions: Questions, *, timeout_s: float, settle_rounds: int = 3
) -> Poll:
    """Ask every ~0.2 s until ``settle_rounds`` rounds in a row are right (or timeout)."""
    poll = Poll()
    in_a_row = 0
    with httpx.Client(timeout=10, auth=QUERY_READER) as client:
        while time.monotonic() - poll.started < timeout_s and in_a_row < settle_rounds:
            asked = time.monotonic() - poll.started
            if questions.ask(client, base, poll):
                if in_a_row == 0:
                    poll.first_right_s = asked
                in_a_row += 1
            else:
                in_a_row, poll.first_right_s = 0, None
            time.sleep(0.2)
    return poll
