"""A throwaway PostgreSQL cluster for tests: Debian's `initdb` / `pg_ctl` in a temporary folder,
listening on a free port on 127.0.0.1, stopped and removed at the end.

As root the server runs as the `postgres` user (PostgreSQL refuses to run as root). Without the
server binaries, psycopg, or (as root) a `postgres` user, `throwaway_cluster` skips the calling
test or fixture with the reason. Used by tests/test_register_postgres.py and
tests/test_faults_database.py (which stops and restarts the cluster for an outage).
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port as _free_port

TIMEOUT = 60  # seconds, for every server command


def _server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: from PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    folders = [Path(os.path.realpath(found)).parent] if found else []

    def version(folder: str) -> tuple[int, ...]:
        name = Path(folder).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    folders += [Path(f) for f in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    for folder in folders:
        if all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    as_user: Callable[[list[str]], list[str]]  # a command line, run as the cluster's owner

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # Output to a file, not a pipe: a server started by pg_ctl must not hold our pipe open.
        with tempfile.TemporaryFile("w+") as out:
            done = subprocess.run(
                self.as_user(list(args)), stdout=out, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT
            )
            out.seek(0)
            output = out.read()
        if check and done.returncode != 0:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{output}\n{log[-2000:]}")
        return subprocess.CompletedProcess(done.args, done.returncode, output, "")

    def start(self) -> None:
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-k {self.root}",  # the Unix socket stays in our folder
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",  # throwaway data
                "-c max_connections=200",
            ]
        )
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", str(TIMEOUT), "start",
        )  # fmt: skip

    def stop(self) -> None:
        stopped = self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop", check=False
        )
        if stopped.returncode != 0:
            self.run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "20", "stop", check=False
            )


def _as_postgres_user() -> tuple[Callable[[list[str]], list[str]], pwd.struct_passwd | None]:
    """PostgreSQL will not run as root: as root, run the server commands as `postgres`."""
    if os.geteuid() != 0:
        return (lambda args: args), None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run the PostgreSQL server as")
    if shutil.which("runuser"):
        return (lambda args: ["runuser", "-u", "postgres", "--", *args]), user
    if shutil.which("su"):
        return (lambda args: ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(args)]), user
    pytest.skip("running as root with neither runuser nor su to run the PostgreSQL server as `postgres`")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A running cluster on a free port (skips the caller when PostgreSQL cannot be run here)."""
    pytest.importorskip("psycopg", reason='psycopg not installed: pip install "psycopg[binary]"')
    folder = _server_binaries()
    if folder is None:
        pytest.skip("PostgreSQL server binaries not found: apt-get install postgresql")
    as_user, user = _as_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="conduct-pg-"))  # in /tmp: the postgres user can reach it
    cluster = Cluster(folder, root, 0, as_user)
    try:
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        cluster.run(
            str(folder / "initdb"), "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        for attempt in range(3):  # the free port may be taken before the server binds it
            cluster.port = _free_port()
            try:
                cluster.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
