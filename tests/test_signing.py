"""`sohoa sign` and `sohoa scan --sign`: PAdES signatures by the receiving officer, with a key file
or a PKCS#11 token (SoftHSM2), B-T with a time-stamping service; the interrupted flow a server uses
for a token at the clerk's PC. The PKI is made at test time (tests/pki.py); scans are real."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess

import pikepdf
import pytest
from PIL import Image

from digitize.archive import Archive
from digitize.intake import sha256_file
from digitize.services import Actor
from digitize.services.signing import finish_signing, prepare_signing, verify
from digitize.signatures import Prepared
from samples.render import render_page, save
from tests.pki import AGENCY, PASSWORD, SOFTHSM_MODULE, TOKEN_LABEL, TOKEN_PIN


def scan_one(sohoa, folder, name="giay.png", text="Giấy xác nhận cư trú của Nguyễn Văn Bình") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    path = save(render_page([text], dpi=200, size_mm=(210, 100)), folder / name)
    (row,) = sohoa.jsonl("scan", path)
    assert row["status"] == "new"
    return row


def signatures_of(archive_dir, paper_id):
    with sqlite3.connect(archive_dir / "catalog.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM signatures WHERE paper_id = ? ORDER BY id", (paper_id,))]


def test_sign_with_a_key_file_keeps_the_copy_before_signing(sohoa, archive_dir, tmp_path, pki, key_password):
    row = scan_one(sohoa, tmp_path / "in")
    before = sohoa.json("show", row["id"])
    old_bytes = open(before["pdf_path"], "rb").read()

    out = sohoa("sign", row["id"], "--key", pki.officer.p12).stdout
    assert out.startswith(f"#{row['id']}") and "signed B-B by" in out and "Nguyễn Văn Tiếp Nhận" in out
    assert "+07:00" in out

    after = sohoa.json("show", row["id"])
    assert after["sha256"] == before["sha256"]  # the paper's identity: its original's checksum
    signed = open(after["pdf_path"], "rb").read()
    assert after["pdf_sha256"] == hashlib.sha256(signed).hexdigest() != before["pdf_sha256"]
    assert signed[:len(old_bytes)] == old_bytes  # an incremental update: the pre-signing copy is its front
    (recorded,) = signatures_of(archive_dir, row["id"])
    assert recorded["revision_size"] == len(old_bytes) and recorded["revision_sha256"] == before["pdf_sha256"]
    assert recorded["signer_serial"] == format(pki.officer.serial, "x")
    assert "Nguyễn Văn Tiếp Nhận" in recorded["signer_subject"] and "Sohoa Test Root CA" in recorded["signer_issuer"]
    assert recorded["level"] == "B-B" and recorded["signed_at"].endswith("+07:00")
    assert recorded["signed_by"] == "clerk1"

    (shown,) = after["signatures"]
    assert shown["made_here"] and shown["intact"]
    assert [e["action"] for e in sohoa.json("audit", "--paper", row["id"])][-1] == "sign"
    report = sohoa.json("check")
    assert report["ok"], report["problems"]
    assert report["signatures_verified"] == 1 and report["files_verified"] == 1
    assert not (archive_dir / before["pdf_path"]).exists()  # the old file went once the catalog moved

    verified = sohoa("verify", row["id"], "--trust", pki.root_pem).stdout.splitlines()
    assert len(verified) == 1 and verified[0].startswith("valid")


def test_b_t_with_a_time_stamp_and_a_second_signature(sohoa, archive_dir, tmp_path, pki, key_password):
    row = scan_one(sohoa, tmp_path / "in")
    done = sohoa.json("sign", row["id"], "--key", pki.officer.p12, "--tsa", pki.tsa_url)
    assert done[0]["signature"]["level"] == "B-T" and done[0]["signature"]["timestamp_at"].endswith("+07:00")
    sohoa("sign", row["id"], "--key", pki.officer.p12)  # a second officer (here the same) signs after

    report = sohoa.json("verify", row["id"], "--trust", pki.root_pem)
    assert report["valid"]
    first, second = report["signatures"]
    assert first["level"] == "B-T" and first["timestamp_ok"] and first["timestamp_at"]
    assert not first["covers_whole_file"] and not first["modified_after"]  # the second is an allowed update
    assert second["level"] == "B-B" and second["covers_whole_file"]
    assert [s["level"] for s in signatures_of(archive_dir, row["id"])] == ["B-T", "B-B"]
    assert sohoa.json("check")["signatures_verified"] == 2


def test_the_visible_signature_reads_agency_and_time_top_right(sohoa, tmp_path, pki, key_password):
    row = scan_one(sohoa, tmp_path / "in")
    sohoa("sign", row["id"], "--key", pki.officer.p12)
    path = sohoa.json("show", row["id"])["pdf_path"]
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        width, height = float(page.mediabox[2]), float(page.mediabox[3])
        (widget,) = [a for a in page.get("/Annots", []) if a.get("/FT") == "/Sig"]
        x1, y1, x2, y2 = (float(v) for v in widget.Rect)
        assert x2 > width * 0.6 and y2 > height * 0.8  # top right of page 1
        forms = [widget.AP.N, *widget.AP.N.get("/Resources", {}).get("/XObject", {}).values()]
        fonts = [f for form in forms for f in form.get("/Resources", {}).get("/Font", {}).values()]
        assert fonts
        for font in fonts:  # embedded DejaVu: it has every Vietnamese letter
            (cid_font,) = font.DescendantFonts
            assert "/FontFile2" in cid_font.FontDescriptor and "DejaVuSans" in str(font.BaseFont)
        appearance = b"".join(form.read_bytes() for form in forms)
        assert b" 10 Tf" in appearance and b"/Image" not in b"".join(
            str(x.get("/Subtype", "")).encode() for form in forms
            for x in form.get("/Resources", {}).get("/XObject", {}).values())  # ~10 pt text, no image
    # read as a person would: the stamp rendered and read back by Tesseract
    png = tmp_path / "stamp"
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", "-x", str(int(x1 * 300 / 72) - 10),
                    "-y", str(int((height - y2) * 300 / 72) - 10), "-W", str(int((x2 - x1) * 300 / 72) + 20),
                    "-H", str(int((y2 - y1) * 300 / 72) + 20), path, str(png)], check=True)
    text = subprocess.run(["tesseract", str(png) + "-1.png", "-", "-l", "vie", "--psm", "6"], capture_output=True,
                          text=True, check=True).stdout
    assert "Bến Nghé" in text and "+07:00" in text
    assert text.count("2") >= 3  # the year and the time read back


def test_wrong_or_missing_password_says_so_in_one_line(sohoa, tmp_path, pki, monkeypatch):
    row = scan_one(sohoa, tmp_path / "in")
    before = sohoa.json("show", row["id"])
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", "not it")
    result = sohoa("sign", row["id"], "--key", pki.officer.p12, expect=10)
    assert result.stderr.strip() == "sohoa: --key: wrong password for this key file"
    monkeypatch.delenv("SOHOA_KEY_PASSWORD")
    result = sohoa("sign", row["id"], "--key", pki.officer.p12, expect=2)
    assert "--password-file FILE" in result.stderr and "SOHOA_KEY_PASSWORD" in result.stderr
    assert sohoa.json("show", row["id"])["pdf_sha256"] == before["pdf_sha256"]
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", PASSWORD)
    assert sohoa("sign", row["id"], expect=2).stderr.startswith("sohoa: give the key as --key FILE.p12")
    assert "no paper 999" in sohoa("sign", "999", "--key", pki.officer.p12, expect=2).stderr


def test_password_file(sohoa, tmp_path, pki):
    row = scan_one(sohoa, tmp_path / "in")
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    assert "signed B-B" in sohoa("sign", row["id"], "--key", pki.officer.p12, "--password-file", secret).stdout


def test_sign_with_a_pkcs11_token(sohoa, tmp_path, pki, token, monkeypatch):
    row = scan_one(sohoa, tmp_path / "in")
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", "000000")
    wrong = sohoa("sign", row["id"], "--pkcs11", SOFTHSM_MODULE, "--token", TOKEN_LABEL, expect=10)
    assert wrong.stderr.strip() == "sohoa: --token: wrong PIN for the token"
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", TOKEN_PIN)
    out = sohoa("sign", row["id"], "--pkcs11", SOFTHSM_MODULE, "--token", TOKEN_LABEL, "--key-label", "officer").stdout
    assert "signed B-B by" in out and format(pki.officer.serial, "x") in out
    assert sohoa.json("verify", row["id"], "--trust", pki.root_pem)["valid"]
    missing = sohoa("sign", row["id"], "--pkcs11", SOFTHSM_MODULE, "--token", "no-such-token", expect=2)
    assert "no such token" in missing.stderr


def test_scan_sign_signs_each_new_paper(sohoa, tmp_path, pki, key_password):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(2):
        save(render_page([f"Giấy tờ số {n} của Trần Văn Cường"], dpi=200, size_mm=(210, 100)), folder / f"g{n}.png")
    rows = sohoa.jsonl("scan", folder, "--sign", "--key", pki.officer.p12, "--tsa", pki.tsa_url)
    assert [r["status"] for r in rows] == ["new", "new"]
    for r in rows:
        assert r["signature"]["level"] == "B-T" and r["pdf_path"].endswith(".s1.pdf")
        assert sohoa.json("verify", r["id"], "--trust", pki.root_pem)["valid"]
    again = sohoa.jsonl("scan", folder, "--sign", "--key", pki.officer.p12)
    assert [r["status"] for r in again] == ["skipped", "skipped"] and not any("signature" in r for r in again)
    assert "--key, --pkcs11 and --tsa go with --sign" in sohoa("scan", folder, "--key", pki.officer.p12,
                                                               expect=2).stderr


def test_scan_sign_with_a_wrong_password_reads_no_page(sohoa, archive_dir, tmp_path, pki, monkeypatch):
    monkeypatch.setenv("SOHOA_KEY_PASSWORD", "wrong")
    path = save(render_page(["Giấy tờ"], dpi=200, size_mm=(210, 100)), tmp_path / "g.png")
    result = sohoa("scan", path, "--sign", "--key", pki.officer.p12, expect=10)
    assert "wrong password" in result.stderr
    assert sohoa.json("check")["papers"] == 0


def test_interrupted_signing_with_a_software_token(sohoa, archive_dir, tmp_path, pki, token):
    """The server prepares, a client signs the digest on the officer's token, the server embeds it."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import KeyType, Mechanism, ObjectClass

    row = scan_one(sohoa, tmp_path / "in")
    actor = Actor("clerk1")
    with Archive(archive_dir) as archive:
        prepared = prepare_signing(archive, actor, row["id"], pki.officer.cert.public_bytes(serialization.Encoding.DER),
                                   tsa_url=pki.tsa_url)
    kept = prepared.to_json()  # what the server holds between the two requests

    # the clerk's PC: the token signs the attributes (SHA-256 with RSA, PKCS#1 v1.5)
    lib = pkcs11.lib(SOFTHSM_MODULE)
    with lib.get_token(token_label=TOKEN_LABEL).open(user_pin=TOKEN_PIN) as session:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label="officer")
        value = private.sign(Prepared.from_json(kept).to_sign, mechanism=Mechanism.SHA256_RSA_PKCS)

    with Archive(archive_dir) as archive:
        done = finish_signing(archive, actor, row["id"], Prepared.from_json(kept), value)
        assert done["signature"]["level"] == "B-T"
        report = verify(archive, actor, str(row["id"]), trust=[pki.root_pem])
        assert report["valid"], report
        with pytest.raises(Exception, match="changed since the signing was prepared"):
            finish_signing(archive, actor, row["id"], Prepared.from_json(kept), value)
    assert sohoa.json("check")["ok"]


def test_interrupted_signing_refuses_a_wrong_signature_value(sohoa, archive_dir, tmp_path, pki):
    from cryptography.hazmat.primitives import serialization

    from digitize.errors import Unauthorized

    row = scan_one(sohoa, tmp_path / "in")
    actor = Actor("clerk1")
    with Archive(archive_dir) as archive:
        prepared = prepare_signing(archive, actor, row["id"], pki.officer.cert.public_bytes(serialization.Encoding.DER))
        with pytest.raises(Unauthorized):
            finish_signing(archive, actor, row["id"], prepared, b"\x01" * 256)
        assert archive.catalog.signatures.of_paper(row["id"]) == []
