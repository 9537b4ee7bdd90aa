"""Signing papers' archived copies as the receiving officer (PAdES B-B, B-T), and verifying signatures.

A signed copy replaces the paper's archived copy (digitize.versions): its identity stays the SHA-256
of its original, the catalog records the new file's checksum, and the copy as it was before signing
is the front of the signed file (the signature is an incremental update), its size and checksum
recorded with the signature. The act is in the audit log.

Trust roots for verification: the files given (`--trust`), else the PEM/DER files in ARCHIVE/trust/.

For a server (issue 16): `sign_paper` with a server-held key opened by `Key.open`; for an officer's
USB token at the clerk's PC, `prepare_signing` (the digest and attributes to sign, as JSON the server
keeps) then `finish_signing` (the token's signature value embedded, recorded like any signature);
`sign_at_server` is that PC's side, over the server's API.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from digitize import audit
from digitize import signatures as sig
from digitize.archive import Archive
from digitize.errors import ArchiveError, BadArgument, Forbidden, InputError, NotFound, SignatureInvalid, SohoaError
from digitize.errors import TooManyAttempts, Unauthorized
from digitize.services.access import require
from digitize.services.actor import Actor
from digitize.services.common import paper
from digitize.versions import current_copy, replace_copy


@dataclass
class Key:
    """Where the officer's key is: a PKCS#12 file, or a PKCS#11 token (`pkcs11` module, `token`
    label, `key_label`); `password` unlocks either (the file's password, the token's PIN)."""

    p12: Path | None = None
    pkcs11: str | None = None
    token: str | None = None
    key_label: str | None = None
    password: str | None = None

    def __post_init__(self):
        if (self.p12 is None) == (self.pkcs11 is None):
            raise BadArgument("give the key as {key:FILE.p12} or as {pkcs11:MODULE} {token:LABEL}", field="key")
        if self.pkcs11 is not None and not self.token:
            raise BadArgument("{pkcs11} needs {token:LABEL}", field="token")

    @contextmanager
    def open(self) -> Iterator:
        """The signer, ready while in use (a token's session is closed after)."""
        if self.p12 is not None:
            yield sig.load_p12(self.p12, self.password)
            return
        with sig.pkcs11_signer(self.pkcs11, self.token, self.password, self.key_label) as signer:
            yield signer


def read_password(password_file: Path | None) -> str | None:
    """The key's password from `password_file` (its first line), else SOHOA_KEY_PASSWORD; None: ask."""
    if password_file is not None:
        try:
            return Path(password_file).read_text(encoding="utf-8").splitlines()[0] if Path(password_file).stat().st_size \
                else ""
        except OSError as exc:
            raise InputError("{password_file} {value}: cannot be read ({why})", field="password_file",
                             value=str(password_file), why=exc.strerror) from None
    return os.environ.get("SOHOA_KEY_PASSWORD")


def open_server_key(p12: Path, password_file: Path | None = None):
    """A server's signer from its key file, opened once (a wrong password fails here, before serving)."""
    key = Key(p12=Path(p12), password=read_password(password_file))
    with key.open() as signer:  # a key file's signer needs no session kept open
        return signer


def sign(archive: Archive, actor: Actor, paper_ids: list[int], key: Key, tsa_url: str | None = None) -> list[dict]:
    """Sign each paper's archived copy with the officer's key: one row per paper (see `sign_paper`)."""
    require(actor, "sign")
    for paper_id in paper_ids:
        paper(archive, actor, paper_id)  # every id known before the key is asked for its first signature
    with key.open() as signer:
        return [sign_paper(archive, actor, paper_id, signer, tsa_url) for paper_id in paper_ids]


def sign_paper(archive: Archive, actor: Actor, paper_id: int, signer, tsa_url: str | None = None) -> dict:
    """Sign one paper's copy with an open signer: {id, pdf_path, pdf_sha256, signature: {...}}."""
    require(actor, "sign")
    found = paper(archive, actor, paper_id)
    with current_copy(archive, found) as source, archive.work_dir("sign-") as work:
        out = work / "signed.pdf"
        signed = sig.sign_file(source, out, signer, tsa_url=tsa_url)
        return _record(archive, actor, found, out, signed)


def _record(archive: Archive, actor: Actor, found: dict, out: Path, signed: sig.Signed) -> dict:
    catalog = archive.catalog
    count = len(catalog.signatures.of_paper(found["id"])) + 1

    def record(digest: str) -> None:
        signed.pdf_sha256 = digest
        catalog.signatures.add(found["id"], signed.to_json(), actor.name)
        audit.log(catalog, actor, "sign", paper_id=found["id"],
                  detail=f"{signed.level} {signed.signer_subject} (serial {signed.signer_serial})")

    relative, digest = replace_copy(archive, found, out, f"s{count}", record)
    return {"id": found["id"], "pdf_path": archive.paper_files.where(relative), "pdf_sha256": digest,
            "signature": signed.to_json()}


# -- the interrupted flow, for a server ------------------------------------------------------------
def prepare_signing(archive: Archive, actor: Actor, paper_id: int, certificate_der: bytes,
                    tsa_url: str | None = None) -> sig.Prepared:
    """Step 1: the paper's copy with the signature's place reserved; `.to_sign` goes to the token,
    `.to_json()` is what the server keeps until the signature value comes back."""
    require(actor, "sign")
    found = paper(archive, actor, paper_id)
    with current_copy(archive, found) as source:
        return sig.prepare(source, certificate_der, tsa_url=tsa_url)


def finish_signing(archive: Archive, actor: Actor, paper_id: int, prepared: sig.Prepared,
                   signature_value: bytes) -> dict:
    """Step 2: embed the token's signature value and record it, as `sign_paper` does. Refused when
    the copy changed since step 1 (another signature came first): prepare again."""
    require(actor, "sign")
    found = paper(archive, actor, paper_id)
    from digitize.intake import sha256_file

    with current_copy(archive, found) as source:
        now = sha256_file(source)
    if now != prepared.revision_sha256:
        raise BadArgument("paper {paper_id}'s copy changed since the signing was prepared; prepare it again",
                          field="paper_id", paper_id=paper_id)
    with archive.work_dir("sign-") as work:
        out = work / "signed.pdf"
        signed = sig.finish(prepared, signature_value, out)
        return _record(archive, actor, found, out, signed)


# -- the clerk's PC: the interrupted flow over a server's API --------------------------------------
# Errors that are not about one paper: no point asking the server about the next one.
_STOPS = (Unauthorized, Forbidden, TooManyAttempts, ArchiveError)


def read_api_token(token_file: Path | None) -> str:
    """The API token from `token_file`'s first line, else env SOHOA_TOKEN."""
    if token_file is not None:
        try:
            return Path(token_file).read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError) as exc:
            raise BadArgument("{api_token_file} {value}: cannot read the token ({why})", field="api_token_file",
                              value=str(token_file), why=getattr(exc, "strerror", None) or "empty file") from None
    token = os.environ.get("SOHOA_TOKEN", "").strip()
    if not token:
        raise BadArgument("no API token for the server: give {api_token_file:FILE} or set SOHOA_TOKEN",
                          field="api_token_file")
    return token


