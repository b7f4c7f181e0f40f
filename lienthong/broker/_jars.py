"""Fetching the broker's jars from Maven Central into a cache outside the repository."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from lienthong.broker._errors import JarsUnavailable, ToolMissing
from lienthong.broker._versions import ARTIFACTS, cache_key

_COMPLETE_MARKER = ".complete"


def _pom() -> str:
    deps = "\n".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in ARTIFACTS
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lienthong.local</groupId>
  <artifactId>broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""


def jar_dir(cache: Path) -> Path:
    """The folder that holds (or will hold) the jars of the pinned versions."""
    return cache / cache_key()


def jars_present(cache: Path) -> bool:
    """True when a complete fetch of the pinned versions is in the cache."""
    return (jar_dir(cache) / _COMPLETE_MARKER).exists()


def fetch_jars(cache: Path, *, quiet: bool = True) -> Path:
    """Ensure the broker jars are in ``cache``; return their folder.

    A second call finds the completed cache and touches no network. The download goes
    to a temporary folder and is moved into place only when Maven succeeded, so an
    interrupted fetch never leaves a half-filled cache behind.
    """
    target = jar_dir(cache)
    if jars_present(cache):
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ToolMissing(
            "Maven (mvn) is needed once to fetch the Kafka jars. "
            "Install it (Debian: apt-get install maven) and run `lienthong broker fetch`."
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
        work = Path(tmp)
        (work / "pom.xml").write_text(_pom(), encoding="utf-8")
        libs = work / "libs"
        cmd = [
            mvn,
            "-B",
            "-f",
            str(work / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ]
        if quiet:
            cmd.insert(1, "-q")
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not any(libs.glob("kafka_*.jar")):
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise JarsUnavailable(
                "Maven could not fetch the Kafka jars from Maven Central. Check the network "
                "or the Maven settings (~/.m2/settings.xml), then run `lienthong broker fetch` "
                f"again.\n{tail}"
            )
        (libs / _COMPLETE_MARKER).write_text(cache_key(), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        libs.rename(target)
    return target
