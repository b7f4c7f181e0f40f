"""A throwaway PostgreSQL cluster for tests and benchmarks: Debian's binaries, a temp dir.

A tool, like :mod:`lienthong.broker` for Kafka: the connectors' tests and
``bench/bench_connectors.py`` run against a real PostgreSQL it starts and stops.

PostgreSQL refuses to run as root, and tests here run as root: the cluster is then
initialised and started as the ``postgres`` system user (``runuser -u postgres --``),
in a fresh data directory that user owns, listening on 127.0.0.1 and on a unix socket
inside that directory only. Durability is switched off (``fsync=off`` and friends):
the data is thrown away at the end, and tests should measure our code, not the disk.

    with LocalPostgres(port=free_port()) as pg:
        pg.create_database("t1")
        psycopg.connect(pg.conninfo("t1"))

Binaries are found in ``LIENTHONG_PG_BIN``, else next to ``pg_ctl`` on PATH, else in the
newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout: ``apt-get install
postgresql``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql


class LocalPostgresError(Exception):
    """The local PostgreSQL could not be initialised, started or stopped; has its log tail."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        detail = f"\n--- last lines of the PostgreSQL log ---\n{log_tail}" if log_tail else ""
        super().__init__(message + detail)
        self.log_tail = log_tail


_SYSTEM_USER = "postgres"
_DEBIAN_GLOB = "/usr/lib/postgresql/*/bin/pg_ctl"
# Settings for a disposable cluster: nothing here needs to survive a power cut.
_FAST = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=50 -c shared_buffers=64MB"
)


def find_bin_dir() -> Path:
    """The directory of ``initdb`` and ``pg_ctl`` (see the module docstring)."""
    override = os.environ.get("LIENTHONG_PG_BIN")
    if override:
        return Path(override)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise LocalPostgresError(
            f"PostgreSQL is not installed (no pg_ctl on PATH nor {_DEBIAN_GLOB}); "
            "install Debian's package: apt-get install -y postgresql "
            "(or set LIENTHONG_PG_BIN to the directory holding pg_ctl)"
        )
    return found[-1].parent


class LocalPostgres:
    """One PostgreSQL server in a temporary directory, started and stopped by us."""

    def __init__(self, port: int, *, home: Path | None = None, bin_dir: Path | None = None):
        self.port = port
        self.bin_dir = bin_dir or find_bin_dir()
        self._own_home = home is None
        self.home = home or Path(tempfile.mkdtemp(prefix="lienthong-pg-"))
        self.data_dir = self.home / "data"
        self.log_file = self.home / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        self._started = False

    # -- lifecycle -------------------------------------------------------------------
    def start(self, timeout_s: float = 60.0) -> float:
        """initdb and start; return the seconds it took. Raises LocalPostgresError."""
        began = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            self._give_to_postgres()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                ["-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                ["--locale=C.UTF-8", "--no-sync"],
                timeout_s=timeout_s,
            )
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 {_FAST}"
        self._run(
            "pg_ctl",
            ["-D", str(self.data_dir), "-l", str(self.log_file), "-o", options],
            ["-w", "-t", str(int(timeout_s)), "start"],
            timeout_s=timeout_s + 5,
        )
        self._started = True
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server (immediately: nothing is kept) and remove a home we created."""
        try:
            if self._started or (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", ["-D", str(self.data_dir)], ["-m", "immediate", "-w", "stop"])
        finally:
            self._started = False
            if self._own_home:
                shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- use -------------------------------------------------------------------------
    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` over TCP on 127.0.0.1."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its connection string."""
        try:
            with psycopg.connect(self.conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise LocalPostgresError(f"cannot create database {name!r}: {exc}") from exc
        return self.conninfo(name)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- helpers ---------------------------------------------------------------------
    def _give_to_postgres(self) -> None:
        try:
            user = pwd.getpwnam(_SYSTEM_USER)
        except KeyError as exc:
            raise LocalPostgresError(
                "running as root, PostgreSQL must run as the 'postgres' system user, which "
                "does not exist; install Debian's package: apt-get install -y postgresql"
            ) from exc
        for path in (self.home, *self.home.rglob("*")):
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run(
        self, tool: str, args: list[str], extra: list[str], *, timeout_s: float = 60.0
    ) -> None:
        command = [str(self.bin_dir / tool), *args, *extra]
        if self._as_postgres:
            command = ["runuser", "-u", _SYSTEM_USER, "--", *command]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LocalPostgresError(f"{tool} did not run: {exc}", self.log_tail()) from exc
        if done.returncode != 0:
            raise LocalPostgresError(
                f"{tool} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout}",
                self.log_tail(),
            )
