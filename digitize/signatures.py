"""Digital signatures on archive PDFs (PAdES, with pyHanko): sign, verify, and the interrupted flow.

A signature is an incremental update: the bytes before it stay as they were, so the copy as it was
before signing (and its checksum) can still be read off the front of the signed file. The visible
signature is text at the top right of page 1, as Decree 30/2020 describes an agency's signature on a
copy: the agency's name and the signing time in ISO 8601 with Vietnam's offset, in an embedded
DejaVu font (it has every Vietnamese letter), no image.

Levels: PAdES baseline B-B, and B-T when a time-stamping authority (RFC 3161) stamps the signature.

The interrupted flow (a personal USB token at the clerk's PC, the PDF on the server): `prepare`
reserves the signature's place and returns what the token must sign (`Prepared.to_sign`, the DER
of the CMS signed attributes), `finish` embeds the token's raw signature value. `Prepared` goes to
and from JSON, so a server can keep it between the two requests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from digitize.errors import BadArgument, InputError, MissingDependency, SignatureInvalid, Unauthorized, one_line

VIETNAM = timezone(timedelta(hours=7), "ICT")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core
FONT_SIZE = 10
STAMP_SIZE = (230, 46)  # points: two lines of 10 pt text in a thin frame
MARGIN = 18  # points from the page's top and right edges
FIELD_PREFIX = "SohoaSignature"
DIGEST = "sha256"

# pyHanko reports what it finds odd in a PDF on its loggers; Sohoa says what matters in one line.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko").propagate = False
logging.getLogger("pyhanko_certvalidator").propagate = False
logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" as the stamp's font is subset


def now_vietnam() -> datetime:
    return datetime.now(VIETNAM).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    """A moment in ISO 8601 with Vietnam's offset (2026-03-05T09:41:00+07:00)."""
    return None if moment is None else moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


# -- keys ------------------------------------------------------------------------------------------
def load_p12(path: Path, password: str | None):
    """A signer from a PKCS#12 file (.p12/.pfx): Unauthorized for a wrong password."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign import signers

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError("{key}: cannot be read ({why}); check the path", field="key", value=str(path),
                         why=exc.strerror) from None
    secret = password.encode("utf-8") if password else None
    try:
        pkcs12.load_key_and_certificates(data, secret)  # says a wrong password apart from a bad file
    except ValueError as exc:
        if "password" in str(exc).lower() or "mac" in str(exc).lower():
            raise Unauthorized("{key}: wrong password for this key file", field="key") from None
        raise InputError("{key}: not a PKCS#12 key file (.p12/.pfx) ({why})", field="key",
                         why=" ".join(str(exc).split())[:120]) from None
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=secret)
    if signer is None or signer.signing_cert is None:
        raise InputError("{key}: holds no private key with its certificate", field="key")
    return signer


@contextmanager
def pkcs11_signer(module: str, token: str, pin: str | None, key_label: str | None = None) -> Iterator:
    """A signer on a PKCS#11 token (an officer's USB token; SoftHSM2 in the tests), its session open
    while in use. The certificate is the one stored under the key's label (or the token's only one)."""
    from pyhanko.sign import pkcs11 as p11
    from pyhanko.config.pkcs11 import TokenCriteria

    if not Path(module).exists():
        raise MissingDependency("{pkcs11} {value}: no such PKCS#11 module; install the token's driver",
                                field="pkcs11", value=module)
    try:
        session = p11.open_pkcs11_session(module, token_criteria=TokenCriteria(label=token), user_pin=pin)
    except Exception as exc:
        text = " ".join(str(exc).split())
        if "PIN" in text.upper() or type(exc).__name__ in ("PinIncorrect", "PinLenRange", "PinInvalid"):
            raise Unauthorized("{token}: wrong PIN for the token", field="token") from None
        if "No token" in text:
            raise BadArgument("{token} {value!r}: no such token is plugged in", field="token", value=token) from None
        raise InputError(f"the PKCS#11 token cannot be opened ({type(exc).__name__} {text[:120]})") from None
    try:
        try:
            signer = p11.PKCS11Signer(session, cert_label=key_label, key_label=key_label)
            signer.signing_cert  # fetched lazily: a missing certificate is said here, not mid-signing
        except Exception as exc:
            raise BadArgument("{key_label}: no key with its certificate on the token ({why})", field="key_label",
                              why=" ".join(str(exc).split())[:120]) from None
        yield signer
    finally:
        session.close()


# -- signing ---------------------------------------------------------------------------------------
@dataclass
class Signed:
    """What the catalog records of a signature made here."""

    field_name: str
    signer_subject: str
    signer_serial: str  # hex, as certificates show it
    signer_issuer: str
    signer_organization: str | None
    signed_at: str  # ISO 8601, +07:00
    level: str  # B-B | B-T
    timestamp_at: str | None
    revision_size: int  # bytes of the copy before signing, the front of the signed file
    revision_sha256: str  # their SHA-256: the pre-signing copy's checksum
    pdf_sha256: str  # of the signed file

    def to_json(self) -> dict:
        return asdict(self)


def agency_of(cert) -> str:
    """The name a signature shows: the certificate's organization (the agency), else its holder."""
    subject = cert.subject.native
    return subject.get("organization_name") or subject.get("common_name") or cert.subject.human_friendly


