"""Jobs over a real broker (`--broker redis://host:6379/0`, env SOHOA_BROKER): Dramatiq's Redis
broker carries job ids from the server to `sohoa worker` processes on any host; the catalog's jobs
table stays the truth (state, progress, papers, lease).

Delivery: Dramatiq's is at least once — a message is acknowledged only after its job has ended, and
the message of a worker that stopped heart-beating is put back. A second delivery is harmless: a
worker claims the job by id only while it is queued or its lease has run out, and a scan run again
finds its papers by SHA-256. A message can still be lost (Redis restarted without persistence, or
the job queued while Redis was down), and a dead worker's message waits for Dramatiq's maintenance;
so `sweep` — run by the server and by idle workers — sends again the ids of jobs running with their
lease run out, and of queued jobs never sent or sent long ago."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timezone
from typing import Callable

from digitize.errors import BadArgument

log = logging.getLogger("sohoa.broker")
QUEUE = "sohoa-jobs"
ACTOR = "sohoa.run_job"  # the name Dramatiq messages carry; the worker's loop is ours (see Feed)
SWEEP_EVERY = 5.0  # seconds between two sweeps of one process
RESEND = 600  # seconds before a queued job's id is sent again (a message lost with its worker before it claimed)
_URL = re.compile(r"(rediss?|unix)://", re.I)


def check_url(url: str) -> str:
    if not _URL.match(url or ""):
        raise BadArgument("{broker} must be a Redis URL such as redis://host:6379/0, not " + repr(url), field="broker")
    return url


def shown(url: str) -> str:
    """The URL without its password, for logs."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


class Broker:
    """One process's connection to the broker: `announce` sends a job id, `sweep` sends lost ones."""

    def __init__(self, url: str):
        self.url = check_url(url)
        try:
            import redis
            from dramatiq.brokers.redis import RedisBroker
        except ImportError:
            raise BadArgument("{broker} needs Dramatiq and redis: pip install 'sohoa[queue]'", field="broker") from None
        # Timeouts, so a broker host that vanished is noticed instead of hanging a worker for good.
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
        except ValueError as exc:
            raise BadArgument("{broker}: " + shown(url) + f" is not a Redis URL ({exc})", field="broker") from None
        self.redis = client
        self.dramatiq = RedisBroker(client=client, middleware=[], namespace="sohoa")
        self.dramatiq.declare_queue(QUEUE)
        self.last_sweep, self.down = 0.0, False

    def wait(self, stopping: Callable[[], bool] = lambda: False, most: float = 10.0) -> bool:
        """Until the broker answers (one line says we wait, one that we are connected): False if
        stopped first."""
        import redis

        pause, said = 0.5, False
        while not stopping():
            try:
                self.redis.ping()
                if said:
                    log.info("connected to the broker at %s", shown(self.url))
                return True
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not said:
                    log.warning("waiting for the broker at %s (%s); retrying", shown(self.url), exc)
                    said = True
            until = time.monotonic() + pause
            while time.monotonic() < until and not stopping():  # a SIGTERM is heard at once
                time.sleep(0.1)
            pause = min(most, pause * 2)
        return False

    def announce(self, job_id: int) -> bool:
        """Send a job's id to the workers; False (and a log line) if the broker cannot be reached —
        the job stays queued in the catalog, and a sweep sends it once the broker is back."""
        import redis
        from dramatiq import Message

        try:
            self.redis.set(f"sohoa:sent:{int(job_id)}", 1, ex=RESEND)  # no sweep sends it again soon
            self.dramatiq.enqueue(Message(queue_name=QUEUE, actor_name=ACTOR, args=(int(job_id),), kwargs={},
                                          options={}))
            return True
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("job %s stays queued until the broker at %s answers (%s)", job_id, shown(self.url), exc)
            return False

    def sweep(self, jobs, lease_seconds: float, force: bool = False) -> int:
        """Send again the ids of jobs a dead worker or a lost message left behind: a running job whose
        lease ran out, once per attempt (again after a lease if that message too is lost); a queued
        job never sent (queued while Redis was down; Redis restarted empty), or sent RESEND seconds
        ago. Keys in Redis make many sweeping processes send one message: how many were sent."""
        import redis

        now = time.time()
        if not force and now - self.last_sweep < SWEEP_EVERY:
            return 0
        self.last_sweep = now
        keys = [(j, f"sohoa:stale:{j['id']}:{j['attempts']}", max(1, round(lease_seconds)))
                for j in jobs.list("running", limit=100_000) if _expired(j, now)]
        keys += [(j, f"sohoa:sent:{j['id']}", RESEND)
                 for j in jobs.list("queued", limit=100_000) if now - _epoch(j["created"]) > SWEEP_EVERY]
        sent = 0
        try:
            for job, key, seconds in sorted(keys, key=lambda k: k[0]["id"]):
                if self.redis.set(key, 1, nx=True, ex=seconds):
                    sent += self.announce(job["id"])
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if not self.down:  # once, not every few seconds while it is down
                log.warning("sweep: the broker at %s does not answer (%s)", shown(self.url), exc)
            self.down = True
            return sent
        self.down = False
        if sent:
            log.info("sweep: %d jobs sent again (queued, or their worker stopped)", sent)
        return sent