def sign_at_server(server_url: str, api_token: str, paper_ids: list[int], key: Key,
                   tsa_url: str | None = None) -> Iterator[tuple[int, dict | SohoaError]]:
    """Sign papers archived on a server with the officer's token here: per paper, the server
    prepares (POST …/sign/prepare with the token's certificate), the token signs what it gives, the
    server embeds it (…/sign/finish). Yields (id, the signature record) or (id, the error) per paper;
    an error that is not about one paper (the API token refused, the server unreachable) is raised."""
    import base64

    from digitize.remote import Server

    server = Server(server_url, api_token)
    with key.open() as signer:  # the PIN is checked once, before the first paper
        certificate = sig.certificate_pem(signer)
        for paper_id in paper_ids:
            try:
                prepared = server.post(f"/papers/{paper_id}/sign/prepare",
                                       {"certificate": certificate, **({"tsa": tsa_url} if tsa_url else {})})
                try:
                    to_sign, signing_id = base64.b64decode(prepared["to_sign"]), prepared["signing_id"]
                except (KeyError, TypeError, ValueError):
                    raise ArchiveError(f"the server {server.url} answered the prepare step without what "
                                       "to sign; is it a Sohoa server of this version?") from None
                value = sig.sign_attributes(signer, to_sign)
                done = server.post(f"/papers/{paper_id}/sign/finish", {
                    "signing_id": signing_id, "signature": base64.b64encode(value).decode()})
            except _STOPS:
                raise
            except SohoaError as exc:
                yield paper_id, exc
                continue
            yield paper_id, done


# -- verification -------------------------------------------------------------------------------
def trust_files(archive: Archive, given: list[Path] | tuple = ()) -> list[Path]:
    if given:
        return list(given)
    folder = archive.root / "trust"
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".pem", ".crt", ".cer", ".der")) \
        if folder.is_dir() else []


def verify(archive: Archive, actor: Actor, target: str, trust: list[Path] | tuple = (), fetch: bool = True) -> dict:
    """The signatures of paper `target` (an id) or of a PDF file: {paper_id, file, valid, trust,
    signatures: [Check]}. `valid` only when there is at least one and all are valid."""
    require(actor, "verify")
    with _target(archive, actor, target) as (paper_id, path, shown):
        roots = trust_files(archive, trust)
        checks = sig.verify_file(path, sig.trust_roots(roots), fetch=fetch)
    return {"paper_id": paper_id, "file": shown, "trust": [str(p) for p in roots],
            "valid": bool(checks) and all(c.valid for c in checks),
            "signatures": [c.to_json() for c in checks]}