def stamp_text(agency: str, moment: datetime) -> str:
    return f"Ký bởi: {agency}\nThời gian ký: {iso(moment)}"


# Latin, its accents and Vietnamese's own letters, combining marks, punctuation
_STAMP_CHARS = [*range(0x20, 0x250), *range(0x300, 0x370), *range(0x1EA0, 0x1F00), *range(0x2000, 0x2070)]


def stamp_font() -> Path:
    """DejaVu Sans cut to the letters a stamp needs, at 1000 units per em, made once and kept in the
    temporary folder. pyHanko writes glyph widths in font units as if every font had 1000 per em;
    DejaVu has 2048, which would space the letters twice too wide and make the widths disagree
    with the embedded font (a PDF/A fault)."""
    import os
    import tempfile

    if not FONT.exists():
        raise MissingDependency(f"{FONT}: the signature's font is missing; install fonts-dejavu-core")
    made = Path(tempfile.gettempdir()) / f"sohoa-stamp-font-{FONT.stat().st_size}-{int(FONT.stat().st_mtime)}.ttf"
    if made.exists():
        return made
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(str(FONT))
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = ["*"], ["*"], True
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=_STAMP_CHARS)
    cutter.subset(font)
    scale_upem(font, 1000)
    fd, tmp = tempfile.mkstemp(dir=made.parent, suffix=".ttf")
    with os.fdopen(fd, "wb") as f:
        font.save(f)
    os.replace(tmp, made)  # two processes at once: either's file is the same font
    return made


def _timestamper(tsa_url: str | None):
    if not tsa_url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(tsa_url, timeout=30)


def _next_field(reader) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    names = {name for name, *_ in enumerate_sig_fields(reader, filled_status=None)}
    n = 1
    while f"{FIELD_PREFIX}{n}" in names:
        n += 1
    return f"{FIELD_PREFIX}{n}"


def _top_right(reader, order: int) -> tuple[float, float, float, float]:
    """The stamp's box on page 1, top right; a second signature goes under the first."""
    page = reader.root["/Pages"]
    first = page
    while "/Kids" in first:
        first = first["/Kids"][0]
    box = [float(v) for v in (first.get("/CropBox") or first.get("/MediaBox") or _inherited(first, "/MediaBox"))]
    width, height = STAMP_SIZE
    right, top = box[2] - MARGIN, box[3] - MARGIN - (order - 1) * (height + 6)
    return (max(box[0], right - width), max(box[1], top - height), right, top)


def _inherited(node, key):
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return [0, 0, 595, 842]


def _pdf_signer(reader, signer, tsa_url: str | None, moment: datetime, agency: str | None):
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    name = _next_field(reader)
    order = int(name[len(FIELD_PREFIX):])
    style = TextStampStyle(
        stamp_text=stamp_text(agency or agency_of(signer.signing_cert), moment),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(stamp_font()), font_size=FONT_SIZE),
                                    font_size=FONT_SIZE),
        border_width=1, background=None)
    meta = signers.PdfSignatureMetadata(
        field_name=name, md_algorithm=DIGEST, subfilter=fields.SigSeedSubFilter.PADES,
        location="Việt Nam", reason="Chứng thực bản số hóa từ bản giấy (Nghị định 107/2021/NĐ-CP)")
    spec = fields.SigFieldSpec(sig_field_name=name, on_page=0, box=_top_right(reader, order))
    return signers.PdfSigner(meta, signer=signer, timestamper=_timestamper(tsa_url), stamp_style=style,
                             new_field_spec=spec), name


