"""`sohoa backup` and `sohoa restore`: a whole archive in one tar file, checked on the way back.

    catalog.sqlite        a snapshot through SQLite's backup API (consistent while a scan writes)
    papers/ab/abcd….pdf   every archived file the snapshot refers to
    manifest.json         last, so a truncated backup lacks it: format, counts, SHA-256 of every file

Files are content-addressed and written before their catalog row, so every file the snapshot
names exists and does not change: the backup is consistent without stopping scans. The search
index is not saved; restore rebuilds it from the catalog.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import zlib
from pathlib import Path
from typing import Callable

from digitize import audit
from digitize.archive import Archive
from digitize.catalog import now_iso
from digitize.errors import ArchiveError, BadArgument, InputError, one_line
from digitize.storage.folder_files import DIR_MODE, FILE_MODE
from digitize.storage.paper_files import KEY, PaperFiles
from digitize.storage.paper_stores import open_paper_files

FORMAT = "sohoa-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"


class _Hashing:
    """A file reader that hashes what it hands out (tarfile reads through it)."""

    def __init__(self, f):
        self.f, self.size = f, 0
        self.digest = hashlib.sha256()

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def backup(archive: Archive, file: Path, user: str, progress: Callable[[int, int], None] | None = None,
           attempt: str = "") -> dict:
    """Write a backup of `archive` to `file` (`.tar`, or `.tar.gz`/`.tgz` compressed); `progress(done,
    total)` after each paper's file. `attempt` names the partial file, so two runs of one job that
    overlap (a worker that lost its lease) never write into the same one."""
    file = Path(file)
    if file.is_dir():
        raise BadArgument(f"{file}: is a folder; give the backup a file name such as sohoa-backup.tar")
    if archive.catalog_url:  # a restore would take the dump for a SQLite file: refused, not half done
        raise ArchiveError(f"{archive.root}: its catalog is the PostgreSQL database {archive.catalog_url}, which "
                           "sohoa backup does not copy yet; back it up with pg_dump (or the server's own backups) "
                           "and the archive's papers/ folder with it")
    mode = "w:gz" if file.name.endswith((".tar.gz", ".tgz")) else "w"
    partial = file.with_name(f".{file.name}{'.' + attempt if attempt else ''}.partial")
    files: dict[str, dict] = {}
    with archive.work_dir("backup-") as tmp:
        snapshot = Path(tmp) / CATALOG
        schema_version, rows = archive.catalog.database.snapshot(snapshot)
        try:
            with tarfile.open(partial, mode) as tar:
                files[CATALOG] = _add(tar, snapshot, CATALOG)
                for done, (paper_id, pdf_path, pdf_sha256) in enumerate(rows, 1):
                    try:
                        files[pdf_path] = _add_paper(tar, archive.paper_files, pdf_path)
                    except FileNotFoundError:
                        raise ArchiveError(f"paper {paper_id}: its file {pdf_path} is missing; run sohoa check, "
                                           "then back up again") from None
                    if pdf_sha256 and files[pdf_path]["sha256"] != pdf_sha256:
                        raise ArchiveError(f"paper {paper_id}: its file {pdf_path} does not match its checksum; "
                                           "run sohoa check, then back up again")
                    if progress:
                        progress(done, len(rows))
                manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created_at": now_iso(),
                            "created_by": user, "archive": str(archive.root.resolve()),
                            "schema_version": schema_version, "papers": len(rows), "files": files}
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(os.path.getmtime(snapshot))
                tar.addfile(info, io.BytesIO(data))
            with open(partial, "rb") as f:
                os.fsync(f.fileno())
            os.replace(partial, file)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    audit.log(archive.catalog, user, "backup", detail=f"{file.resolve()} ({len(rows)} papers)")
    return {"file": str(file), "papers": len(rows), "files": len(files), "bytes": file.stat().st_size,
            "schema_version": schema_version}


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    with open(path, "rb") as f:
        info = tar.gettarinfo(fileobj=f, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return _write(tar, info, f)


def _add_paper(tar: tarfile.TarFile, papers: PaperFiles, key: str) -> dict:
    with papers.open(key) as f:
        info = tarfile.TarInfo(key)
        info.size, info.mode, info.mtime = papers.size(key), FILE_MODE, int(time.time() - papers.age(key))
        return _write(tar, info, f)


def _write(tar: tarfile.TarFile, info: tarfile.TarInfo, f) -> dict:
    reader = _Hashing(f)
    tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": reader.size}


def restore(file: Path, root: Path, user: str) -> dict:
    """Rebuild a working archive in `root` (a new or empty folder) from the backup `file`."""
    from digitize.check import check

    file, root = Path(file), Path(root)
    if not file.is_file():
        raise BadArgument(f"{file}: no such backup file")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise BadArgument(f"{root}: already exists and is not empty; restore into a new folder")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.restoring-"))
    try:
        manifest = _extract_verified(file, staging)
        if root.exists():
            root.rmdir()
        os.rename(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with Archive(root) as archive:  # migrates a catalog from an older Sohoa
        indexed = archive.reindex()
        report = check(archive)
        audit.log(archive.catalog, user, "restore", detail=f"from {file.resolve()} ({manifest['papers']} papers)")
    if not report.ok:
        raise ArchiveError(f"{root}: restored, but sohoa check finds {len(report.problems)} problem(s): "
                           f"{report.problems[0].line()}")
    return {"file": str(file), "archive": str(root), "papers": manifest["papers"], "indexed": indexed,
            "created_at": manifest["created_at"]}


def _extract_verified(file: Path, staging: Path) -> dict:
    """Extract only what the manifest lists, checking each file's size and SHA-256."""
    def damaged(why: str) -> InputError:
        return InputError(f"{file}: damaged or not a Sohoa backup ({why}); nothing was restored, use another backup")

    try:
        with tarfile.open(file, "r:*") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise damaged("no manifest.json: the file is truncated or not a backup")
            manifest = json.load(tar.extractfile(members[MANIFEST]))
            if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
                raise damaged("manifest.json is not a Sohoa manifest")
            if manifest.get("version", 0) > FORMAT_VERSION:
                raise InputError(f"{file}: made by a newer Sohoa (backup format {manifest['version']}); "
                                 "upgrade Sohoa to restore it")
            if CATALOG not in manifest["files"]:
                raise damaged("the manifest lists no catalog")
            (staging / "tmp").mkdir(DIR_MODE)
            papers = open_paper_files(None, staging)  # the restored archive's own folder
            for name, expected in manifest["files"].items():
                if name != CATALOG and not KEY.fullmatch(name):
                    raise damaged(f"unexpected entry {name!r}")
                member = members.get(name)
                if member is None or not member.isfile():
                    raise damaged(f"{name} is missing")
                with tar.extractfile(member) as src:
                    reader = _Hashing(src)
                    if name == CATALOG:
                        with open(staging / name, "wb") as out:
                            shutil.copyfileobj(reader, out)
                            out.flush()
                            os.fsync(out.fileno())
                    else:
                        papers.put(name, reader)
                if reader.size != expected["size"] or reader.digest.hexdigest() != expected["sha256"]:
                    raise damaged(f"{name} does not match its checksum")
    except InputError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
        why = one_line(exc)
        raise damaged(f"the file is truncated: {why}" if isinstance(exc, EOFError) or "end of data" in why
                      else why) from None
    return manifest
