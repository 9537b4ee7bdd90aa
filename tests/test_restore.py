"""`sohoa restore FILE --archive NEW`: a working archive again, or a clear refusal of a damaged backup."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.conftest import Sohoa, make_scan, page_lines

QUERIES = [["nguyen", "van", "an"], ["Đặng", "Thị", "Hương"], ["giay", "khai", "sinh"], ["cộng", "hòa"]]


def results(sohoa: Sohoa, root: Path, query: list[str]) -> list[dict]:
    hits = sohoa.json("search", *query, "--limit", 50, "--archive", root)
    for h in hits:
        h["pdf_path"] = str(Path(h["pdf_path"]).relative_to(root))
    return hits


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    base = tmp_path_factory.mktemp("restore")
    root, sohoa = base / "archive", Sohoa()
    for n, name in enumerate(["Nguyễn Văn An", "Đặng Thị Hương", "Trần Thị Ngọc Ánh"]):
        make_scan(base / "batch" / f"p{n}.png", page_lines("GIẤY KHAI SINH", name), dpi=200)
    sohoa("scan", base / "batch", "--archive", root)
    sohoa("backup", base / "backup.tar", "--archive", root)
    sohoa("backup", base / "backup.tar.gz", "--archive", root)
    return {"root": root, "backup": base / "backup.tar", "gz": base / "backup.tar.gz",
            "results": {tuple(q): results(sohoa, root, q) for q in QUERIES}}


@pytest.mark.parametrize("kind", ["backup", "gz"])
def test_restore_rebuilds_an_archive_that_checks_and_searches_like_the_original(original, tmp_path, kind):
    sohoa, new = Sohoa(), tmp_path / "new"

    out = sohoa("restore", original[kind], "--archive", new, "--user", "admin").stdout

    assert "restored 3 papers" in out and "sohoa check passes" in out
    assert sohoa.json("check", "--archive", new)["ok"]
    for query, expected in original["results"].items():
        assert expected and results(sohoa, new, list(query)) == expected
    events = sohoa.json("audit", "--archive", new)
    assert [e["action"] for e in events][-1] == "restore" and events[-1]["user"] == "admin"


def test_restore_into_an_existing_archive_is_refused(original, tmp_path):
    result = Sohoa()("restore", original["backup"], "--archive", original["root"], expect=2)
    assert "not empty; restore into a new folder" in result.stderr


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of a backup with each member passed through `change(name, data) -> data | None`."""
    with tarfile.open(source) as src, tarfile.open(target, "w") as out:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            if data is not None:
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))
    return target


def _flip_a_byte_in_a_paper(name, data):
    return data[:-100] + bytes([data[-100] ^ 1]) + data[-99:] if name.startswith("papers/") else data


def _truncate(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


def _not_a_tar(source: Path, target: Path) -> Path:
    target.write_text("not a backup\n")
    return target


@pytest.mark.parametrize("damage, message", [
    (_truncate, "truncated"),
    (lambda b, t: _rewrite(b, t, _flip_a_byte_in_a_paper), "does not match its checksum"),
    (lambda b, t: _rewrite(b, t, lambda n, d: None if n.startswith("papers/") else d), "is missing"),
    (_not_a_tar, "damaged or not a Sohoa backup"),
])
def test_a_damaged_backup_is_refused_and_nothing_is_left_behind(original, tmp_path, damage, message):
    broken = damage(original["backup"], tmp_path / "broken.tar")

    result = Sohoa()("restore", broken, "--archive", tmp_path / "new", expect=3)

    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sohoa: {broken}: damaged") and message in line and "use another backup" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.tar"]  # no half-restored archive


def test_restored_backup_json(original, tmp_path):
    summary = Sohoa().json("restore", original["backup"], "--archive", tmp_path / "new")
    assert (summary["papers"], summary["indexed"]) == (3, 3)
    manifest = json.load(tarfile.open(original["backup"]).extractfile("manifest.json"))
    assert summary["created_at"] == manifest["created_at"]
