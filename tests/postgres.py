"""A real PostgreSQL server for the tests: one cluster per session in a temporary folder, on a free
port, run as the `postgres` user (initdb refuses root); a fresh database per test, copied from a
template. Skips with a reason only when the server's binaries are not installed.

Use it as a plugin (`pytest_plugins = ["tests.postgres"]`, done in conftest.py): fixtures
`postgres_server` (the session's server) and `postgres_url` (a new empty database for one test).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.serving import free_port, stop_process

BIN = Path(os.environ.get("SOHOA_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "sohoa"


class Server:
    """One running cluster; `database()` makes a new empty database and gives its URL."""

    def __init__(self, root: Path):
        self.root, self.data, self.sockets = root, root / "data", root / "sockets"
        self.port = free_port()
        self._as_owner = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self._as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        self.sockets.mkdir()
        if self._as_owner:
            shutil.chown(self.sockets, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C")
        self.process = subprocess.Popen(
            [*self._as_owner, str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.sockets),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "wb"))
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"
        self._wait_ready()
        self._names = itertools.count(1)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_owner, str(BIN / tool), *args], check=True, capture_output=True)

    def _wait_ready(self, wait: float = 30.0) -> None:
        deadline = time.monotonic() + wait
        while subprocess.run([str(BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                             capture_output=True).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {(self.root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def sql(self, statement: str) -> None:
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(statement)

    def database(self) -> str:
        """A new empty database (from template0, so nothing another test left in template1)."""
        name = f"t{next(self._names)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE template0")
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        stop_process(self.process, grace=30)  # SIGTERM: smart shutdown, waits for clients to leave


def available() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL server binaries not installed (no {BIN / 'initdb'})"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run initdb as"
    return None


@pytest.fixture(scope="session")
def postgres_server():
    reason = available()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
    server = Server(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgres"])
def catalog_backend(request, monkeypatch) -> str:
    """Runs a test once per catalog backend: on PostgreSQL, SOHOA_CATALOG names a fresh database, so
    every archive the test opens (in process or in a `sohoa` subprocess) keeps its catalog there.
    A module opts in with `pytestmark = pytest.mark.usefixtures("catalog_backend")`."""
    if request.param == "postgres":
        monkeypatch.setenv("SOHOA_CATALOG", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("SOHOA_CATALOG", raising=False)
    return request.param


def archive_sql(root: Path, statement: str, params: tuple = ()) -> list:
    """One SQL statement (`?` placeholders) on an archive's catalog, whichever backend keeps it; its rows.
    For tests that set up a state no command makes, or read what no command shows."""
    from digitize.archive import Archive

    with Archive(root) as archive:
        cursor = archive.catalog.db.execute(statement, params)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []  # tuples, whichever backend
