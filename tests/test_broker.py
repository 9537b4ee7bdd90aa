"""Jobs over a real Redis broker (`--broker`): the server announces job ids, `sohoa worker --broker`
processes take them, the jobs table stays the truth — a second delivery is skipped, a worker started
before Redis waits for it, and a worker killed mid-job has its job run again by another, the paper
archived once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import redis
from dramatiq import Message

from digitize import queue
from digitize.archive import Archive
from digitize.errors import BadArgument
from digitize.services import jobs
from digitize.services.actor import Actor
from tests.conftest import SOHOA, Sohoa, make_scan, page_lines
from tests.redis_server import Redis
from tests.serving import Server, add_accounts, free_port

CLERK = Actor("thu", role="clerk", agencies=("UBND phường Bến Nghé",), channel="api", address="10.0.0.7")
HOLDERS = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang",
           "Đặng Văn Hải", "Bùi Thị Hoa", "Đỗ Văn Khánh", "Hồ Thị Lan", "Ngô Văn Minh", "Dương Thị Nga",
           "Lý Văn Phúc", "Mai Thị Quỳnh", "Trịnh Văn Sơn", "Đinh Thị Tâm", "Lâm Văn Uy", "Tạ Thị Vân",
           "Quách Văn Xuân", "Châu Thị Yến"]


@pytest.fixture
def root(tmp_path) -> Path:
    Sohoa(tmp_path / "archive", "admin")("init")
    return tmp_path / "archive"


@pytest.fixture
def announcing(redis_url):
    """This process announces new jobs to the test's Redis, as `sohoa serve --broker` does."""
    yield queue.configure(redis_url)
    queue.configure(None)


def scan_file(folder: Path, holder: str, pages: int = 1) -> Path:
    folder.mkdir(exist_ok=True)
    return make_scan(folder / f"{len(list(folder.iterdir())):04d}.tif", page_lines("GIẤY KHAI SINH", holder),
                     dpi=200, pages=pages)


def wait_line(process: subprocess.Popen, log: Path, text: str) -> float:
    """Until `process` has written `text` to `log` (it must not end first): the deadline it had."""
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return deadline


def submit(root: Path, path: Path, name: str) -> dict:
    with Archive(root) as archive:
        return jobs.submit_scan(archive, CLERK, path, name)


def stored(root: Path, job_id: int) -> dict:
    with Archive(root) as archive:
        return archive.catalog.jobs.get(job_id)


def test_a_job_goes_through_the_broker_and_a_second_delivery_is_skipped(root, tmp_path, announcing):
    queued = submit(root, scan_file(tmp_path / "up", "Nguyễn Văn An"), "khai sinh.tif")
    assert announcing.redis.llen(f"sohoa:{queue.QUEUE}") == 1  # Dramatiq's list of the queue's messages
    assert jobs.run_worker(root, processes=1, once=True, broker=announcing.url) == 1
    done = stored(root, queued["id"])
    assert (done["state"], done["attempts"], len(done["papers"])) == ("done", 1, 1)
    # Delivered again (Dramatiq's at-least-once): acknowledged, not run
    announcing.announce(queued["id"])
    assert jobs.run_worker(root, processes=1, once=True, broker=announcing.url) == 0
    assert stored(root, queued["id"])["attempts"] == 1
    assert announcing.redis.llen(f"sohoa:{queue.QUEUE}") == 0


def test_the_sweep_sends_a_dead_workers_job_once_and_leaves_announced_ones_alone(root, tmp_path, announcing):
    listed = f"sohoa:{queue.QUEUE}"
    announced = submit(root, scan_file(tmp_path / "up", "Đặng Văn Hải"), "a.tif")
    with Archive(root) as archive:
        table = archive.catalog.jobs
        dead = table.add("scan", "b.tif", "/nowhere/b.tif", "1" * 64, {}, {"name": "thu"})
        unsent = table.add("scan", "c.tif", "/nowhere/c.tif", "2" * 64, {}, {"name": "thu"})  # Redis was down
        assert table.claim("w-dead", 60, 3, job_id=dead)["id"] == dead
        archive.catalog.db.execute("UPDATE jobs SET lease_until = 0 WHERE id = ?", (dead,))  # its worker died
        archive.catalog.db.execute("UPDATE jobs SET created = '2000-01-01T00:00:00+00:00' WHERE id IN (?, ?)",
                                   (announced["id"], unsent))
        assert announcing.redis.llen(listed) == 1
        assert announcing.sweep(table, 60, force=True) == 2  # the dead worker's job and the unsent one
        assert announcing.sweep(table, 60, force=True) == 0  # not again: another process swept them
        sent = [Message.decode(m).args[0] for m in announcing.redis.hvals(f"sohoa:{queue.QUEUE}.msgs")]
        assert sorted(sent) == sorted([announced["id"], dead, unsent])
        # the dead worker's job is run by the next worker to get its id
        assert table.claim("w-next", 60, 3, job_id=dead)["attempts"] == 2


def test_a_broker_url_that_is_not_redis_is_refused_in_one_line(root):
    with pytest.raises(BadArgument, match="redis://host:6379/0"):
        queue.Broker("amqp://rabbit/")
    worker = subprocess.run([str(SOHOA), "worker", "--archive", str(root), "--broker", "http://x", "--once"],
                            capture_output=True, text=True, timeout=60)
    assert worker.returncode != 0 and "Traceback" not in worker.stderr
    assert "must be a Redis URL" in worker.stderr + worker.stdout


