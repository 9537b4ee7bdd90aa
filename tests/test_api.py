"""The server end to end, as its users meet it: a clerk uploads a scan and follows its job, staff
find the paper and reuse it, the manager's coverage moves — real HTTP, real workers, real
Tesseract. And the whole server killed mid-job: after a restart the job ends and its paper is
archived once."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import shutil
import sqlite3
import subprocess
import time

import pytest
from pypdf import PdfWriter

from tests.citizen_papers import COMPONENTS, MARRIAGE
from tests.conftest import REGISTER_HEADER, SOHOA, make_scan, page_lines
from tests.pdfs import png_bomb
from tests.serving import Server, add_accounts, wait_job

BIRTH = "000.00.53.H48-261201-0042"


def register_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTER_HEADER)
    writer.writerow([BIRTH, "1.001193", "Đăng ký khai sinh", "UBND phường Bến Nghé", "1", "2026-12-01", "",
                     "Lê Văn Tám", "079210004242", "false", "Giấy chứng sinh"])
    return out.getvalue().encode()


@pytest.fixture
def server(scanned, tmp_path):
    root, _ = scanned
    shutil.copytree(root, tmp_path / "archive")
    tokens = add_accounts(tmp_path / "archive", tmp_path)
    running = Server(tmp_path / "archive", workers=1)
    yield running, tokens
    running.stop()


def test_upload_job_paper_search_reuse_coverage(server, tmp_path):
    srv, tokens = server
    clerk, staff, manager = (srv.bearer(tokens[r]) for r in ("clerk", "staff", "manager"))
    imported = clerk.post("/records/import", files={"file": ("so-dang-ky.csv", register_csv(), "text/csv")})
    assert imported.status_code == 200 and imported.json()["new"] == 1, imported.text
    before = manager.get("/coverage").json()["total"]

    scan = make_scan(tmp_path / "giay chung sinh.tif", page_lines("GIẤY CHỨNG SINH", "Lê Văn Tám"), dpi=200, pages=2)
    sent = clerk.post("/scans", data={"record": BIRTH, "component": "Giấy chứng sinh"},
                      files=[("files", ("giấy chứng sinh.tif", scan.read_bytes(), "image/tiff"))])
    assert sent.status_code == 202, sent.text
    [queued] = sent.json()["jobs"]
    assert queued["source_name"] == "giấy chứng sinh.tif"

    events = []
    with clerk.stream("GET", f"/jobs/{queued['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["state"] == "done" and events[-1]["pages_done"] == events[-1]["pages_total"] == 2
    assert [e["pages_done"] for e in events] == sorted(e["pages_done"] for e in events)

    job = clerk.get(f"/jobs/{queued['id']}").json()
    [paper] = job["papers"]
    assert (paper["status"], paper["record_code"], paper["component"]) == ("new", BIRTH, "Giấy chứng sinh")
    assert queued["id"] in [j["id"] for j in clerk.get("/jobs").json()]

    hits = staff.get("/search", params={"q": "le van tam"}).json()
    assert paper["id"] in [h["id"] for h in hits["hits"]], hits
    reused = staff.post(f"/papers/{paper['id']}/reuse", json={"record": MARRIAGE, "component": COMPONENTS[2]})
    assert reused.status_code == 200, reused.text

    after = manager.get("/coverage").json()["total"]
    assert after["received"] == before["received"]
    assert after["digitized"] == before["digitized"] + 1
    assert after["reused"] == before["reused"] + 1
    # another role may not follow the clerk's jobs
    assert staff.get(f"/jobs/{queued['id']}").status_code == 403


def test_a_bad_upload_fails_its_job_with_its_reason(server):
    srv, tokens = server
    clerk = srv.bearer(tokens["clerk"])
    sent = clerk.post("/scans", files=[("files", ("hỏng.pdf", b"%PDF-1.7\nnot a pdf", "application/pdf")),
                                       ("files", ("ảnh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, "image/png"))])
    assert sent.status_code == 202, sent.text
    for queued in sent.json()["jobs"]:
        job = wait_job(clerk, queued["id"])
        assert job["state"] == "failed" and job["error"]["message"].startswith(queued["source_name"] + ":")
        assert "Traceback" not in json.dumps(job)
    assert clerk.post("/scans", data={"record": "000.00.53.H48-260105-9999"},
                      files=[("files", ("a.png", b"x", "image/png"))]).status_code == 404
    assert not any((srv.root / "tmp" / "uploads").iterdir())


def test_a_pixel_bomb_and_an_encrypted_pdf_fail_their_jobs_with_one_line(server, tmp_path):
    srv, tokens = server
    clerk = srv.bearer(tokens["clerk"])
    locked = PdfWriter()
    locked.add_blank_page(595, 842)
    locked.encrypt("mật-khẩu", algorithm="AES-256")
    sealed = io.BytesIO()
    locked.write(sealed)
    bomb = png_bomb(tmp_path / "bom.png", 30_000).read_bytes()  # 900 megapixels in a few kB
    sent = clerk.post("/scans", files=[("files", ("bom ảnh.png", bomb, "image/png")),
                                       ("files", ("khoá.pdf", sealed.getvalue(), "application/pdf"))])
    assert sent.status_code == 202, sent.text
    wanted = {"bom ảnh.png": ("InputError", "megapixels"), "khoá.pdf": ("EncryptedPDF", "qpdf --decrypt")}
    for queued in sent.json()["jobs"]:
        job = wait_job(clerk, queued["id"])
        kind, words = wanted[queued["source_name"]]
        assert job["state"] == "failed" and job["error"]["kind"] == kind, job
        message = job["error"]["message"]
        assert message.startswith(queued["source_name"] + ":") and words in message and "\n" not in message
        assert all(p["id"] is None and p["status"] == "failed" for p in job["papers"])  # nothing archived


@pytest.mark.slow
def test_the_server_killed_mid_job_resumes_it_after_restart(server, tmp_path):
    srv, tokens = server
    clerk = srv.bearer(tokens["clerk"])
    scan = make_scan(tmp_path / "dai.tif", page_lines("GIẤY KHAI SINH", "Phạm Thị Dài"), dpi=200, pages=5)
    sent = clerk.post("/scans", files=[("files", ("dài.tif", scan.read_bytes(), "image/tiff"))])
    job_id = sent.json()["jobs"][0]["id"]
    wait_job(clerk, job_id, until=lambda job: job["pages_done"] >= 2)
    workers = subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True, text=True).stdout.split()
    srv.proc.send_signal(signal.SIGKILL)  # the workers die with it (PR_SET_PDEATHSIG)
    srv.proc.wait()
    for pid in workers:
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
    assert clerk.close() is None

    again = Server(srv.root, workers=1)
    try:
        job = wait_job(again.bearer(tokens["clerk"]), job_id)
    finally:
        again.stop()
    assert job["state"] == "done" and job["pages_done"] == 5 and job["papers"][0]["status"] == "new"
    with sqlite3.connect(srv.root / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers WHERE source_name = 'dài.tif'").fetchone()[0] == 1
    check = subprocess.run([str(SOHOA), "check", "--archive", str(srv.root)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
