"""`sohoa verify` and the signature checks of `sohoa check` and `show`: integrity, the chain to a
trust root, validity at signing time, revocation (the CRL fetched from the CA's localhost service),
the time stamp; a signed PDF brought from elsewhere archived as it is."""

from __future__ import annotations

import shutil

from digitize import signatures
from samples.render import render_page, save
from tests.pki import PASSWORD


def signed_paper(sohoa, tmp_path, pki, who="officer", *extra) -> dict:
    folder = tmp_path / f"in-{who}"
    folder.mkdir()
    path = save(render_page([f"Giấy tờ ký bởi {who}"], dpi=200, size_mm=(210, 100)), folder / "g.png")
    (row,) = sohoa.jsonl("scan", path)
    sohoa("sign", row["id"], "--key", getattr(pki, who).p12, *extra)
    return sohoa.json("show", row["id"])


def flip_byte(path, offset: int) -> None:
    data = bytearray(open(path, "rb").read())
    data[offset] ^= 0x01
    open(path, "wb").write(bytes(data))


def in_the_scan(path) -> int:
    """An offset inside the page image's data: the file still parses, what it shows changed."""
    data = open(path, "rb").read()
    return data.index(b"stream", data.index(b"/Image")) + 200


def test_a_valid_signature_verifies_with_its_root(sohoa, tmp_path, pki, key_password):
    paper = signed_paper(sohoa, tmp_path, pki, "officer", "--tsa", pki.tsa_url)
    result = sohoa("verify", paper["id"], "--trust", pki.root_pem)
    (line,) = result.stdout.splitlines()
    assert line.startswith("valid   SohoaSignature1  B-T") and "time-stamped" in line and "+07:00" in line
    report = sohoa.json("verify", paper["id"], "--trust", pki.root_pem)
    (s,) = report["signatures"]
    assert report["valid"] and s["intact"] and s["trusted"] and not s["revoked"] and s["timestamp_ok"]
    assert report["file"] == paper["pdf_path"]
    # the file itself, from outside the archive
    copy = tmp_path / "copy.pdf"
    shutil.copy(paper["pdf_path"], copy)
    assert sohoa.json("verify", copy, "--trust", pki.root_pem)["valid"]


def test_untrusted_without_the_root_and_trusted_from_the_archives_folder(sohoa, archive_dir, tmp_path, pki,
                                                                          key_password):
    paper = signed_paper(sohoa, tmp_path, pki)
    result = sohoa("verify", paper["id"], expect=13)
    assert "INVALID" in result.stdout and "no chain to a trusted root" in result.stdout
    assert result.stderr.strip().startswith(f"sohoa: paper {paper['id']}: 1 of 1 signature(s) not valid")
    wrong_root = sohoa("verify", paper["id"], "--trust", pki.folder / "other-root.pem", expect=13)
    assert "no chain to a trusted root" in wrong_root.stdout
    (archive_dir / "trust").mkdir()
    shutil.copy(pki.root_pem, archive_dir / "trust" / "root.pem")
    assert sohoa("verify", paper["id"]).stdout.startswith("valid")
    (shown,) = sohoa.json("show", paper["id"])["signatures"]
    assert shown["valid"] and shown["made_here"] and shown["signed_by"] == "clerk1"
    assert "; valid" in sohoa("show", paper["id"]).stdout


def test_a_byte_changed_after_signing_is_caught_by_verify_and_check(sohoa, tmp_path, pki, key_password):
    paper = signed_paper(sohoa, tmp_path, pki)
    flip_byte(paper["pdf_path"], in_the_scan(paper["pdf_path"]))
    result = sohoa("verify", paper["id"], "--trust", pki.root_pem, expect=13)
    assert "changed after signing" in result.stdout and result.stderr.count("\n") == 1
    report = sohoa.json("check", expect=1)
    kinds = {p["kind"] for p in report["problems"]}
    assert {"bad-checksum", "bad-signature"} <= kinds
    bad = next(p for p in report["problems"] if p["kind"] == "bad-signature")
    assert bad["paper_id"] == paper["id"] and "changed after signing" in bad["detail"]
    assert "bad-signature" in sohoa("check", expect=1).stdout