def test_a_worker_started_before_the_broker_waits_and_connects(root, tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(SOHOA), "worker", "--archive", str(root), "--broker", url, "--processes", "1"],
                              stdout=open(log, "w"), stderr=subprocess.STDOUT)
    started = None
    try:
        deadline = wait_line(worker, log, "waiting for the broker")
        assert log.read_text().count("waiting for the broker") == 1  # one line, not one per retry
        started = Redis(port)
        queue.configure(url)
        try:
            queued = submit(root, scan_file(tmp_path / "up", "Trần Thị Bình"), "khai sinh.tif")
        finally:
            queue.configure(None)
        while stored(root, queued["id"])["state"] != "done":
            assert worker.poll() is None and time.monotonic() < deadline + 120, log.read_text()
            time.sleep(0.2)
        assert "connected to the broker" in log.read_text()
        worker.terminate()
        assert worker.wait(30) == 0  # SIGTERM: it stops, the job done
    finally:
        worker.terminate()
        worker.wait(30)
        if started:
            started.stop()


def test_a_worker_waiting_for_its_broker_stops_on_sigterm(root, tmp_path):
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(SOHOA), "worker", "--archive", str(root), "--broker",
                               f"redis://127.0.0.1:{free_port()}/0"], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_line(worker, log, "waiting for the broker")
        worker.terminate()
        assert worker.wait(30) == 0, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_a_job_queued_while_redis_was_down_is_swept_to_a_worker_once_it_is_up(root, tmp_path, caplog):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    queue.configure(url)
    try:
        queued = submit(root, scan_file(tmp_path / "up", "Lê Văn Cường"), "khai sinh.tif")  # still 202 over HTTP
    finally:
        queue.configure(None)
    assert queued["state"] == "queued" and "stays queued until the broker" in caplog.text
    started = Redis(port)
    try:
        time.sleep(queue.SWEEP_EVERY)  # a sweep sends jobs queued longer than this
        assert jobs.run_worker(root, processes=1, once=True, broker=url) == 1
    finally:
        started.stop()
    assert stored(root, queued["id"])["state"] == "done"


def test_the_servers_own_workers_take_their_jobs_from_the_broker(root, tmp_path, redis_url):
    tokens = add_accounts(root, tmp_path)
    server = Server(root, "--broker", redis_url, workers=1)
    try:
        clerk = server.bearer(tokens["clerk"])
        sent = clerk.post("/scans", files=[("files", ("khai sinh.tif", scan_file(tmp_path / "up", "Vũ Thị Giang")
                                                      .read_bytes(), "image/tiff"))])
        assert sent.status_code == 202, sent.text
        job_id = sent.json()["jobs"][0]["id"]
        deadline = time.monotonic() + 120
        while (job := clerk.get(f"/jobs/{job_id}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["state"] == "done", job
        # taken from Redis (a worker polling the table would leave the message there), by the
        # worker the server started, which has the URL in its environment, not on its command line
        assert redis.Redis.from_url(redis_url).llen(f"sohoa:{queue.QUEUE}") == 0
        pid = int(stored(root, job_id)["worker"].rsplit(":", 1)[1])
        assert pid != server.proc.pid
        assert redis_url not in Path(f"/proc/{pid}/cmdline").read_text()
        assert f"SOHOA_BROKER={redis_url}" in Path(f"/proc/{pid}/environ").read_text().split("\0")
    finally:
        server.stop()


@pytest.mark.slow
def test_three_workers_and_one_killed_mid_job_archive_every_paper_once(tmp_path, redis_url, monkeypatch):
    root = tmp_path / "archive"
    Sohoa(root, "admin")("init")
    tokens = add_accounts(root, tmp_path)
    monkeypatch.setenv("SOHOA_JOB_LEASE", "3")  # the killed worker's job is taken over within seconds
    server = Server(root, "--broker", redis_url, workers=0)
    command = [str(SOHOA), "worker", "--archive", str(root), "--broker", redis_url, "--processes", "1"]
    workers = [subprocess.Popen(command, stdout=open(tmp_path / f"worker{n}.log", "w"), stderr=subprocess.STDOUT,
                                start_new_session=True) for n in range(3)]
    try:
        files = [("files", (f"{n:02d} {holder}.tif", scan_file(tmp_path / "up", holder, pages=4 if n == 0 else 1)
                            .read_bytes(), "image/tiff")) for n, holder in enumerate(HOLDERS)]
        clerk = server.bearer(tokens["clerk"])
        sent = clerk.post("/scans", files=files)
        assert sent.status_code == 202, sent.text
        ids = [j["id"] for j in sent.json()["jobs"]]
        assert len(ids) == 20

        deadline = time.monotonic() + 180
        while (first := stored(root, ids[0]))["pages_done"] < 1 or first["state"] != "running":
            assert first["state"] == "queued" or first["state"] == "running", first
            assert time.monotonic() < deadline
            time.sleep(0.05)
        killed = int(first["worker"].rsplit(":", 1)[1])
        [victim] = [w for w in workers if w.pid == killed]
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its OCR process, mid-job
        victim.wait()

        while any(stored(root, i)["state"] not in ("done", "failed") for i in ids):
            assert time.monotonic() < deadline + 300, [stored(root, i)["state"] for i in ids]
            time.sleep(0.5)
        ended = [stored(root, i) for i in ids]
        assert [j["state"] for j in ended] == ["done"] * 20, [j["error"] for j in ended]
        assert ended[0]["attempts"] == 2 and ended[0]["pages_done"] == 4
        assert ended[0]["worker"] != first["worker"]  # another worker ran it again
        assert len({j["worker"] for j in ended} - {first["worker"]}) == 2  # both survivors took jobs
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            w.wait(60)
        server.stop()
    with sqlite3.connect(root / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 20
        assert db.execute("SELECT count(*), count(DISTINCT sha256) FROM papers").fetchone() == (20, 20)
        assert db.execute("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0] == 0
    check = subprocess.run([str(SOHOA), "check", "--archive", str(root)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