def sign_file(source: Path, target: Path, signer, tsa_url: str | None = None, agency: str | None = None) -> Signed:
    """Sign `source` into `target` (an incremental update of it) with `signer`; B-T with `tsa_url`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    data = Path(source).read_bytes()
    moment = now_vietnam()
    with _pyhanko_errors(source, tsa_url):
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer, name = _pdf_signer(writer.prev, signer, tsa_url, moment, agency)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
    signed = out.getvalue()
    Path(target).write_bytes(signed)
    return _described(signed, name, data, signer.signing_cert, moment)


def _described(signed: bytes, name: str, before: bytes, cert, moment: datetime) -> Signed:
    found = next((s for s in _embedded(signed) if s.field_name == name), None)
    stamp = _stamp_token(found) if found is not None else None
    return Signed(
        field_name=name, signer_subject=cert.subject.human_friendly, signer_serial=format(cert.serial_number, "x"),
        signer_issuer=cert.issuer.human_friendly, signer_organization=cert.subject.native.get("organization_name"),
        signed_at=iso(moment), level="B-T" if stamp is not None else "B-B",
        timestamp_at=iso(_stamp_time(stamp)) if stamp is not None else None,
        revision_size=len(before), revision_sha256=hashlib.sha256(before).hexdigest(),
        pdf_sha256=hashlib.sha256(signed).hexdigest())


def _stamp_token(sig):
    """The RFC 3161 token over the signature (B-T), if any."""
    for attr in sig.signer_info["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]
    return None


def _stamp_time(token) -> datetime | None:
    try:
        return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:
        return None


def _embedded(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures


@contextmanager
def _pyhanko_errors(source, tsa_url: str | None = None):
    """pyHanko's exceptions about the file or the time stamp, as one line a user can act on."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.general import SigningError

    try:
        yield
    except (BadArgument, InputError, MissingDependency, Unauthorized):
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:200]
        if tsa_url and ("timestamp" in text.lower() or "tsa" in text.lower() or _network(exc)):
            raise InputError("{tsa} {value}: no time stamp from this service ({why}); check the URL or sign "
                             "without it (B-B)", field="tsa", value=tsa_url, why=text) from None
        if isinstance(exc, (PdfError, SigningError)):
            raise InputError(f"{source}: cannot be signed ({text})") from None
        raise


def _network(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, OSError) or "ClientConnector" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# -- the interrupted flow ---------------------------------------------------------------------------
@dataclass
class Prepared:
    """A PDF with a signature's place reserved, waiting for the token's signature value."""

    field_name: str
    signed_at: str
    certificate: str  # the signer's, base64 DER
    pdf: str  # base64 of the prepared file (placeholder in it)
    document_digest: str  # hex
    reserved_start: int
    reserved_end: int
    signed_attrs: str  # base64 DER of what the token signs
    revision_sha256: str
    revision_size: int
    tsa_url: str | None = None

    @property
    def to_sign(self) -> bytes:
        """The bytes the token signs (with SHA-256 and its key): the CMS signed attributes, DER."""
        return base64.b64decode(self.signed_attrs)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Prepared":
        return cls(**json.loads(text))


def certificate_pem(signer) -> str:
    """The signer's certificate as PEM, as a server's prepare step takes it."""
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", signer.signing_cert.dump()).decode()


def sign_attributes(signer, to_sign: bytes) -> bytes:
    """Between the steps, at the clerk's PC: the token's signature value of `Prepared.to_sign`
    (SHA-256 with its key, as `finish` expects)."""
    try:
        return asyncio.run(signer.async_sign_raw(to_sign, DIGEST))
    except Exception as exc:  # python-pkcs11's (a token pulled out, a session closed): one line
        raise InputError(f"the token did not sign ({type(exc).__name__} {one_line(exc)}); plug it in and "
                         "try again") from None


def _certificate(der: bytes):
    from asn1crypto import x509

    return x509.Certificate.load(der)


