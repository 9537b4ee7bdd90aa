"""`sohoa serve`: the app on uvicorn, and the scan workers beside it — N `sohoa worker` processes,
each restarted when it dies (a worker killed mid-job leaves its job to be recovered, see
digitize/services/jobs.py). Jobs left running by a server that was killed are recovered first."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from digitize.errors import BadArgument, Field
from server.context import Settings

log = logging.getLogger("sohoa.server")
RESTART_PAUSE = 2.0  # seconds before a worker that died is started again (one that dies at once does not spin)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str, field: str = "max_upload") -> int:
    """Bytes of a size as typed: 200MB, 1.5G, 500k, 1048576."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text or "")
    if not found or found[2].lower() not in _UNITS or float(found[1]) <= 0:
        raise BadArgument("{name} must be a size such as 200MB, 1.5G or 500k, not {value!r}", field=field,
                          name=Field(field), value=text)
    return int(float(found[1]) * _UNITS[found[2].lower()])


class Workers:
    """`count` worker processes kept running until `stop`."""

    def __init__(self, root: Path, count: int, broker: str | None = None):
        self.root, self.count, self.broker = Path(root), count, broker
        self.procs: list[subprocess.Popen | None] = [None] * count
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True, name="sohoa-workers")

    def command(self) -> list[str]:
        # The cores shared out: W workers of one OCR process each keep every core busy with W
        # one-page uploads, where one worker of W processes reads one page at a time.
        processes = max(1, (os.cpu_count() or 1) // max(1, self.count))
        return [sys.executable, "-m", "cli", "worker", "--archive", str(self.root), "--processes", str(processes)]

    def start(self) -> None:
        if self.count:
            self.thread.start()

    def _watch(self) -> None:
        cwd = Path(__file__).resolve().parent.parent  # where cli.py is, for `python -m cli`
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        if self.broker:  # in the environment, not the command line: `ps` shows no Redis password
            env["SOHOA_BROKER"] = self.broker
        while not self.stopping.is_set():
            for slot, proc in enumerate(self.procs):
                if proc is not None and proc.poll() is None:
                    continue
                if proc is not None:
                    log.warning("scan worker %d (pid %d) ended with %s; starting another", slot, proc.pid,
                                proc.returncode)
                    if self.stopping.wait(RESTART_PAUSE):
                        return
                self.procs[slot] = subprocess.Popen(self.command(), cwd=cwd, env=env, preexec_fn=_die_with_parent)
                log.info("scan worker %d started (pid %d)", slot, self.procs[slot].pid)
            self.stopping.wait(0.5)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None and p.poll() is None]

    def stop(self, grace: float = 10.0) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _die_with_parent() -> None:
    """A worker ends with the server that started it (Linux), even a server killed with SIGKILL:
    its job's lease then runs out, or the restarted server queues it again."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: as if the machine stopped
    except (OSError, AttributeError):
        pass


def recover(root: Path) -> int:
    """Jobs a killed server left running, back in the queue: how many."""
    from digitize.archive import Archive
    from digitize.services import jobs

    with Archive(root) as archive:
        return jobs.recover(archive)


def sweep(root: Path, stopping: threading.Event) -> None:
    """With a broker: jobs whose message was lost or whose worker died, sent to the workers again."""
    from digitize import queue
    from digitize.archive import Archive
    from digitize.services.jobs import LEASE_SECONDS

    broker = queue.current()
    with Archive(root) as archive:
        while not stopping.wait(queue.SWEEP_EVERY):
            try:
                broker.sweep(archive.catalog.jobs, LEASE_SECONDS, force=True)
            except Exception:  # a catalog busy for a moment: the next sweep
                log.exception("sweep failed")


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          settings: Settings | None = None, broker: str | None = None) -> None:
    import uvicorn

    from digitize import queue
    from server.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(root, settings)
    queue.configure(broker)
    if broker:
        log.info("announcing scan jobs to the broker at %s", queue.shown(broker))
        # Workers on other hosts may be running jobs right now: their leases, not this start, decide.
        threading.Thread(target=sweep, args=(root, threading.Event()), daemon=True, name="sohoa-sweep").start()
    else:
        recovered = recover(root)
        if recovered:
            log.info("recovered %d jobs left running", recovered)
    pool = Workers(root, (os.cpu_count() or 1) if workers is None else workers, broker)
    pool.start()
    try:
        # Behind the reverse proxy (the README's nginx), X-Forwarded-For/-Proto give the client's
        # address and https; trusted only from FORWARDED_ALLOW_IPS (default: this machine).
        uvicorn.run(app, host=host, port=port, proxy_headers=True,
                    forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                    log_level="info", access_log=True)
    finally:
        pool.stop()

