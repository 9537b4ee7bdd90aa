"""A server for the desk's and dashboard's tests: the scanned citizens' archive (tests/citizen_papers.py)
plus a register whose agency, procedure, applicant and component names are markup, and a record
Nguyễn Văn An's certificate can be reused into; and a client that behaves as a browser."""

from __future__ import annotations

import csv
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import REGISTER_HEADER
from tests.serving import PASSWORD, serve_copy

SCRIPT, IMG = "<script>alert(1)</script>", '<img src=x onerror="alert(2)">'
HOSTILE_AGENCY = f"UBND {SCRIPT} xã"
HOSTILE_PROCEDURE = f"Thủ tục {IMG}"
HOSTILE_CODE = "000.00.99.H48-260115-0001"
AN_RECORD = "000.00.53.H48-260120-0007"  # Nguyễn Văn An applies again: his criminal-record certificate is reused


@pytest.fixture(scope="module")
def desk(scanned, tmp_path_factory):
    folder = tmp_path_factory.mktemp("desk")
    running = serve_copy(scanned, folder)
    register = folder / "hostile.csv"
    with open(register, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(REGISTER_HEADER)
        writer.writerow([HOSTILE_CODE, "1.000999", HOSTILE_PROCEDURE, HOSTILE_AGENCY, "1", "2026-01-15", "2026-01-25",
                         f"Lê {SCRIPT}", "079203009999", "false", f"Tờ khai {IMG};Bản sao {SCRIPT}"])
        writer.writerow([AN_RECORD, "1.004227", "Cấp phiếu lý lịch tư pháp", "UBND phường Bến Nghé", "1",
                         "2026-01-20", "2026-01-30", "Nguyễn Văn An", "079203001234", "false",
                         "Phiếu lý lịch tư pháp"])
    running.cli("records", "import", register)
    yield running
    running.server.stop()


@contextmanager
def browser(desk, name: str | None = None):
    """A client as a browser is: cookies, no redirects followed; logged in through the form if `name`."""
    with httpx.Client(base_url=desk.server.url, timeout=60, follow_redirects=False) as client:
        if name:
            answer = client.post("/login", data={"name": name, "password": PASSWORD, "next": "/"})
            assert answer.status_code == 303, answer.text
        yield client
