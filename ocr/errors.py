"""What the OCR library raises. It knows nothing of archives or exit codes: `digitize.errors.from_library`
gives each its kind there."""


def one_line(said) -> str:
    """Tesseract's error text (an exception, a line it printed) as one line to quote in a message."""
    return " ".join(str(said).split())[:200]


class OcrError(Exception):
    """The base: a page could not be read, and the message says why."""


class UnreadablePage(OcrError):
    """The page image cannot be decoded or recognised."""


class TesseractMissing(OcrError):
    """Tesseract, or the language data asked for, is not installed (or does not run)."""