@contextmanager
def _target(archive: Archive, actor: Actor, target: str) -> Iterator[tuple[int | None, Path, str]]:
    """(paper id or None, a local path to read, the file as shown) of a paper ID or a PDF file."""
    path = Path(target)
    if path.suffix.lower() == ".pdf" or path.exists():
        if not path.is_file():
            raise InputError(f"{target}: no such file; give a paper ID or a PDF file")
        yield None, path, str(path)
        return
    try:
        paper_id = int(target)
    except ValueError:
        raise BadArgument("{value!r} is neither a paper ID nor a PDF file", field="target", value=target) from None
    found = paper(archive, actor, paper_id)
    with archive.paper_files.local_path(found["pdf_path"]) as path:
        yield paper_id, path, archive.paper_files.where(found["pdf_path"])


def require_valid(report: dict) -> None:
    """SignatureInvalid unless every signature of the report verifies."""
    if report["valid"]:
        return
    what = f"paper {report['paper_id']}" if report["paper_id"] is not None else report["file"]
    if not report["signatures"]:
        raise SignatureInvalid(f"{what}: has no digital signature")
    bad = [s for s in report["signatures"] if not s["valid"]]
    raise SignatureInvalid(f"{what}: {len(bad)} of {len(report['signatures'])} signature(s) not valid: "
                           + "; ".join(f"{s['field_name']}: {s['reason']}" for s in bad))


def shown_signatures(archive: Archive, paper_row: dict) -> list[dict]:
    """What `show` lists of a paper's signatures: each one in its file, checked against the
    archive's trust roots without fetching revocation lists (show stays offline and quick; verify
    fetches them), with what the catalog recorded of those made here."""
    try:
        with archive.paper_files.local_path(paper_row["pdf_path"]) as path:
            if not sig.might_be_signed(path):
                return []
            checks = sig.verify_file(path, sig.trust_roots(trust_files(archive)), fetch=False)
    except (InputError, NotFound, FileNotFoundError):  # a missing file is sohoa check's to report
        return []
    made = {s["field_name"]: s for s in archive.catalog.signatures.of_paper(paper_row["id"])}
    return [{**c.to_json(), "made_here": c.field_name in made,
             "signed_by": made.get(c.field_name, {}).get("signed_by")} for c in checks]


# -- the interrupted flow kept by a server between its two requests ---------------------------------
PREPARED_SECONDS = 15 * 60  # a prepared signing not finished by then is refused


def _prepared_file(archive: Archive, signing_id: str) -> Path:
    if not signing_id or not all(c in "0123456789abcdef" for c in signing_id) or len(signing_id) != 32:
        raise BadArgument("{signing_id} is not one this server gave", field="signing_id")
    return archive.root / "tmp" / "signing" / f"{signing_id}.json"


def prepare_kept(archive: Archive, actor: Actor, paper_id: int, certificate_pem: str,
                 tsa_url: str | None = None) -> dict:
    """`prepare_signing` for a server: kept under tmp/signing/ for PREPARED_SECONDS; {signing_id, to_sign (base64), expires_in}."""
    import base64
    import json
    import uuid

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(Encoding.DER)
    except ValueError:
        raise BadArgument("{certificate} is not a PEM certificate", field="certificate") from None
    prepared = prepare_signing(archive, actor, paper_id, der, tsa_url=tsa_url)
    signing_id = uuid.uuid4().hex
    path = _prepared_file(archive, signing_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"paper_id": paper_id, "actor": actor.name, "prepared": prepared.to_json()}),
                    encoding="utf-8")
    return {"signing_id": signing_id, "paper_id": paper_id, "to_sign": base64.b64encode(prepared.to_sign).decode(),
            "expires_in": PREPARED_SECONDS}


def finish_kept(archive: Archive, actor: Actor, paper_id: int, signing_id: str, signature_b64: str) -> dict:
    """`finish_signing` of a signing `prepare_kept` kept: the signature record; a wrong value is SignatureInvalid."""
    import base64
    import binascii
    import json
    import time

    from digitize.errors import Unauthorized

    path = _prepared_file(archive, signing_id)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        fresh = time.time() - path.stat().st_mtime < PREPARED_SECONDS
    except OSError:
        kept, fresh = None, False
    if not kept or not fresh or kept["paper_id"] != paper_id or kept["actor"] != actor.name:
        raise NotFound("no signing {signing_id} of paper {paper_id} prepared by you in the last 15 minutes",
                       field="signing_id", signing_id=signing_id, paper_id=paper_id)
    try:
        value = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadArgument("{signature} is not base64", field="signature") from None
    try:
        done = finish_signing(archive, actor, paper_id, sig.Prepared.from_json(kept["prepared"]), value)
    except Unauthorized as exc:  # over HTTP a wrong value is not a login problem
        raise SignatureInvalid(str(exc), field="signature") from None
    path.unlink(missing_ok=True)
    return done