def prepare(source: Path, certificate_der: bytes, tsa_url: str | None = None, agency: str | None = None) -> Prepared:
    """Step 1 on the server: the document digest and the attributes for the token to sign."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = _certificate(certificate_der)
    data = Path(source).read_bytes()
    moment = now_vietnam()
    with _pyhanko_errors(source, tsa_url):
        ext = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs([cert]), signature_value=512)
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer, name = _pdf_signer(writer.prev, ext, None, moment, agency)
        # room for the token's signature, the chain and a time stamp added in step 2
        prep_digest, _tbs, output = asyncio.run(pdf_signer.async_digest_doc_for_signing(writer, bytes_reserved=16384))
        attrs = asyncio.run(ext.signed_attrs(prep_digest.document_digest, DIGEST, use_pades=True,
                                             timestamper=None))
    return Prepared(
        field_name=name, signed_at=iso(moment), certificate=base64.b64encode(certificate_der).decode(),
        pdf=base64.b64encode(output.getvalue()).decode(), document_digest=prep_digest.document_digest.hex(),
        reserved_start=prep_digest.reserved_region_start, reserved_end=prep_digest.reserved_region_end,
        signed_attrs=base64.b64encode(attrs.dump()).decode(), revision_sha256=hashlib.sha256(data).hexdigest(),
        revision_size=len(data), tsa_url=tsa_url)


def finish(prepared: Prepared, signature_value: bytes, target: Path) -> Signed:
    """Step 2 on the server: embed the token's signature (and the TSA's stamp over it, for B-T)."""
    from asn1crypto import cms
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = base64.b64decode(prepared.certificate)
    cert = _certificate(der)
    ext = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs([cert]), signature_value=signature_value)
    attrs = cms.CMSAttributes.load(prepared.to_sign)
    digest = PreparedByteRangeDigest(bytes.fromhex(prepared.document_digest), prepared.reserved_start,
                                     prepared.reserved_end)
    output = io.BytesIO(base64.b64decode(prepared.pdf))
    with _pyhanko_errors("the prepared document", prepared.tsa_url):
        sig_cms = asyncio.run(ext.async_sign_prescribed_attributes(
            DIGEST, signed_attrs=attrs, timestamper=_timestamper(prepared.tsa_url)))
        asyncio.run(PdfTBSDocument.async_finish_signing(output, digest, sig_cms))
    signed = output.getvalue()
    if not verify_bytes(signed, trust=[], fetch=False)[-1].intact:
        raise Unauthorized("the signature value does not match the prepared document or the certificate; "
                           "sign the prepared digest again with the token")
    Path(target).write_bytes(signed)
    before = signed[:prepared.revision_size]
    return _described(signed, prepared.field_name, before, cert, datetime.fromisoformat(prepared.signed_at))


# -- verification ----------------------------------------------------------------------------------
@dataclass
class Check:
    """One signature's verdict: `valid` only if intact, covering its revision with nothing but
    allowed changes after it, trusted to a root, valid at signing time, not revoked, and its time
    stamp (if any) sound."""

    field_name: str
    signer_subject: str
    signer_serial: str
    signer_issuer: str
    signed_at: str | None  # the time the signer claims, or the time stamp's
    level: str
    intact: bool  # the signed bytes are unchanged
    trusted: bool  # a chain to a trust root, valid at signing time
    revoked: bool
    timestamp_at: str | None
    timestamp_ok: bool | None  # None: no time stamp
    covers_whole_file: bool  # nothing was added after it (else: only allowed later revisions)
    modified_after: bool  # later revisions change more than signatures and their fields
    revision_size: int  # bytes this signature covers, the copy as it was signed
    valid: bool
    reason: str  # why not valid; "" when valid
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def trust_roots(paths) -> list:
    """Trust roots (PEM or DER files, a PEM may hold several) as asn1crypto certificates."""
    from asn1crypto import pem, x509

    roots = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError("{trust} {value}: cannot be read ({why})", field="trust", value=str(path),
                             why=exc.strerror) from None
        try:
            if pem.detect(data):
                roots += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
            else:
                roots.append(x509.Certificate.load(data))
                roots[-1].native  # parses it all: a file that is no certificate is said here
        except Exception:
            raise InputError("{trust} {value}: not a certificate (PEM or DER)", field="trust",
                             value=str(path)) from None
    return roots


def verify_file(path: Path, trust: list, fetch: bool = True) -> list[Check]:
    from pyhanko.pdf_utils.misc import PdfError

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return verify_bytes(data, trust, fetch)
    except PdfError as exc:  # a signed file is whole or was tampered with: not the user's input error
        raise SignatureInvalid(f"{path}: cannot be read as a PDF any more, so its signatures cannot hold "
                               f"({' '.join(str(exc).split())[:120]}); it was altered or damaged") from None


def verify_bytes(data: bytes, trust: list, fetch: bool = True) -> list[Check]:
    """Every signature of the PDF `data`, oldest first, checked against the `trust` roots;
    `fetch`: CRLs and OCSP from the addresses the certificates name (revocation soft-fails when
    they cannot be reached)."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    checks = []
    sigs = _embedded(data)
    for sig in sigs:
        context = ValidationContext(trust_roots=trust, allow_fetching=fetch, revocation_mode="soft-fail")
        stamp_context = ValidationContext(trust_roots=trust, allow_fetching=fetch, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=stamp_context)
        except Exception as exc:
            checks.append(_broken(sig, exc))
            continue
        checks.append(_verdict(sig, status))
    return checks


