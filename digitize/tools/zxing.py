"""zxing-cpp: the QR codes and barcodes in an image, decoded."""

from __future__ import annotations

from dataclasses import dataclass

from digitize.errors import InputError, MissingDependency, one_line



@dataclass
class Barcode:
    text: str
    format: str  # "QRCode", "Code128", …


def read_barcodes(image) -> list[Barcode]:
    """The codes found in a PIL image, in zxing's reading order."""
    try:
        import zxingcpp  # a compiled decoder; loaded only where codes are wanted
    except ImportError:
        raise MissingDependency("zxing-cpp is needed to read QR codes and barcodes; install it with: "
                                "pip install zxing-cpp") from None
    try:
        found = zxingcpp.read_barcodes(image)
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"the QR/barcode reader failed ({one_line(str(exc))})") from None
    return [Barcode(b.text or "", b.format.name) for b in found]
