"""Reloading the rules file without a restart: its modification time is watched.

The worker asks :meth:`RulesWatcher.current` once per batch; at most every
``poll_s`` seconds that costs one ``stat``. A changed file is loaded and checked; if it
is wrong the previous rules stay in force and the problem is kept in ``last_error`` (and
logged), so a typo never stops routing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.errors import RulesError
from lienthong.consumers.routing.router import Router
from lienthong.consumers.routing.rules import load_rules

log = logging.getLogger(__name__)


class RulesWatcher:
    """Holds the router of a rules file and reloads it when the file changes."""

    def __init__(
        self,
        path: Path,
        layout: TopicLayout,
        *,
        poll_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Load ``path`` now; raises :class:`RulesError` if the first load fails."""
        self.path = path
        self._layout = layout
        self._poll_s = poll_s
        self._clock = clock
        self._mtime = self._stat()
        self._router = Router(load_rules(path), layout)
        self._checked = clock()
        self.last_error: RulesError | None = None
        self.reloads = 0

    def _stat(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def current(self) -> tuple[Router, bool]:
        """The router in force, and whether it was (re)loaded by this call."""
        now = self._clock()
        if now - self._checked < self._poll_s:
            return self._router, False
        self._checked = now
        mtime = self._stat()
        if mtime == self._mtime:
            return self._router, False
        self._mtime = mtime
        try:
            router = Router(load_rules(self.path), self._layout)
        except RulesError as exc:
            self.last_error = exc
            log.warning("rules file changed but is not usable; keeping the old rules: %s", exc)
            return self._router, False
        self._router, self.last_error = router, None
        self.reloads += 1
        log.info("rules reloaded from %s: %d rule(s)", self.path, len(router.rules.rules))
        return router, True