def test_a_file_broken_after_signing_is_no_valid_signature(sohoa, tmp_path, pki, key_password):
    paper = signed_paper(sohoa, tmp_path, pki)
    data = open(paper["pdf_path"], "rb").read()
    flip_byte(paper["pdf_path"], data.index(b"/ByteRange") + 2)  # the signature's own dictionary
    result = sohoa("verify", paper["id"], "--trust", pki.root_pem, expect=13)
    assert result.stderr.startswith("sohoa: ") and result.stderr.count("\n") == 1
    assert "bad-signature" in {p["kind"] for p in sohoa.json("check", expect=1)["problems"]}


def test_expired_and_revoked_certificates_fail_with_their_reason(sohoa, tmp_path, pki, key_password):
    expired = signed_paper(sohoa, tmp_path, pki, "expired")
    result = sohoa("verify", expired["id"], "--trust", pki.root_pem, expect=13)
    assert "INVALID" in result.stdout and "not valid at the signing time" in result.stdout
    revoked = signed_paper(sohoa, tmp_path, pki, "revoked")
    report = sohoa.json("verify", revoked["id"], "--trust", pki.root_pem, expect=13)
    (s,) = report["signatures"]
    assert s["revoked"] and not s["valid"] and "the certificate is revoked" in s["reason"]
    # neither is damage to the archive: the copies are whole
    assert sohoa.json("check")["ok"]


def test_nothing_to_verify(sohoa, tmp_path):
    path = save(render_page(["Giấy tờ chưa ký"], dpi=200, size_mm=(210, 100)), tmp_path / "g.png")
    (row,) = sohoa.jsonl("scan", path)
    result = sohoa("verify", row["id"], expect=13)
    assert result.stdout == "" and result.stderr.strip() == f"sohoa: paper {row['id']}: has no digital signature"
    assert "no such file" in sohoa("verify", tmp_path / "missing.pdf", expect=3).stderr
    assert "neither a paper ID nor a PDF file" in sohoa("verify", "abc", expect=2).stderr
    bad_root = tmp_path / "not-a-cert.pem"
    bad_root.write_text("hello")
    assert "not a certificate" in sohoa("verify", row["id"], "--trust", bad_root, expect=3).stderr


def test_a_signed_pdf_brought_in_is_archived_as_it_is(sohoa, archive_dir, tmp_path, pki):
    """An image-only PDF signed by another system: OCR'd for search, but its file kept byte for byte
    (pages of our own would void the signature)."""
    scan = tmp_path / "scan.pdf"
    render_page(["GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "Người sử dụng đất: Phạm Thị Lan"], dpi=200,
                size_mm=(210, 100)).convert("RGB").save(scan, resolution=200.0)
    brought = tmp_path / "signed-elsewhere.pdf"
    signatures.sign_file(scan, brought, signatures.load_p12(pki.stranger.p12, PASSWORD))

    (row,) = sohoa.jsonl("scan", brought)
    assert row["status"] == "new"
    paper = sohoa.json("show", row["id"])
    assert open(paper["pdf_path"], "rb").read() == brought.read_bytes()
    assert paper["kept_as_is"] and paper["text_chars"] > 20 and "Lan" in sohoa("text", row["id"]).stdout
    (s,) = paper["signatures"]
    assert s["intact"] and not s["made_here"] and "Người Lạ" in s["signer_subject"]
    assert not s["trusted"]  # its CA is not among the archive's roots
    assert "the original file as it came" in sohoa("show", row["id"]).stdout
    assert sohoa.json("verify", row["id"], "--trust", pki.folder / "other-root.pem")["valid"]
    report = sohoa.json("check")
    assert report["ok"] and report["signatures_verified"] == 1
