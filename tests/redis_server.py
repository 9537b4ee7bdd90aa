"""A real Redis for the tests: `redis-server --port P --save '' --appendonly no` on a free port, one
per session, stopped after; `redis_url` empties it for each test. Skips with a reason only when
redis-server is not installed. (Named redis_server.py, not redis.py: pytest puts tests/ first on
sys.path, where a redis.py would hide the redis package itself.)

A plugin (`pytest_plugins` in conftest.py): fixtures `redis_server` and `redis_url`; `Redis(port)`
starts one on a port chosen beforehand (a worker started before its broker)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.serving import free_port, stop_process

BINARY = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="sohoa-redis-"))
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=open(self.folder / "redis.log", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"FLUSHALL\r\n")
            assert s.recv(16).startswith(b"+OK")

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server():
    if not Path(BINARY).exists():
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = Redis()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    redis_server.flush()
    return redis_server.url