def _signer_fields(sig) -> dict:
    cert = sig.signer_cert
    return {"field_name": sig.field_name, "signer_subject": cert.subject.human_friendly,
            "signer_serial": format(cert.serial_number, "x"), "signer_issuer": cert.issuer.human_friendly}


def _broken(sig, exc: Exception) -> Check:
    reason = "the signature cannot be read (" + " ".join(str(exc).split())[:160] + ")"
    return Check(**_signer_fields(sig), signed_at=iso(sig.self_reported_timestamp), level="?", intact=False,
                 trusted=False, revoked=False, timestamp_at=None, timestamp_ok=None, covers_whole_file=False,
                 modified_after=True, revision_size=_revision_size(sig), valid=False, reason=reason, problems=[reason])


def _revision_size(sig) -> int:
    byte_range = sig.byte_range
    return int(byte_range[2] + byte_range[3])


_INDICATIONS = {
    "EXPIRED": "the certificate had expired when it signed",
    "OUT_OF_BOUNDS_NO_POE": "the certificate was not valid at the signing time (expired or not yet valid)",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the certificate was not valid at the signing time (expired or not yet valid)",
    "NOT_YET_VALID": "the certificate was not yet valid when it signed",
    "REVOKED": "the certificate is revoked",
    "REVOKED_NO_POE": "the certificate was revoked before the signing could be proven",
    "REVOKED_CA_NO_POE": "a CA certificate in the chain is revoked",
    "NO_CERTIFICATE_CHAIN_FOUND": "no chain to a trusted root (give the CA with --trust)",
    "CHAIN_CONSTRAINTS_FAILURE": "the certificate chain breaks its constraints",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "the certificate chain cannot be validated",
    "SIG_CONSTRAINTS_FAILURE": "the certificate may not sign documents (key usage)",
    "HASH_FAILURE": "the document was changed after signing",
    "SIG_CRYPTO_FAILURE": "the signature value is wrong",
    "TRY_LATER": "revocation information is not available yet",
}


def _verdict(sig, status) -> Check:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems = []
    intact = bool(status.intact and status.valid)
    if not status.intact:
        problems.append("the document was changed after signing")
    elif not status.valid:
        problems.append("the signature value is wrong")
    revoked = bool(status.revoked)
    if revoked:
        when = getattr(status.revocation_details, "revocation_date", None)
        problems.append("the certificate is revoked" + (f" (since {iso(when)})" if when else ""))
    elif status.trust_problem_indic is not None and intact:
        name = status.trust_problem_indic.name
        problems.append(_INDICATIONS.get(name, f"the certificate is not trusted ({name})"))
    elif not status.trusted and intact:
        problems.append("no chain to a trusted root (give the CA with --trust)")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    modified = not whole and status.coverage != SignatureCoverageLevel.ENTIRE_REVISION
    level = getattr(status, "modification_level", None)
    if level is not None and level.name not in ("NONE", "LTA_UPDATES", "FORM_FILLING"):
        modified = True
    if modified:
        problems.append("later revisions of the file change what was signed")
    stamp = status.timestamp_validity
    stamp_ok = None
    if stamp is not None:
        stamp_ok = bool(stamp.intact and stamp.valid and stamp.trusted)
        if not stamp_ok:
            problems.append("the time stamp is not trusted" if stamp.intact and stamp.valid
                            else "the time stamp was altered")
    trusted = bool(status.trusted) and not revoked
    signed_at = stamp.timestamp if stamp is not None else status.signer_reported_dt
    return Check(**_signer_fields(sig), signed_at=iso(signed_at), level="B-T" if stamp is not None else "B-B",
                 intact=intact, trusted=trusted, revoked=revoked,
                 timestamp_at=iso(stamp.timestamp) if stamp is not None else None, timestamp_ok=stamp_ok,
                 covers_whole_file=whole, modified_after=modified, revision_size=_revision_size(sig),
                 valid=not problems, reason="; ".join(problems), problems=problems)


def might_be_signed(path: Path) -> bool:
    """Whether a PDF may carry a signature: a /ByteRange anywhere in it (read in blocks, cheap);
    pyHanko reads only those that do."""
    tail = b""
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                if b"/ByteRange" in tail + block:
                    return True
                tail = block[-16:]
    except OSError:
        return False
    return False


def is_signed(path: Path) -> bool:
    """Whether a PDF carries a filled signature field."""
    if not might_be_signed(path):
        return False
    try:
        return bool(_embedded(Path(path).read_bytes()))
    except Exception:
        return False
