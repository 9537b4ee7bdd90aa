"""The hot folder: archive every scan that lands in INBOX, then file it under done/ or failed/.

A file is taken once it is completely written: its size and modification time have not changed
between two looks `poll` seconds apart. The inbox itself is the state: a file leaves it only after
its papers are committed, so after a crash or restart the files still there are simply scanned
again, and the papers already archived are recognised by their identity and skipped, never
duplicated.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Iterator

from digitize.archive import NAME_MAX, fit_name
from digitize.errors import ArchiveLocked, BadArgument, DiskFull, disk_full
from digitize.scan.scanner import Outcome, Scanner

PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".filepart")  # still being copied in


@dataclass
class Filed:
    """One inbox file done with: its outcomes (one per paper) and where it was moved."""

    path: Path
    moved_to: Path
    outcomes: list[Outcome]


def watch(scanner: Scanner, inbox: Path, poll: float = 2.0, once: bool = False) -> Iterator[Filed]:
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise BadArgument(f"{inbox}: no such folder; create it or name the scanner's output folder")
    done, failed = inbox / "done", inbox / "failed"
    done.mkdir(exist_ok=True)
    failed.mkdir(exist_ok=True)
    with _locked(inbox), _stop_on_sigterm():
        last: dict[Path, tuple[int, int]] = {}
        stuck: set[Path] = set()  # could not be moved away: do not scan it again and again
        while True:
            seen = {p: _signature(p) for p in _candidates(inbox) if p not in stuck}
            seen = {p: s for p, s in seen.items() if s is not None}
            ready = [p for p, s in seen.items() if last.get(p) == s]
            last = seen
            if ready:
                outcomes = scanner.scan(ready)
                for source, group in groupby(outcomes, key=lambda o: o.source_path):
                    filed = _file(Path(source), list(group), done, failed)
                    if filed.moved_to == filed.path:
                        stuck.add(filed.path)
                    yield filed
                continue  # look again at once: more may have landed while these were scanned
            if once and not seen:
                return
            time.sleep(poll)


def _candidates(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.iterdir()
                  if not p.name.startswith((".", "~")) and not p.name.lower().endswith(PARTIAL_SUFFIXES)
                  and p.is_file() and not p.is_symlink())


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:  # taken away meanwhile
        return None
    return stat.st_size, stat.st_mtime_ns


def _file(path: Path, outcomes: list[Outcome], done: Path, failed: Path) -> Filed:
    errors = [o.error for o in outcomes if o.status == "failed"]
    folder = failed if errors else done
    target = _free_name(folder, path.name)
    try:
        if errors:  # the reason first: a crash before the move leaves the file to be tried again
            target.with_name(target.name + ".txt").write_text(
                f"{path.name}\n" + "".join(f"{e}\n" for e in errors), encoding="utf-8")
        os.replace(path, target)
    except OSError as exc:
        if disk_full(exc):
            target.with_name(target.name + ".txt").unlink(missing_ok=True)
            raise DiskFull(f"{folder}: the disk is full; free space and start sohoa watch again") from None
        target = path
    return Filed(path, target, outcomes)


def _free_name(folder: Path, name: str) -> Path:
    """A name in `folder` free for the file and its ".txt", within the file system's 255 bytes."""
    n = 1
    while True:
        candidate = folder / fit_name(name, NAME_MAX - len(".txt"), mark=f"-{n}" if n > 1 else "")
        if not (candidate.exists() or candidate.with_name(candidate.name + ".txt").exists()):
            return candidate
        n += 1


class _locked:
    """One watcher per inbox: a second would scan the same files twice over."""

    def __init__(self, inbox: Path):
        self.path = inbox / ".sohoa-watch.lock"

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise ArchiveLocked(f"{self.path.parent}: another sohoa watch is already watching this folder") from None

    def __exit__(self, *exc):
        os.close(self.fd)


class _stop_on_sigterm:
    """`kill PID` stops the watcher like Ctrl-C; anything half done is redone at the next start."""

    def __enter__(self):
        def stop(signum, frame):
            raise KeyboardInterrupt

        try:
            self.previous = signal.signal(signal.SIGTERM, stop)
        except ValueError:  # not the main thread
            self.previous = None

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
