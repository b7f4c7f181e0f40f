"""The agencies file as a long-running process sees it: re-read when it changes.

A revoked key must fail on the very next request in every process (gateway, query
API, registry, console), so each check asks the watcher, which compares the file's
modification time, size and inode (one ``stat``) and re-reads only on a change. A file
broken by a hand edit keeps the last good version in force and reports the problem.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from lienthong.schemas.access._file import AccessError, load_access
from lienthong.schemas.access._model import AccessFile

log = logging.getLogger(__name__)

_Stamp = tuple[int, int, int] | None


class AccessWatcher:
    """The current :class:`AccessFile` at ``path``, re-read whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: _Stamp = self._stat()
        self._access = load_access(path)  # a broken file at start-up is an error
        self.problem: str | None = None

    def _stat(self) -> _Stamp:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def current(self) -> AccessFile:
        """The file as it is now (or the last good version while it is broken)."""
        stamp = self._stat()
        if stamp == self._stamp:
            return self._access
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._access = load_access(self.path)
                    self.problem = None
                except AccessError as exc:
                    self.problem = str(exc)
                    log.warning("keeping the last good agencies file: %s", exc)
                self._stamp = stamp
        return self._access
