"""OCR engines: a page image in, text with confidences and a searchable PDF page out."""

from ocr.tesseract import OcrResult, TesseractEngine, available_languages, check_languages, looks_vietnamese

__all__ = ["OcrResult", "TesseractEngine", "available_languages", "check_languages", "looks_vietnamese"]
