"""Issue 16, the clerk's PC: `sohoa sign ID… --server URL --pkcs11 …` signs papers archived on a real
`sohoa serve` with the officer's key on a real PKCS#11 token (SoftHSM2, tests/pki.py): the server
prepares, the token signs, the server embeds; one line per paper, exit codes as `sign`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import SOHOA
from tests.pki import SOFTHSM_MODULE, TOKEN_LABEL, TOKEN_PIN
from tests.serving import free_port

TOKEN_OPTIONS = ("--pkcs11", SOFTHSM_MODULE, "--token", TOKEN_LABEL, "--key-label", "officer")


@pytest.fixture
def clerk_pc(served, token, tmp_path):
    """`run(*args, api_token=…)`: the real `sohoa sign --server` in a process of its own, as on a
    clerk's PC: no archive there, the token's PIN in SOHOA_KEY_PASSWORD, the API token in a file."""

    def run(*args, api_token: str | None = served.tokens["clerk"], server: str = served.server.url):
        env = {**os.environ, **token, "SOHOA_KEY_PASSWORD": TOKEN_PIN, "SOHOA_ARCHIVE": str(tmp_path / "none")}
        env.pop("SOHOA_TOKEN", None)
        given = []
        if api_token is not None:
            (tmp_path / "api-token").write_text(api_token + "\n", encoding="utf-8")
            given = ["--api-token-file", str(tmp_path / "api-token")]
        return subprocess.run([str(SOHOA), "sign", *map(str, args), "--server", server, *given, *TOKEN_OPTIONS],
                              env=env, capture_output=True, text=True, timeout=300)

    return run


def test_papers_on_the_server_are_signed_with_the_token_here_and_verify(served, clerk_pc, pki, tmp_path):
    first, second = list(served.ids.values())[:2]
    done = clerk_pc(first, second)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f"#{first}", f"#{second}"]
    assert all("signed B-B by" in line and format(pki.officer.serial, "x") in line for line in lines)
    for paper_id in (first, second):
        report = served.cli.json("verify", paper_id, "--trust", pki.root_pem)
        assert report["valid"] and len(report["signatures"]) == 1
    assert not (tmp_path / "none").exists()  # the clerk's PC keeps no archive
    again = clerk_pc(first, "--json")  # a second signature over the first, as JSON Lines
    assert again.returncode == 0, again.stderr
    (row,) = [json.loads(line) for line in again.stdout.splitlines()]
    assert row["id"] == first and row["signature"]["level"] == "B-B"
    assert served.cli.json("verify", first, "--trust", pki.root_pem)["valid"]


def test_a_paper_the_server_refuses_is_one_line_and_the_others_are_signed(served, clerk_pc):
    paper_id = list(served.ids.values())[2]
    done = clerk_pc(999_999, paper_id)
    assert done.returncode == 2, done.stderr  # NotFound's, as `sohoa sign 999999` on the archive
    assert done.stderr.splitlines() == [done.stderr.strip()] and done.stderr.startswith("sohoa: paper 999999: no paper")
    assert done.stdout.startswith(f"#{paper_id}") and len(done.stdout.splitlines()) == 1


def test_credentials_and_the_server_itself_stop_the_run_with_one_line(served, clerk_pc):
    paper_id = list(served.ids.values())[3]
    for run, code in ((lambda: clerk_pc(paper_id, api_token="not-a-token"), 10),  # Unauthorized
                      (lambda: clerk_pc(paper_id, api_token=served.tokens["staff"]), 11),  # staff may not sign
                      (lambda: clerk_pc(paper_id, api_token=None), 2),  # no API token given
                      (lambda: clerk_pc(paper_id, server=f"http://127.0.0.1:{free_port()}"), 7)):  # nobody there
        done = run()
        assert done.returncode == code, (code, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stdout == ""
    assert not served.cli.json("verify", paper_id, expect=13)["signatures"]  # nothing was signed
