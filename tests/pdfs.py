"""PDFs built by hand at test time, for what scanners and office software write that a plain
`Image.save("x.pdf")` cannot: raw image streams (any filter, any page box), vector pages, text in a
font whose ToUnicode map lies, and JBIG2 (encoded here, as office scanners do; no encoder is packaged).
And decompression bombs, a PDF's and a PNG's, small on disk and huge decoded.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject


def _name_dict(values: dict) -> DictionaryObject:
    return DictionaryObject({NameObject(k): v for k, v in values.items()})


def _stream(writer: PdfWriter, data: bytes, **entries):
    stream = StreamObject()
    stream.set_data(b"")
    stream._data = data  # as given: already encoded with the filter the entries name
    stream.update(_name_dict(entries))
    return writer._add_object(stream)


def add_page(writer: PdfWriter, size_pt: tuple[float, float], content: bytes, images: dict | None = None,
             fonts: dict | None = None) -> None:
    """A page of `size_pt` drawing `content`, with image XObjects and fonts by resource name."""
    page = writer.add_blank_page(*size_pt)
    resources = {}
    if images:
        resources["/XObject"] = _name_dict({f"/{name}": ref for name, ref in images.items()})
    if fonts:
        resources["/Font"] = _name_dict({f"/{name}": ref for name, ref in fonts.items()})
    page[NameObject("/Resources")] = _name_dict(resources)
    page[NameObject("/Contents")] = _stream(writer, content)


def image_xobject(writer: PdfWriter, data: bytes, width: int, height: int, filter: str, bits: int = 8,
                  colour: str = "/DeviceGray"):
    return _stream(writer, data, **{"/Type": NameObject("/XObject"), "/Subtype": NameObject("/Image"),
                                    "/Width": NumberObject(width), "/Height": NumberObject(height),
                                    "/BitsPerComponent": NumberObject(bits), "/ColorSpace": NameObject(colour),
                                    "/Filter": NameObject(filter)})


def full_page_image(size_pt: tuple[float, float]) -> bytes:
    return b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % size_pt


def write(writer: PdfWriter, path: Path) -> Path:
    with open(path, "wb") as f:
        writer.write(f)
    return path


def image_pdf(path: Path, images: list[tuple[bytes, int, int, str]], size_pt: tuple[float, float] | None = None,
              bits: int = 8, dpi: int = 200) -> Path:
    """One page per (encoded data, width, height, filter), each image covering its page; pages are
    `size_pt`, or the image's size at `dpi`."""
    writer = PdfWriter()
    for data, width, height, filter in images:
        size = size_pt or (width * 72 / dpi, height * 72 / dpi)
        image = image_xobject(writer, data, width, height, filter, bits=bits)
        add_page(writer, size, full_page_image(size), images={"Im0": image})
    return write(writer, path)