class Deliveries:
    """The job ids a worker takes, one at a time: `next` gives a delivered id (or None after `poll`
    seconds of nothing), `done` acknowledges it once its job has ended (a worker killed before that
    leaves it unacknowledged, for Dramatiq to deliver again)."""

    def __init__(self, broker: Broker, poll: float):
        self.broker, self.poll = broker, poll
        self.consumer = broker.dramatiq.consume(QUEUE, prefetch=1, timeout=int(poll * 1000))
        self.message = None

    def next(self, stopping: Callable[[], bool] = lambda: False) -> int | None:
        import redis
        from dramatiq.errors import BrokerConnectionError

        try:
            self.message = next(self.consumer)
        except (BrokerConnectionError, redis.TimeoutError) as exc:
            log.warning("lost the broker at %s (%s)", shown(self.broker.url), exc)
            self.broker.wait(stopping)
            self.consumer = self.broker.dramatiq.consume(QUEUE, prefetch=1, timeout=int(self.poll * 1000))
            self.message = None
        return int(self.message.args[0]) if self.message is not None else None

    def done(self) -> None:
        import redis
        from dramatiq.errors import BrokerConnectionError

        if self.message is None:
            return
        try:
            self.consumer.ack(self.message)
        except (BrokerConnectionError, redis.TimeoutError) as exc:  # it comes back: a second delivery of an ended job is skipped
            log.warning("could not acknowledge a job to the broker (%s)", exc)
        self.message = None


class Feed:
    """A worker's next job from the broker: the delivered id claimed in the jobs table (a second
    delivery of a job already ended, or still another worker's, is acknowledged and skipped); with
    nothing delivered, a sweep."""

    def __init__(self, broker: Broker, stopping: Callable[[], bool], poll: float, lease: float, attempts: int):
        self.broker, self.stopping, self.lease, self.attempts = broker, stopping, lease, attempts
        self.ids = Deliveries(broker, poll)

    def next(self, jobs, worker: str) -> dict | None:
        job_id = self.ids.next(self.stopping)
        if job_id is None:
            self.broker.sweep(jobs, self.lease)
            return None
        job = jobs.claim(worker, self.lease, self.attempts, job_id=job_id)
        if job is None:
            self.ids.done()
        return job

    def done(self) -> None:
        """The job has ended: its delivery acknowledged."""
        self.ids.done()

    def idle(self, jobs) -> bool:
        """Nothing queued and nothing left by a dead worker (for `sohoa worker --once`)."""
        now = time.time()
        return not jobs.list("queued", limit=1) and not any(
            _expired(j, now) for j in jobs.list("running", limit=100_000))


def feed(url: str, stopping: Callable[[], bool], poll: float, lease: float, attempts: int) -> Feed | None:
    """A worker's feed from the broker at `url`, once it answers (None if stopped while waiting)."""
    broker = Broker(url)
    if not broker.wait(stopping):
        return None
    log.info("taking jobs from the broker at %s", shown(url))
    return Feed(broker, stopping, poll, lease, attempts)


def _expired(job: dict, now: float) -> bool:
    return job.get("lease_until") is not None and job["lease_until"] < now


def _epoch(iso: str) -> float:
    try:
        stamp = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return 0.0
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).timestamp()


_current: Broker | None = None


def configure(url: str | None) -> Broker | None:
    """The broker this process announces new jobs to (the server's `--broker`), or none: the
    embedded queue, where workers poll the jobs table."""
    global _current
    _current = Broker(url) if url else None
    return _current


def current() -> Broker | None:
    return _current
