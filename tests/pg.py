"""A real PostgreSQL + PostGIS server for the tests: a private cluster, started and stopped
by the test session (no Docker here; Debian's postgresql and postgresql-15-postgis-3, which
.ci/run installs).

initdb refuses to run as root, so as root the cluster belongs to Debian's ``postgres``
user (``runuser``). TCP connections need a password (scram-sha-256), which the tests give
through PGPASSWORD as a user would. Where the server cannot be started the tests skip,
except in CI (``CI`` set), where they fail: they must run there.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PASSWORD = "gis-tool-test"
DATABASE = "gis"


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: in CI these tests must run (.ci/run installs PostgreSQL and PostGIS)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgis_server() -> Iterator[str]:
    """Start a cluster with a PostGIS database; yields its URL (without the password)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        unavailable("PostgreSQL is not installed (Debian: postgresql)")
    bindir = Path(bins[-1]).parent
    version = bindir.parent.name
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        unavailable(f"PostGIS is not installed (Debian: postgresql-{version}-postgis-3)")
    root = os.geteuid() == 0
    if root and shutil.which("runuser") is None:
        unavailable("running as root without runuser")
    base = Path(tempfile.mkdtemp(prefix="gis-tool-pg-", dir="/tmp"))
    base.chmod(0o755)
    data, sock, log = base / "data", base / "sock", base / "log"
    sock.mkdir()
    pw = base / "pw"
    pw.write_text(PASSWORD + "\n")
    if root:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        shutil.chown(pw, "postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if root else []
    port = _free_port()

    def run(*cmd: str) -> None:
        out = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            unavailable(f"{cmd[0]} failed: {(out.stderr or out.stdout).strip()[:300]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", f"--pwfile={pw}", "-E", "UTF8", "--no-locale")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        psql = [*prefix, str(bindir / "psql"), "-h", str(sock), "-p", str(port), "-U", "postgres", "-q",
                "-v", "ON_ERROR_STOP=1"]
        for sql, db in ((f"CREATE DATABASE {DATABASE}", "postgres"), ("CREATE EXTENSION postgis", DATABASE)):
            out = subprocess.run([*psql, "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                unavailable(f"setting up the database failed: {out.stderr.strip()[:300]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
