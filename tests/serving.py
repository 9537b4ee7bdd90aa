"""A real `sohoa serve` for the server's tests: a process of its own on a free localhost port, an
archive copied from the scanned citizens' one (tests/citizen_papers.py), a user and a token of each
role, and httpx clients logged in as them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from digitize.services.access import ROLES
from tests.conftest import SOHOA, Sohoa

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sohoa serve` on `root` in a subprocess; `stop` ends it (terminate, then kill)."""

    def __init__(self, root: Path, *options: str, workers: int = 0):
        self.root, self.port = Path(root), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.root.parent / f"serve-{self.port}.log"
        self.proc = subprocess.Popen([str(SOHOA), "serve", "--archive", str(root), "--port", str(self.port),
                                      "--workers", str(workers), *options],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sohoa serve did not start: {self.log.read_text()}")
            time.sleep(0.1)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(**{"base_url": self.url + "/api/v1", "timeout": 60, **kwargs})

    def login(self, name: str, password: str = PASSWORD) -> httpx.Client:
        """A client with the session cookie, sending the CSRF token with every request."""
        client = self.client()
        answer = client.post("/login", json={"name": name, "password": password})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client

    def bearer(self, token: str, **kwargs) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds (the test servers' shutdown)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def add_accounts(root: Path, folder: Path) -> dict[str, str]:
    """A user named after each role (password PASSWORD) and a token `ROLE-token` of each: {role: token}."""
    cli = Sohoa(root, "admin-setup")
    secret = folder / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    tokens = {}
    for role in ROLES:
        cli("users", "add", role, "--role", role, "--password-file", secret)
        tokens[role] = cli("tokens", "create", f"{role}-token", "--role", role).stdout.splitlines()[-1]
    return tokens


def wait_job(client, job_id: int, until=lambda job: job["state"] in ("done", "failed"), seconds: float = 180) -> dict:
    """The job (GET /jobs/ID with an API client) once `until` holds; up to `seconds` (real Tesseract
    on a shared machine)."""
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def scanned_through_the_api(client, path: Path, **fields) -> dict:
    """One scan sent to POST /scans as the counter's script sends it; its job once done or failed."""
    with open(path, "rb") as f:
        answer = client.post("/scans", data=fields, files={"files": (path.name, f, "application/octet-stream")})
    assert answer.status_code == 202, answer.text
    (job,) = answer.json()["jobs"]
    return wait_job(client, job["id"])


class Served:
    def __init__(self, server: Server, tokens: dict[str, str], ids: dict[str, int]):
        self.server, self.tokens, self.ids = server, tokens, ids
        self.root = server.root
        self.cli = Sohoa(server.root, "operator")

    def as_role(self, role: str) -> httpx.Client:
        return self.server.bearer(self.tokens[role])


def serve_copy(scanned, folder: Path, *options: str, workers: int = 0) -> Served:
    root, ids = scanned
    shutil.copytree(root, folder / "archive")
    tokens = add_accounts(folder / "archive", folder)
    return Served(Server(folder / "archive", *options, workers=workers), tokens, ids)


@pytest.fixture(scope="module")
def served(scanned, tmp_path_factory):
    """A server on a copy of the scanned archive, for one test module (uploads up to 3 MB)."""
    running = serve_copy(scanned, tmp_path_factory.mktemp("served"), "--max-upload", "3MB")
    yield running
    running.server.stop()
