"""A small PKI made at test time (not a test module): a root CA, officer certificates (good, revoked,
expired), a TSA, the CA's CRL and an RFC 3161 time-stamping service over HTTP on a free localhost
port, and a SoftHSM2 token holding the officer's key.

The CRL is served too, at the URL each certificate names as its distribution point, so a verifier
fetches it as it would from a real CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSWORD = "mật-khẩu 1"  # non-ASCII on purpose: officers' passwords are typed in Vietnamese too
AGENCY = "UBND phường Bến Nghé"
TOKEN_LABEL = "officer-token"
TOKEN_PIN = "123456"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def _name(cn: str, org: str = AGENCY) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    p12: Path | None = None

    @property
    def serial(self) -> int:
        return self.cert.serial_number


@dataclass
class Pki:
    folder: Path
    base_url: str
    root: Issued = None
    officer: Issued = None
    revoked: Issued = None
    expired: Issued = None
    tsa: Issued = None
    crl: bytes = b""
    other_root: Issued = None  # a CA nobody trusts
    stranger: Issued = None  # an officer certificate it issued
    servers: list = field(default_factory=list)

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.pem"

    @property
    def tsa_url(self) -> str:
        return self.base_url + "/tsa"

    def issue(self, cn: str, issuer: Issued, not_before=None, not_after=None, tsa=False, ca=False,
              org: str = AGENCY) -> Issued:
        key = _key()
        now = dt.datetime.now(dt.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(_name(cn, org))
                   .issuer_name(issuer.cert.subject if issuer else _name(cn, org))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or now - dt.timedelta(days=30))
                   .not_valid_after(not_after or now + dt.timedelta(days=365)))
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        if ca:
            builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                            critical=True)
        elif tsa:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        else:
            builder = builder.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                                            critical=True)
        if not ca:
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(self.base_url + "/root.crl")], None, None, None)]), critical=False)
        signer = issuer or Issued(None, key)
        cert = builder.sign(signer.key, hashes.SHA256())
        return Issued(cert, key)

    def write_p12(self, issued: Issued, name: str, password: str = PASSWORD) -> Path:
        path = self.folder / f"{name}.p12"
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            name.encode(), issued.key, issued.cert, [self.root.cert],
            serialization.BestAvailableEncryption(password.encode())))
        issued.p12 = path
        return path

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    pki: Pki
    stamper = None

    def log_message(self, *args):  # the test's output is the test's
        pass

    def do_GET(self):
        if self.path == "/root.crl":
            self._answer(self.pki.crl, "application/pkix-crl")
        else:
            self.send_error(404)

    def do_POST(self):
        from asn1crypto import tsp

        if self.path != "/tsa":
            self.send_error(404)
            return
        request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
        response = asyncio.run(self.stamper.async_request_tsa_response(request))
        self._answer(response.dump(), "application/timestamp-reply")

    def _answer(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_pki(folder: Path) -> Pki:
    """The CA, its certificates, .p12 files and the HTTP service for CRL and time stamps."""
    from asn1crypto import keys, x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    folder.mkdir(parents=True, exist_ok=True)
    handler = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    pki = Pki(folder, f"http://127.0.0.1:{server.server_address[1]}")
    handler.pki = pki
    now = dt.datetime.now(dt.timezone.utc)
    pki.root = pki.issue("Sohoa Test Root CA", None, ca=True, org="Sohoa Test CA")
    pki.officer = pki.issue("Nguyễn Văn Tiếp Nhận", pki.root)
    pki.revoked = pki.issue("Trần Thị Thu Hồi", pki.root)
    pki.expired = pki.issue("Lê Văn Hết Hạn", pki.root, not_before=now - dt.timedelta(days=400),
                            not_after=now - dt.timedelta(days=1))
    pki.tsa = pki.issue("Sohoa Test TSA", pki.root, tsa=True, org="Sohoa Test CA")
    pki.other_root = pki.issue("Somebody Else's CA", None, ca=True, org="Elsewhere")
    pki.stranger = pki.issue("Người Lạ", pki.other_root, org="Elsewhere")
    pki.root_pem.write_bytes(pki.root.cert.public_bytes(serialization.Encoding.PEM))
    (folder / "other-root.pem").write_bytes(pki.other_root.cert.public_bytes(serialization.Encoding.PEM))
    for name in ("officer", "revoked", "expired", "stranger"):
        pki.write_p12(getattr(pki, name), name)
    revoked_at = now - dt.timedelta(hours=1)
    pki.crl = (x509.CertificateRevocationListBuilder().issuer_name(pki.root.cert.subject)
               .last_update(now - dt.timedelta(hours=2)).next_update(now + dt.timedelta(days=7))
               .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(pki.revoked.serial)
                                        .revocation_date(revoked_at).build())
               .add_extension(x509.CRLNumber(1), critical=False)
               .sign(pki.root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))

    def der(cert):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    handler.stamper = DummyTimeStamper(
        tsa_cert=der(pki.tsa.cert), certs_to_embed=[der(pki.root.cert)],
        tsa_key=keys.PrivateKeyInfo.load(pki.tsa.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pki.servers.append(server)
    return pki


def _der_integer(n: int) -> bytes:
    body = n.to_bytes((n.bit_length() + 8) // 8, "big")
    return bytes([0x02, len(body)]) + body


def softhsm_token(folder: Path, issued: Issued, label: str = TOKEN_LABEL, key_label: str = "officer") -> dict:
    """A SoftHSM2 token (its own config and store under `folder`) holding `issued`'s key and
    certificate; returns the environment to use it (SOFTHSM2_CONF)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        raise RuntimeError("SoftHSM2 is not installed (apt-get install softhsm2)")
    store = folder / "tokens"
    store.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {store}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", TOKEN_PIN,
                    "--so-pin", "0000"], env=env, check=True, capture_output=True)
    key_file = folder / f"{key_label}.key.pem"
    key_file.write_bytes(issued.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(key_file), "--token", label, "--label", key_label,
                    "--id", "01", "--pin", TOKEN_PIN], env=env, check=True, capture_output=True)
    key_file.unlink()
    os.environ["SOFTHSM2_CONF"] = str(conf)  # the library reads it when loaded, in this process too
    lib = pkcs11.lib(SOFTHSM_MODULE)
    token = lib.get_token(token_label=label)
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: key_label, Attribute.ID: b"\x01",
            Attribute.VALUE: issued.cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: issued.cert.subject.public_bytes(), Attribute.ISSUER: issued.cert.issuer.public_bytes(),
            Attribute.SERIAL_NUMBER: _der_integer(issued.serial)})
    return {"SOFTHSM2_CONF": str(conf)}


# -- fixtures (a plugin of conftest.py) -------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    made = make_pki(tmp_path_factory.mktemp("pki"))
    yield made
    made.close()


@pytest.fixture(scope="session")
def token(pki) -> dict:
    """The officer's key on a SoftHSM2 token: one per session, as the PKCS#11 library reads its
    configuration once per process."""
    return softhsm_token(pki.folder / "hsm", pki.officer)


@pytest.fixture
def key_password(monkeypatch):
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", PASSWORD)
    return PASSWORD