def deflated_rows(row: bytes, rows: int) -> bytes:
    """`rows` copies of `row`, deflated in pieces (the whole may not fit in memory)."""
    c = zlib.compressobj(9)
    block = row * 1000
    return b"".join(c.compress(block) for _ in range(rows // 1000)) + c.compress(row * (rows % 1000)) + c.flush()


def vector_pdf(path: Path, size_pt: tuple[float, float]) -> Path:
    """A drawing: a frame and both diagonals, no text and no image (a plan, a form's ruling)."""
    w, h = size_pt
    writer = PdfWriter()
    add_page(writer, size_pt, b"2 w 10 10 %.2f %.2f re S 0 0 m %.2f %.2f l S 0 %.2f m %.2f 0 l S" % (
        w - 20, h - 20, w, h, h, w))
    return write(writer, path)


# -- a font whose text layer is junk ---------------------------------------------------------
def _scramble(code: int) -> int:
    """Letters come out as other letters or a backslash, as a subset font without a proper map gives."""
    if 65 <= code <= 90 or 97 <= code <= 122:
        base = 65 if code <= 90 else 97
        return 92 if code in (ord("i"), ord("I")) else base + (code - base + 5) % 26
    return code


def _to_unicode(mapping) -> bytes:
    pairs = "".join(f"<{c:02X}> <{mapping(c):04X}>\n" for c in range(32, 127))
    return ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Junk-UCS def /CMapType 2 def\n1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"95 beginbfchar\n{pairs}endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n"
            ).encode()


def junk_text_pdf(path: Path, lines: list[str], size_pt: tuple[float, float] = (595, 421)) -> Path:
    """A page showing `lines` (ASCII) in Helvetica, whose ToUnicode map turns every letter into
    another: the page reads well, its text layer is junk."""
    writer = PdfWriter()
    cmap = _stream(writer, zlib.compress(_to_unicode(_scramble)), **{"/Filter": NameObject("/FlateDecode")})
    font = writer._add_object(_name_dict({"/Type": NameObject("/Font"), "/Subtype": NameObject("/Type1"),
                                          "/BaseFont": NameObject("/Helvetica"),
                                          "/Encoding": NameObject("/WinAnsiEncoding"), "/ToUnicode": cmap}))
    shown = b"".join(b"(%s) Tj 0 -26 Td " % line.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(")
                     .replace(b")", b"\\)") for line in lines)
    add_page(writer, size_pt, b"BT /F1 16 Tf 50 %d Td %s ET" % (size_pt[1] - 60, shown), fonts={"F1": font})
    return write(writer, path)


def image_with_hidden_text_pdf(path: Path, image: Image.Image, hidden: str, dpi: int = 200) -> Path:
    """A scanned page (PNG-like, deflated) under an invisible text layer saying `hidden`, as another
    program's poor OCR leaves it."""
    grey = image.convert("L")
    size = (grey.width * 72 / dpi, grey.height * 72 / dpi)
    writer = PdfWriter()
    picture = image_xobject(writer, zlib.compress(grey.tobytes()), grey.width, grey.height, "/FlateDecode")
    font = writer._add_object(_name_dict({"/Type": NameObject("/Font"), "/Subtype": NameObject("/Type1"),
                                          "/BaseFont": NameObject("/Helvetica")}))
    text = hidden.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    add_page(writer, size, full_page_image(size) + b" BT 3 Tr /F1 10 Tf 20 20 Td (%s) Tj ET" % text,
             images={"Im0": picture}, fonts={"F1": font})
    return write(writer, path)


# -- JBIG2 ------------------------------------------------------------------------------------
# T.88 Table E.1: Qe, next state after an MPS, after an LPS, whether an LPS switches the MPS.
_QE = [
    (0x5601, 1, 1, 1), (0x3401, 2, 6, 0), (0x1801, 3, 9, 0), (0x0AC1, 4, 12, 0), (0x0521, 5, 29, 0),
    (0x0221, 38, 33, 0), (0x5601, 7, 6, 1), (0x5401, 8, 14, 0), (0x4801, 9, 14, 0), (0x3801, 10, 14, 0),
    (0x3001, 11, 17, 0), (0x2401, 12, 18, 0), (0x1C01, 13, 20, 0), (0x1601, 29, 21, 0), (0x5601, 15, 14, 1),
    (0x5401, 16, 14, 0), (0x5101, 17, 15, 0), (0x4801, 18, 16, 0), (0x3801, 19, 17, 0), (0x3401, 20, 18, 0),
    (0x3001, 21, 19, 0), (0x2801, 22, 19, 0), (0x2401, 23, 20, 0), (0x2201, 24, 21, 0), (0x1C01, 25, 22, 0),
    (0x1801, 26, 23, 0), (0x1601, 27, 24, 0), (0x1401, 28, 25, 0), (0x1201, 29, 26, 0), (0x1101, 30, 27, 0),
    (0x0AC1, 31, 28, 0), (0x09C1, 32, 29, 0), (0x08A1, 33, 30, 0), (0x0521, 34, 31, 0), (0x0441, 35, 32, 0),
    (0x02A1, 36, 33, 0), (0x0221, 37, 34, 0), (0x0141, 38, 35, 0), (0x0111, 39, 36, 0), (0x0085, 40, 37, 0),
    (0x0049, 41, 38, 0), (0x0025, 42, 39, 0), (0x0015, 43, 40, 0), (0x0009, 44, 41, 0), (0x0005, 45, 42, 0),
    (0x0001, 45, 43, 0), (0x5601, 46, 46, 0),
]
# Generic region template 0 with its default adaptive pixels, as (dx, dy), bit 0 first (T.88 6.2.5.3).
_TEMPLATE = [(-1, 0), (-2, 0), (-3, 0), (-4, 0), (3, -1), (2, -1), (1, -1), (0, -1), (-1, -1), (-2, -1),
             (-3, -1), (2, -2), (1, -2), (0, -2), (-1, -2), (-2, -2)]
_AT = (3, -1, -3, -1, 2, -2, -2, -2)
_SLTP = 0x9B25  # the context of typical prediction's "same as the row above" bit, template 0


class _MQEncoder:
    """T.88 Annex E.2, the arithmetic encoder JBIG2 decoders undo."""

    def __init__(self):
        self.a, self.c, self.ct = 0x8000, 0, 12
        self.out = bytearray(1)  # the byte before the first, dropped at the end
        self.state = bytearray(1 << 16)
        self.mps = bytearray(1 << 16)

    def encode(self, cx: int, bit: int) -> None:
        qe, nmps, nlps, switch = _QE[self.state[cx]]
        self.a -= qe
        if bit == self.mps[cx]:
            if self.a & 0x8000:
                self.c += qe
                return
            if self.a < qe:
                self.a = qe
            else:
                self.c += qe
            self.state[cx] = nmps
        else:
            if self.a < qe:
                self.c += qe
            else:
                self.a = qe
            self.mps[cx] ^= switch
            self.state[cx] = nlps
        while True:
            self.a <<= 1
            self.c <<= 1
            self.ct -= 1
            if self.ct == 0:
                self._byte_out()
            if self.a & 0x8000:
                return

    def _byte_out(self) -> None:
        if self.out[-1] != 0xFF and self.c >= 0x8000000:  # carry into the last byte
            self.out[-1] += 1
            self.c &= 0x7FFFFFF
        shift = 20 if self.out[-1] == 0xFF else 19  # after 0xFF a byte holds 7 bits (bit stuffing)
        self.out.append((self.c >> shift) & 0xFF)
        self.c &= (1 << shift) - 1
        self.ct = 27 - shift

    def flush(self) -> bytes:
        end = self.c + self.a
        self.c |= 0xFFFF
        if self.c >= end:
            self.c -= 0x8000
        for _ in range(2):
            self.c <<= self.ct
            self._byte_out()
        if self.out[-1] != 0xFF:
            self.out.append(0xFF)
        return bytes(self.out[1:]) + b"\xac"


def _generic_region(ink: np.ndarray) -> bytes:
    h, w = ink.shape
    padded = np.zeros((h + 2, w + 8), dtype=np.uint32)
    padded[2:, 4:4 + w] = ink
    contexts = np.zeros((h, w), dtype=np.uint32)
    for bit, (dx, dy) in enumerate(_TEMPLATE):
        contexts |= padded[2 + dy:2 + dy + h, 4 + dx:4 + dx + w] << bit
    encoder, typical, above = _MQEncoder(), 0, np.zeros(w, dtype=ink.dtype)
    for row, row_contexts in zip(ink, contexts):
        same = int(np.array_equal(row, above))
        encoder.encode(_SLTP, same ^ typical)
        typical, above = same, row
        if not same:
            for cx, bit in zip(row_contexts.tolist(), row.tolist()):
                encoder.encode(cx, bit)
    return encoder.flush()


def _segment(number: int, kind: int, data: bytes) -> bytes:
    return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data


def jbig2(image: Image.Image) -> bytes:
    """`image` (dark = ink) as a JBIG2 embedded stream (PDF 7.4.7: no file header, no end of page): page
    information and one immediate lossless generic region, arithmetic-coded with typical prediction."""
    ink = (np.asarray(image.convert("L")) < 128).astype(np.uint8)
    h, w = ink.shape
    page = struct.pack(">IIIIBH", w, h, 0, 0, 0, 0)
    region = struct.pack(">IIIIBB8b", w, h, 0, 0, 0, 0x08, *_AT) + _generic_region(ink)  # 0x08: template 0, TPGDON
    return _segment(0, 48, page) + _segment(1, 39, region)


def png_bomb(path: Path, side: int) -> Path:
    """A ~100 KB 1-bit PNG that decodes to side × side pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    idat = deflated_rows(b"\x00" * (1 + (side + 7) // 8), side)  # each row: filter byte + bits
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def pdf_bomb(path: Path, side: int) -> Path:
    """A one-page PDF whose only image is a deflated side × side bitmap (~200 KB on disk)."""
    return image_pdf(path, [(deflated_rows(b"\x00" * ((side + 7) // 8), side), side, side, "/FlateDecode")],
                     size_pt=(595, 842), bits=1)
