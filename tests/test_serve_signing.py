"""Issue 16, in the server: `sohoa serve --signing-key` signs papers with the unit's key (real server,
test PKI made at test time)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import SOHOA
from tests.pki import PASSWORD
from tests.serving import serve_copy


@pytest.fixture(scope="module")
def signing_server(scanned, tmp_path_factory, pki):
    folder = tmp_path_factory.mktemp("signing")
    secret = folder / "key-password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    running = serve_copy(scanned, folder, "--signing-key", str(pki.officer.p12), "--signing-password-file", str(secret))
    yield running
    running.server.stop()


def test_a_clerk_signs_with_the_servers_key_and_it_verifies(signing_server, pki):
    paper_id = next(iter(signing_server.ids.values()))
    with signing_server.as_role("staff") as staff:
        assert staff.post(f"/papers/{paper_id}/sign").status_code == 403
    with signing_server.as_role("clerk") as clerk:
        answer = clerk.post(f"/papers/{paper_id}/sign")
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == paper_id and answer.json()["signature"]["level"] == "B-B"
    signing_server.cli("verify", paper_id, "--trust", pki.root_pem)  # exit 0 or the call fails


def test_wrong_signing_password_refuses_to_serve(scanned, tmp_path, pki):
    secret = tmp_path / "wrong.txt"
    secret.write_text("not the password\n", encoding="utf-8")
    done = subprocess.run([str(SOHOA), "serve", "--archive", str(tmp_path / "a"), "--signing-key", str(pki.officer.p12),
                           "--signing-password-file", str(secret)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 10 and "wrong password" in done.stderr  # Unauthorized's exit code
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_no_signing_key_is_409(served):
    paper_id = next(iter(served.ids.values()))
    with served.as_role("clerk") as clerk:
        answer = clerk.post(f"/papers/{paper_id}/sign")
    assert answer.status_code == 409
    assert "has no signing key" in answer.json()["error"]["message"]


def _officer_signs(pki, to_sign_b64: str) -> str:
    """The clerk's PC: the officer's private key signs the attributes (SHA-256 with RSA, PKCS#1 v1.5)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, _, _ = pkcs12.load_key_and_certificates(pki.officer.p12.read_bytes(), PASSWORD.encode())
    return base64.b64encode(key.sign(base64.b64decode(to_sign_b64), padding.PKCS1v15(), hashes.SHA256())).decode()


def test_the_interrupted_flow_prepare_then_finish(signing_server, pki):
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    paper_id = list(signing_server.ids.values())[-1]
    pem = pki.officer.cert.public_bytes(Encoding.PEM).decode()
    with signing_server.as_role("clerk") as clerk:
        first = clerk.post(f"/papers/{paper_id}/sign/prepare", json={"certificate": pem})
        assert first.status_code == 200, first.text
        wrong = clerk.post(f"/papers/{paper_id}/sign/finish", json={
            "signing_id": first.json()["signing_id"], "signature": base64.b64encode(b"\x01" * 256).decode()})
        assert wrong.status_code == 422, wrong.text
        done = clerk.post(f"/papers/{paper_id}/sign/finish", json={
            "signing_id": first.json()["signing_id"], "signature": _officer_signs(pki, first.json()["to_sign"])})
    assert done.status_code == 200, done.text
    assert done.json()["id"] == paper_id
    signing_server.cli("verify", paper_id, "--trust", pki.root_pem)
