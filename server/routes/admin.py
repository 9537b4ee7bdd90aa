"""Keeping the archive: the audit log, the integrity check, backups; reindex, re-extract and backup
as jobs for the workers (followed at GET /jobs/{id}); users and tokens."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from typing import Literal

from digitize.services import accounts, jobs, upkeep
from server.context import API, RowId, call, needs

router = APIRouter(prefix=API, tags=["admin"])
BACKUPS = "backups"  # under the archive: the server writes only where it is told to keep them


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repair: bool = False


class ReindexJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: Literal["whoosh", "tantivy", "postgres"] | None = None


class ExtractJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    papers: list[RowId] = Field(default_factory=list, max_length=100_000)
    every: bool = False


class BackupJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    folder: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(None, min_length=1, max_length=200)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: str
    password: str = Field(max_length=1000)
    agencies: list[str] = Field(default_factory=list)


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: str
    agencies: list[str] = Field(default_factory=list)


class Password(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=1000)


@router.get("/audit", **needs("audit_log", 404))
async def audit(request: Request, paper: int | None = None, holder_id: str | None = Query(None, max_length=20),
                since: str | None = None, show_ids: bool = False) -> list[dict]:
    """Who did what to which papers, oldest first (as `audit --json`)."""
    return await call(request, upkeep.audit_log, paper_id=paper, holder_id=holder_id, since=since, show_ids=show_ids)


@router.post("/check", **needs("check"))
async def check(request: Request, body: Check | None = None) -> dict:
    """Verify files and their SHA-256, the index, orphans, the schema (as `check --json`); `repair` fixes what it can."""
    repair = bool(body and body.repair)
    report = await call(request, upkeep.check, repair=repair)
    return report.to_json()


def _backup(archive, actor) -> dict:
    folder = archive.root / BACKUPS
    folder.mkdir(0o770, exist_ok=True)
    file = folder / f"sohoa-{datetime.now():%Y%m%d-%H%M%S-%f}.tar.gz"
    return {**upkeep.backup(archive, actor, file), "file": str(Path(BACKUPS) / file.name)}


@router.post("/backup", **needs("backup"))
async def backup(request: Request) -> dict:
    """A consistent backup into the archive's backups/ folder (as `backup --json`, with its `file`)."""
    return await call(request, _backup)


def _queued(job: dict) -> JSONResponse:
    return JSONResponse(job, status_code=202)


@router.post("/jobs/reindex", status_code=202, **needs("reindex"))
async def reindex_job(request: Request, body: ReindexJob | None = None) -> JSONResponse:
    """Queue a rebuild of the search index (with another `engine`, to switch): 202 with the job; its
    `outcome` {papers, engine} once done."""
    return _queued(await call(request, jobs.submit_reindex, engine=body.engine if body else None))


@router.post("/jobs/re-extract", status_code=202, **needs("re_extract", 404))
async def re_extract_job(request: Request, body: ExtractJob | None = None) -> JSONResponse:
    """Queue metadata extracted again from the stored text: of `papers`, else of `every` paper, else of
    those never extracted (corrections stay): 202 with the job; its `outcome` {papers} once done."""
    body = body or ExtractJob()
    return _queued(await call(request, jobs.submit_extract, tuple(body.papers), every=body.every))


@router.post("/jobs/backup", status_code=202, **needs("backup"))
async def backup_job(request: Request, body: BackupJob) -> JSONResponse:
    """Queue a backup into `folder`, an absolute path on the storage the workers share (as `name`,
    default sohoa-DATE-TIME.tar.gz): 202 with the job; its `outcome` as `backup --json` once done."""
    return _queued(await call(request, jobs.submit_backup, body.folder, name=body.name))


@router.get("/users", **needs("users"))
async def users(request: Request) -> list[dict]:
    return await call(request, accounts.list_users)


@router.post("/users", status_code=201, **needs("users", 409))
async def add_user(request: Request, body: NewUser) -> dict:
    return await call(request, accounts.add_user, body.name, body.role, body.password, tuple(body.agencies))


@router.post("/users/{name}/disable", **needs("users", 404))
async def disable_user(request: Request, name: str) -> dict:
    return await call(request, accounts.disable_user, name)


@router.post("/users/{name}/password", **needs("users", 404))
async def set_password(request: Request, name: str, body: Password) -> dict:
    return await call(request, accounts.set_password, name, body.password)


@router.get("/tokens", **needs("tokens"))
async def tokens(request: Request) -> list[dict]:
    return await call(request, accounts.list_tokens)


@router.post("/tokens", status_code=201, **needs("tokens", 409))
async def create_token(request: Request, body: NewToken) -> dict:
    """A new token; its secret (`token`) is in this answer only."""
    return await call(request, accounts.create_token, body.name, body.role, tuple(body.agencies))


@router.post("/tokens/{name}/revoke", **needs("tokens", 404))
async def revoke_token(request: Request, name: str) -> dict:
    return await call(request, accounts.revoke_token, name)
