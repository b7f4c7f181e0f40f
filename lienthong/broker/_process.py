"""Starting, watching and stopping the local broker's Java process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from lienthong.broker._config import LOG4J2_PROPERTIES, BrokerLayout, Quorum, server_properties
from lienthong.broker._errors import (
    BrokerDidNotStart,
    BrokerDidNotStop,
    BrokerError,
    PortTaken,
    ToolMissing,
)
from lienthong.broker._jars import fetch_jars
from lienthong.broker._security import BrokerSecurity, scram_format_argument
from lienthong.broker._tls import ensure_local_tls
from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import (
    credential_path,
    credential_settings,
    new_password,
    write_credential,
)
from lienthong.settings import CredentialsSettings, LocalBrokerSettings

_READY_LINE = "Kafka Server started"
# Brokers this process started, kept so that they are reaped (no zombies) when stopped
# and so that a Popen is never garbage-collected while its broker runs.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class BrokerStatus:
    """What ``lienthong broker status`` reports."""

    running: bool
    pid: int | None
    bootstrap: str
    data_dir: Path
    log_file: Path


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        # Our own child: poll() reaps it only once every thread has exited, whereas
        # /proc shows the JVM's main thread as a zombie while the others still run.
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own exited child, not yet reaped) is not a running broker.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise ToolMissing(
            "Java 17 or newer is needed to run the Kafka broker. Install it "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
        )
    return java


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return "(no log yet)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class LocalBroker:
    """One Kafka broker+controller (KRaft) on this machine, managed through a pid file.

    Any process may call :meth:`status` or :meth:`stop`; the pid file in the broker's
    home is the only shared state. The broker outlives the process that started it.
    Alone it is its own quorum; as a node of a :class:`LocalCluster` it is given the
    cluster's ``quorum`` and a ``shared_home`` for the cluster id, the admin secret and
    the TLS files all nodes share.
    """

    def __init__(
        self,
        settings: LocalBrokerSettings | None = None,
        *,
        node_id: int = 1,
        quorum: Quorum | None = None,
        shared_home: Path | None = None,
        credentials_dir: Path | None = None,
    ) -> None:
        self.settings = settings or LocalBrokerSettings()
        self.layout = BrokerLayout(self.settings.home)
        self.node_id = node_id
        self.quorum = quorum
        self.shared_home = shared_home or self.settings.home
        self.credentials_dir = credentials_dir or CredentialsSettings().credentials_dir

    @property
    def bootstrap(self) -> str:
        """The client address (SASL_PLAINTEXT when secure)."""
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def tls_bootstrap(self) -> str:
        """The SASL_SSL address (only when secure)."""
        return f"{self.settings.host}:{self.settings.tls_port}"

    # -- security --------------------------------------------------------------
    def security(self) -> BrokerSecurity | None:
        """The node's secured listeners, making the CA and admin secret on first use."""
        if not self.settings.secure:
            return None
        tls = ensure_local_tls(self.shared_home / "tls", self.settings.host)
        return BrokerSecurity(
            admin_password=self._admin_password(),
            tls_port=self.settings.tls_port,
            keystore=tls.keystore,
            truststore=tls.ca_cert,
        )

    def _admin_password(self) -> SecretStr:
        path = self.shared_home / "admin.secret"
        if path.exists():
            return SecretStr(path.read_text(encoding="utf-8").strip())
        password = new_password()
        self.shared_home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(password.get_secret_value())
        return password

    def client_settings(self, *, tls: bool = False) -> KafkaSettings:
        """Settings that reach this broker as its admin (a super user when secure)."""
        if not self.settings.secure:
            return KafkaSettings(bootstrap_servers=self.bootstrap)
        security = self.security()
        assert security is not None  # secure was checked above
        cluster = KafkaSettings(
            bootstrap_servers=self.tls_bootstrap if tls else self.bootstrap,
            security_protocol="SASL_SSL" if tls else "SASL_PLAINTEXT",
            ssl_cafile=security.truststore,
        )
        return credential_settings(security.admin_user, security.admin_password, cluster)

    def admin_credential_file(self) -> Path:
        """Where ``start`` wrote the admin's credential (``svc.admin.env``)."""
        security = self.security()
        user = security.admin_user if security else "svc.admin"
        return credential_path(self.credentials_dir, user)

    # -- observing -------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid of the running broker, or None (a stale pid file is ignored)."""
        try:
            pid = int(self.layout.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) and self._is_ours(pid) else None

    def _is_ours(self, pid: int) -> bool:
        # Guards against a stale pid file whose number now belongs to another program.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True  # no /proc (not Linux): trust the pid file
        return str(self.layout.config_file).encode() in cmdline

    def status(self) -> BrokerStatus:
        pid = self.pid()
        running = pid is not None and _port_open(self.settings.host, self.settings.port)
        return BrokerStatus(
            running=running,
            pid=pid,
            bootstrap=self.bootstrap,
            data_dir=self.layout.data_dir,
            log_file=self.layout.log_file,
        )

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.layout.log_file, lines)

    # -- starting --------------------------------------------------------------
    def start(self, *, fresh: bool = False) -> float:
        """Start the broker unless it runs; return seconds until it answered (0 if it ran)."""
        if self.pid() is not None and not fresh:
            return 0.0
        began = time.monotonic()
        process = self.launch(fresh=fresh)
        self.wait_ready(process, began)
        return time.monotonic() - began

    def launch(self, *, fresh: bool = False) -> subprocess.Popen[bytes]:
        """Format if needed and spawn the Java process without waiting for it."""
        if fresh:
            self.stop()
            shutil.rmtree(self.layout.data_dir, ignore_errors=True)
        java = _java()
        libs = fetch_jars(self.settings.jar_cache)
        self._check_ports()
        security = self.security()
        self._write_config(security)
        classpath = f"{libs}/*"
        if not self.layout.formatted:
            self._format(java, classpath, security)
        if security is not None and self.quorum is None:  # a cluster writes its own
            write_credential(self.credentials_dir, self.client_settings())
        return self._spawn(java, classpath)

    def wait_ready(self, process: subprocess.Popen[bytes], began: float) -> None:
        """Return once the process logged that it started and its client port answers."""
        self._wait_ready(process, began)

    def _check_ports(self) -> None:
        ports = [
            (self.settings.port, "LIENTHONG_BROKER_PORT"),
            (self.settings.controller_port, "LIENTHONG_BROKER_CONTROLLER_PORT"),
        ]
        if self.settings.secure:
            ports.append((self.settings.tls_port, "LIENTHONG_BROKER_TLS_PORT"))
        for port, setting in ports:
            # A broker that was just killed may hold its sockets for a moment longer.
            deadline = time.monotonic() + 3.0
            while _port_open(self.settings.host, port) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _port_open(self.settings.host, port):
                raise PortTaken(
                    f"Port {port} on {self.settings.host} is already in use by another "
                    f"process. Stop that process, or choose another port with {setting}=... "
                    "(and point LIENTHONG_BOOTSTRAP_SERVERS at it)."
                )

    def _write_config(self, security: BrokerSecurity | None) -> None:
        self.layout.home.mkdir(parents=True, exist_ok=True)
        text = server_properties(
            data_dir=self.layout.data_dir,
            host=self.settings.host,
            port=self.settings.port,
            controller_port=self.settings.controller_port,
            partitions=self.settings.partitions,
            node_id=self.node_id,
            quorum=self.quorum,
            security=security,
        )
        # It holds the admin secret when secure: readable by its owner only.
        fd = os.open(self.layout.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        self.layout.log4j_file.write_text(LOG4J2_PROPERTIES, encoding="utf-8")

    def _cluster_id(self, storage: list[str]) -> str:
        # The nodes of a cluster share one id, kept beside their homes.
        shared = self.shared_home / "cluster.id"
        if self.quorum is not None and shared.exists():
            return shared.read_text(encoding="utf-8").strip()
        printed = (
            subprocess.run([*storage, "random-uuid"], capture_output=True, text=True, check=False)
            .stdout.strip()
            .splitlines()
        )
        if not printed:
            raise BrokerError("Kafka's StorageTool printed no cluster id; is the jar cache whole?")
        if self.quorum is not None:
            shared.parent.mkdir(parents=True, exist_ok=True)
            shared.write_text(printed[-1], encoding="utf-8")
        return printed[-1]

    def _format(self, java: str, classpath: str, security: BrokerSecurity | None) -> None:
        storage = [java, "-cp", classpath, "kafka.tools.StorageTool"]
        command = [*storage, "format", "-t", self._cluster_id(storage)]
        command += ["-c", str(self.layout.config_file)]
        if self.quorum is None:
            command.append("--standalone")
        if security is not None:
            command += ["--add-scram", scram_format_argument(security)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerDidNotStart(
                "Formatting the broker's storage failed; `lienthong broker start --fresh` "
                "starts from an empty data directory.",
                (result.stdout + result.stderr)[-3000:],
            )

    def _spawn(self, java: str, classpath: str) -> subprocess.Popen[bytes]:
        heap = self.settings.heap_mb
        cmd = [
            java,
            f"-Xmx{heap}m",
            f"-Xms{min(heap, 256)}m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.layout.log4j_file}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(self.layout.config_file),
        ]
        with self.layout.log_file.open("ab") as log:
            log.write(f"\n=== lienthong: starting broker at {time.ctime()} ===\n".encode())
            log.flush()
            # A new session: Ctrl-C in the terminal that ran `start` must not kill it.
            process = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _children[process.pid] = process
        self.layout.pid_file.write_text(str(process.pid), encoding="utf-8")
        return process

    def _wait_ready(self, process: subprocess.Popen[bytes], began: float) -> None:
        log_start = self.layout.log_file.stat().st_size
        deadline = began + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _children.pop(process.pid, None)
                self.layout.pid_file.unlink(missing_ok=True)
                raise BrokerDidNotStart(
                    f"The broker exited with code {process.returncode} while starting. "
                    f"Read {self.layout.log_file}; `lienthong broker start --fresh` resets "
                    "its data.",
                    self.log_tail(),
                )
            if self._ready_since(log_start) and _port_open(self.settings.host, self.settings.port):
                return
            time.sleep(0.1)
        self.stop()
        raise BrokerDidNotStart(
            f"The broker did not answer within {self.settings.start_timeout_s:.0f}s "
            "(LIENTHONG_BROKER_START_TIMEOUT_S raises the limit).",
            self.log_tail(),
        )

    def _ready_since(self, offset: int) -> bool:
        with self.layout.log_file.open("rb") as log:
            log.seek(max(0, offset - 4096))
            return _READY_LINE.encode() in log.read()

    # -- stopping --------------------------------------------------------------
    def kill(self) -> bool:
        """SIGKILL the broker (a crash, for fault tests); True if one ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGKILL)
        if not self._wait_gone(pid, 10.0):
            raise BrokerDidNotStop(f"Broker process {pid} survived SIGKILL; check `ps -p {pid}`.")
        self.layout.pid_file.unlink(missing_ok=True)
        return True

    def stop(self) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after the timeout); True if one ran."""
        pid = self.pid()
        if pid is None:
            self.layout.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        if not self._wait_gone(pid, self.settings.stop_timeout_s):
            os.kill(pid, signal.SIGKILL)
            if not self._wait_gone(pid, 10.0):
                raise BrokerDidNotStop(
                    f"Broker process {pid} survived SIGKILL; check `ps -p {pid}`."
                )
        self.layout.pid_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _wait_gone(pid: int, timeout: float) -> bool:
        child = _children.get(pid)
        if child is not None:  # our own child: wait() also reaps it
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            del _children[pid]
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return True
            time.sleep(0.1)
        return not _pid_alive(pid)
