"""Metadata read from a paper's OCR text, and the catalog's view of it (extracted, then corrected).

`extract(text)` is a pure function: the document type (fuzzy-matched against the editable
`data/doc_types.tsv`), the holder's name and citizen ID, issue/birth/expiry dates, record and
procedure codes, number and notation, and the issuing body, each with a confidence 0–1.
Everything is matched on *folded* text (no tones, đ → d, lower case) so missing or misread
diacritics do not matter, while values are cut from the original text at the same offsets.

In the catalog (`paper_metadata`), extracted rows are replaced by each extraction, while
corrected rows (`sohoa edit`) are only ever replaced by another correction: a correction wins
over extraction and survives re-extraction. Each correction is also logged in `corrections`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from digitize.catalog import METADATA_FIELDS, Catalog
from digitize.codes import codes_in
from index.analysis import fold, fold_chars

FIELDS = METADATA_FIELDS
DATE_FIELDS = ("issue_date", "birth_date", "expiry_date")
DOC_TYPES_FILE = Path(__file__).parent / "data" / "doc_types.tsv"

# Province codes of CCCD numbers (Circular 07/2016/TT-BCA, amended by 59/2021/TT-BCA): the 63
# provinces as they were when the codes were assigned, between 001 (Hà Nội) and 096 (Cà Mau).
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 "
    "037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
    "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)


@dataclass
class Found:
    """One value read from a paper: `value` is None when what was read is not valid (kept in `text`)."""

    value: str | None
    confidence: float
    text: str  # as read on the paper
    note: str | None = None  # why a value was not taken


# -- text helpers -------------------------------------------------------------------------------
def _clean(text: str) -> str:
    # Tesseract often reads Đ as the Icelandic Ð, which folding would otherwise keep.
    return unicodedata.normalize("NFC", text).replace("Ð", "Đ").replace("ð", "đ")


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in re.split(r"[\n\f\r]", _clean(text)) if line.strip()]


def _words(folded: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", folded)


MOTTO_ANYWHERE = re.compile(r"cong hoa xa hoi|doc lap\W+tu do|socialist republic|independence\W+freedom")
MOTTO = re.compile(r"^\W*(?:" + MOTTO_ANYWHERE.pattern + ")")


# -- document types -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DocType:
    name: str
    prefix: bool  # the title starts with the phrase and goes on
    phrases: tuple[tuple[str, ...], ...]  # folded words of the name and its aliases


def load_doc_types(path: Path = DOC_TYPES_FILE) -> list[DocType]:
    types = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, match, aliases = (line.split("\t") + ["", ""])[:3]
        if match.strip() not in ("whole", "prefix"):
            raise ValueError(f"{path}: {line!r}: the match column must be 'whole' or 'prefix'")
        names = [name.strip()] + [a.strip() for a in aliases.split("|") if a.strip()]
        types.append(DocType(_clean(name.strip()), match.strip() == "prefix",
                             tuple(tuple(_words(fold_chars(_clean(n)))) for n in names)))
    return types


@lru_cache(maxsize=1)
def _default_doc_types() -> list[DocType]:
    return load_doc_types()


TITLE_LINES = 14  # a title sits in the first lines, under the issuer and the national motto
LEADING = (("ban", "sao"), ("ban", "chinh"))  # "Bản sao GIẤY KHAI SINH" is still a Giấy khai sinh
MIN_TYPE_SCORE = 0.8


def match_doc_type(lines: list[str], types: list[DocType]) -> Found | None:
    """The best fuzzy match of a known type at the start of a title line (or two joined lines)."""
    candidates = []
    usable = [(i, line) for i, line in enumerate(lines[:TITLE_LINES])
              if ":" not in line and not MOTTO.match(fold_chars(line))]
    for n, (i, line) in enumerate(usable):
        joined = line
        for j in range(n, min(n + 3, len(usable))):  # a long title wraps onto the next lines
            if usable[j][0] != i + j - n:
                break
            if j > n:
                joined = f"{joined} {usable[j][1]}"
            candidates.append((i, joined, _words(fold_chars(joined))))
    best: tuple[float, int, DocType, str] | None = None
    matcher = SequenceMatcher(autojunk=False)
    for dtype in types:
        for phrase in dtype.phrases:
            target = " ".join(phrase)
            matcher.set_seq2(target)  # SequenceMatcher caches what it learns about its second string
            for i, line, words in candidates:
                starts = [0] + [2 for lead in LEADING if tuple(words[:2]) == lead]
                for start in starts:
                    for k in {len(phrase) - 1, len(phrase), len(phrase) + 1} - {0}:
                        window = words[start:start + k]
                        if not window:
                            continue
                        matcher.set_seq1(" ".join(window))
                        floor = max(MIN_TYPE_SCORE, best[0] if best else 0) - 0.01
                        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                            continue  # cheap upper bounds: this window cannot win
                        score = matcher.ratio()
                        if not dtype.prefix:  # a whole title has nothing after it
                            score -= 0.03 * min(len(words) - start - len(window), 5)
                        score -= 0.005 * i
                        key = (round(score, 3), len(target))
                        if best is None or key > (round(best[0], 3), best[1]):
                            best = (score, len(target), dtype, line)
    if best is None or best[0] < MIN_TYPE_SCORE:
        return None
    return Found(best[2].name, round(min(best[0], 1.0), 2), best[3])


# Vietnamese surnames, keyed by their folded form (each folds differently), to restore marks OCR got wrong.
SURNAMES = {fold(n): n for n in (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương Trịnh Trương Lâm "
    "Lương Đinh Cao Hà Tạ Tô Châu Quách Thái Kiều Triệu Nông Mạc Tăng Từ Chu Đàm Phùng Khúc Hứa Lưu Lò Thân "
    "Giang Viên Tống Diệp Doãn Âu Mai La").split()}

# -- holder's name ------------------------------------------------------------------------------
# "Họ và tên", "Họ, chữ đệm và tên", "Họ, chữ đệm, tên", "Họ tên", each maybe followed by whose
# name it is ("người yêu cầu", "người mẹ") and an English twin ("/ Full name").
NAME_LABEL = re.compile(
    r"^\W*(?:\d+[.)]\s*)?(ho\W+(?:va\W+)?(?:chu\W+dem\W+(?:va\W+)?)?ten|full\s+name)"
    r"(?P<whose>[^:;/]*?)\s*(?:/[^:;]*)?(?:[:;]|$)"  # OCR reads some colons as semicolons
)
PERSON_LABEL = re.compile(r"^\W*(?:cap cho\W+)?(?:ong\s*/\s*ba|ong\s*\(ba\)|nguoi yeu cau|nguoi de nghi|"
                          r"nguoi su dung dat|chu ho|chu so huu|chu dau tu)\s*:")
HOLDER_WHOSE = ("nguoi yeu cau", "nguoi de nghi", "nguoi duoc cap", "nguoi khai", "nguoi dang ky", "nguoi nop",
                "nguoi su dung", "chu ho", "chu so huu", "cong dan", "nguoi xin", "chu dau tu")
OTHER_WHOSE = ("cha", "me", "vo", "chong", "con", "lam chung", "di khai", "nguoi ky", "nguoi nhan",
               "nguoi than", "nguoi giam ho", "nguoi dai dien", "nguoi uy quyen", "nguoi duoc uy quyen")
NAME_STOP = re.compile(r"\s+(?:gioi tinh|sinh ngay|ngay sinh|nam sinh|dan toc|quoc tich|sex|date of birth)\b.*$")
NAME_WORD = re.compile(r"^[^\W\d_]+$")


def _name_from(raw: str) -> tuple[str, float] | None:
    """A person's name from the text after a label: 2–7 words of letters, in title case."""
    raw = raw[: len(NAME_STOP.sub("", fold_chars(raw)))]
    raw = re.split(r"[,;(\d_|/\\]", raw)[0]
    words = [w.strip(".:-–'\"") for w in raw.split()]
    words = [w for w in words if w]
    while words and len(words[-1]) == 1 and words[-1].islower():  # a speck read as a letter
        words.pop()
    if not 2 <= len(words) <= 7 or not all(NAME_WORD.match(w) for w in words):
        return None
    if all(w.isupper() for w in words) or all(w.islower() for w in words):
        words = [w.capitalize() for w in words]
    words[0] = SURNAMES.get(fold_chars(words[0]), words[0])  # "Lẽ" read for "Lê": surnames are few
    confidence = 1.0 if all(w[0].isupper() for w in words) and len(words) <= 5 else 0.8
    return " ".join(words), confidence


INLINE_PERSON = re.compile(r"\b(?:cho|của|đối với)\s+(?:ông\s*/\s*bà|ông|bà)\s*:?\s+((?:[A-ZĐÀ-Ỹ][^\W\d_]*\s*){2,7})")


@dataclass
class Holder:
    name: Found
    line: int  # where the name is
    section_end: int  # the next name label (someone else's details follow)


def find_holder_name(lines: list[str]) -> Holder | None:
    """The first name after a holder's label; names labelled as someone else's (mother…) are skipped."""
    found: list[tuple[bool, int, Found]] = []
    labels = []
    for i, line in enumerate(lines):
        folded = fold_chars(line)
        label = NAME_LABEL.match(folded)
        if label:
            labels.append(i)
            whose = " ".join(_words(label["whose"]))
            if any(re.search(rf"\b{w}\b", whose) for w in OTHER_WHOSE):
                continue
            base = 0.92 if not whose else 0.85 if any(w in whose for w in HOLDER_WHOSE) else 0.6
        elif label := PERSON_LABEL.match(folded):
            labels.append(i)
            base = 0.75
        else:
            inline = INLINE_PERSON.search(line)
            name = inline and _name_from(inline[1])
            if name:
                found.append((False, i, Found(name[0], round(0.6 * name[1], 2), inline[0])))
            continue
        rest = line[label.end():].strip()
        if not rest and i + 1 < len(lines) and ":" not in lines[i + 1]:  # the name on the next line
            rest = lines[i + 1]
            base -= 0.05
        rest = re.sub(r"^(?:ông|bà|anh|chị)\b\.?\s*", "", rest, flags=re.I)
        name = _name_from(rest)
        if name:
            found.append((base * name[1] >= 0.75, i, Found(name[0], round(base * name[1], 2), rest)))
    if not found:
        return None
    # The first name under a holder's label; failing that, the most certain.
    sure = [f for f in found if f[0]]
    _, line, name = min(sure, key=lambda f: f[1]) if sure else max(found, key=lambda f: (f[2].confidence, -f[1]))
    return Holder(name, line, next((i for i in labels if i > line), len(lines)))


# -- dates ------------------------------------------------------------------------------------------
NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})\s?[/.-]\s?(\d{1,2})\s?[/.-]\s?((?:19|20)\d{2})(?!\d|[/.-]\d)")
SPELLED_DATE = re.compile(r"\bngay\s*(\d{1,2})\s*,?\s*thang\s*(\d{1,2})\s*,?\s*nam\s*((?:19|20)\d{2})(?!\d)")
# The last of these before a date says what the date is.
DATE_CONTEXT = [
    ("expiry_date", re.compile(r"gia tri(?: su dung)? den|het han|hieu luc den|expiry|valid until|han su dung")),
    ("birth_date", re.compile(r"ngay\W+thang\W+nam sinh|(?<!khai )sinh ngay|ngay sinh|date of birth|sinh nam"
                              r"|sinh(?: con)? luc.*ngay")),
    ("issue_date", re.compile(r"ngay\W*cap|cap ngay|date of issue|ngay dang ky|dang ky ngay|dang ky lan dau"
                              r"|ngay\W+thang\W+nam\W*$|date\W+month\W+year")),
    (None, re.compile(r"tu ngay|can cu|so\W+\S+\s+ngay|ngay nop|ngay nhan|hen tra|\bluc\b|thay doi")),
]
# "CCCD số …, cấp ngày …" inside another paper dates that ID card, not the paper.
OTHER_PAPER = re.compile(r"giay to tuy than|cccd|cmnd|can cuoc|chung minh|ho chieu")


def find_dates(lines: list[str]) -> dict[str, list[tuple[float, int, Found]]]:
    """Every date on the paper, put under the field its context names (unnamed ones are left out)."""
    out: dict[str, list[tuple[float, int, Found]]] = {f: [] for f in DATE_FIELDS}
    for i, line in enumerate(lines):
        folded = fold_chars(line)
        spans = []
        for kind, pattern in (("spelled", SPELLED_DATE), ("numeric", NUMERIC_DATE)):
            for m in pattern.finditer(folded):
                if not any(s <= m.start() < e for s, e, *_ in spans):
                    spans.append((m.start(), m.end(), kind, m))
        spans.sort(key=lambda s: s[0])
        previous_end = 0
        for start, end, kind, m in spans:
            d, mth, y = (int(g) for g in m.groups())
            try:
                value = date(y, mth, d).isoformat()
            except ValueError:
                previous_end = end
                continue
            context = folded[previous_end:start]
            if not context.strip(" :.,-/") and i > 0 and previous_end == 0:
                context = fold_chars(lines[i - 1])  # the label sits on the line above
            previous_end = end
            field, confidence = _classify(context, kind, folded[:start])
            if field == "issue_date" and OTHER_PAPER.search(folded[:start]):
                continue
            if field:
                out[field].append((confidence, i, Found(value, confidence, line[start:end])))
    return out


def _classify(context: str, kind: str, before: str) -> tuple[str | None, float]:
    last = None
    for field, pattern in DATE_CONTEXT:
        for m in pattern.finditer(context):
            if last is None or m.end() > last[0]:
                last = (m.end(), field)
    if last is not None:
        return last[1], 0.9
    # "Hà Nội, ngày 05 tháng 11 năm 2023": the place and date where the paper was signed.
    if kind == "spelled" and (not before.strip() or re.fullmatch(r"[^\d:]{0,40},\s*", before)):
        return "issue_date", 0.8
    return None, 0


# -- citizen IDs --------------------------------------------------------------------------------
CITIZEN_ID = re.compile(r"(?<![\d,/-])(?<!\d\.)(\d{12}|\d{9}|\d{3}(?: \d{3}){3}|\d{4}(?: \d{4}){2})(?!\d|[.,/-]\d)")
ID_LABEL = re.compile(r"can cuoc|cccd|cmnd|chung minh|dinh danh|giay to tuy than|identity|personal|\bno\b|so\s*:?\s*$")
OTHER_ID_LABEL = re.compile(r"\b(cha|me|vo|chong|nguoi lam chung|nguoi ky|dien thoai|fax|ma so thue|tai khoan)\b")


def check_citizen_id(number: str, birth_year: int | None = None, today: date | None = None) -> str | None:
    """None when `number` is a valid CCCD (12 digits) or CMND (9 digits), else the reason it is not."""
    if not number.isdigit() or len(number) not in (9, 12):
        return "a citizen ID has 12 digits (CCCD) or 9 (CMND)"
    if len(set(number)) == 1:
        return "all digits the same"
    if len(number) == 9:
        return None
    if number[:3] not in PROVINCE_CODES:
        return f"{number[:3]} is not a province code"
    century = 1900 + 100 * (int(number[3]) // 2)
    year = century + int(number[4:6])
    if year > (today or date.today()).year:
        return f"digits 4–6 give a birth year of {year}"
    if birth_year is not None and year != birth_year:
        return f"digits 4–6 give a birth year of {year}, the paper says {birth_year}"
    return None


def find_holder_id(lines: list[str], holder: Holder | None, birth_date: str | None) -> Found | None:
    candidates = []
    birth_year = int(birth_date[:4]) if birth_date else None
    for i, line in enumerate(lines):
        folded = fold_chars(line)
        for m in CITIZEN_ID.finditer(folded):
            number = m[1].replace(" ", "")
            before = folded[max(0, m.start() - 40):m.start()]
            if i > 0 and not before.strip(" :.,-/"):
                before = fold_chars(lines[i - 1])[-40:]
            if OTHER_ID_LABEL.search(before):
                continue
            labelled = bool(ID_LABEL.search(before))
            if len(number) == 9 and not labelled:
                continue  # nine bare digits are as likely an account or serial number
            score = (0.95 if labelled else 0.7) - (0.1 if len(number) == 9 else 0)
            near = holder is not None and holder.line <= i < holder.section_end
            candidates.append((near, labelled, -i, score, number, m[1]))
    if not candidates:
        return None
    candidates.sort(reverse=True)
    rejected = None
    for *_, score, number, text in candidates:
        reason = check_citizen_id(number, birth_year if len(number) == 12 else None)
        if reason is None:
            return Found(number, round(score, 2), text)
        rejected = rejected or Found(None, 0.0, text, f"not a valid citizen ID: {reason}")
    return rejected


# -- codes, number, issuer ------------------------------------------------------------------------
PROCEDURE_CODE = re.compile(r"(?<![\w.])([1-3]\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2})?)(?![\w]|\.\d)")
# "Số: 123/QĐ-UBND", "Số 12/2023/GP-UBND" (the notation has letters), or "Số: 123" alone on a line.
NUMBER = re.compile(r"(?:^|(?<=[\s(]))so\s*(?:hieu)?\s*[:.]?\s*"
                    r"(\d{1,7}[a-z]?(?:/\d{4})?/(?=[a-z0-9.-]*[a-z])[a-z0-9]+(?:[-.][a-z0-9]+)*)")
BARE_NUMBER = re.compile(r"^\W*so\s*[:.]\s*(\d{1,7})\s*\W{0,3}$")
REFERENCE = re.compile(r"(quyet dinh|van ban|cong van|nghi dinh|thong tu|luat|giay phep|quyen|theo|tai)\s*$")
ISSUER_START = re.compile(
    r"^(uy ban nhan dan|ubnd|so |bo |cuc |phong |chi cuc|cong an|toa an|vien kiem sat|chi nhanh|van phong"
    r"|trung tam|benh vien|truong |ban quan ly|hoi dong|tong cuc|co quan|bo phan|ministry|department)")
ISSUER_LABEL = re.compile(r"^\W*(co quan cap|noi cap|co quan dang ky|noi dang ky|co quan cap phieu|place of issue)"
                          r"\s*(?:/[^:]*)?:\s*")


def _upper_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def find_codes(lines: list[str]) -> dict[str, Found]:
    out: dict[str, Found] = {}
    for i, line in enumerate(lines):
        folded = fold_chars(line)
        for code, m in codes_in(line):
            labelled = bool(re.search(r"ma(?: so)? ho so|so ho so|ma ho so", folded[:m.start()]))
            found = Found(code, 0.95 if labelled else 0.85, m[0])
            if "record_code" not in out or labelled and out["record_code"].confidence < 0.95:
                out["record_code"] = found
        for m in PROCEDURE_CODE.finditer(line):
            labelled = bool(re.search(r"ma (tthc|thu tuc)|thu tuc hanh chinh", folded[:m.start()]))
            found = Found(m[1], 0.9 if labelled else 0.75, m[0])
            if "procedure_code" not in out or labelled and out["procedure_code"].confidence < 0.9:
                out["procedure_code"] = found
        if "number" not in out:
            for m in NUMBER.finditer(folded):
                if not REFERENCE.search(folded[:m.start()]):  # not a reference to another paper
                    out["number"] = Found(line[m.start(1):m.end(1)].rstrip(".-"), 0.9, line[m.start():m.end()])
                    break
            else:
                if i < TITLE_LINES and (m := BARE_NUMBER.match(folded)):
                    out["number"] = Found(m[1], 0.6, line)
    return out


# Words of issuing bodies' names, to restore marks OCR got wrong ("ỦY BẠN" → "ỦY BAN", "SỞ YTẾ" → "SỞ Y TẾ").
# A one-word unit ("TỈNH") only starts a line or follows a body's name, so "HÀ TĨNH" stays as it is.
BODY_PHRASES = [p.split() for p in (
    "ỦY BAN NHÂN DÂN|SỞ Y TẾ|SỞ TƯ PHÁP|SỞ KẾ HOẠCH VÀ ĐẦU TƯ|SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG|SỞ XÂY DỰNG|SỞ NỘI VỤ"
    "|SỞ GIÁO DỤC VÀ ĐÀO TẠO|SỞ GIAO THÔNG VẬN TẢI|CÔNG AN|BỆNH VIỆN|PHÒNG TƯ PHÁP|PHÒNG ĐĂNG KÝ KINH DOANH"
    "|BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ|VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI|TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"
    "|PHÒNG QUẢN LÝ ĐÔ THỊ|PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG|THÀNH PHỐ|THỊ XÃ|THỊ TRẤN").split("|")]
UNIT_WORDS = {fold(w): w for w in ("TỈNH", "QUẬN", "HUYỆN", "PHƯỜNG", "XÃ")}


def _restore_body_words(line: str) -> str:
    words = [w for w in line.split() if any(c.isalnum() for c in w)]  # "_", "-": specks read as marks
    out, i, after_phrase = [], 0, True
    while i < len(words):
        for phrase in sorted(BODY_PHRASES, key=len, reverse=True):
            target = fold("".join(phrase))
            k = next((k for k in range(1, len(phrase) + 2) if fold("".join(words[i:i + k])) == target), None)
            if k:
                out.extend(_like(w, words[i]) for w in phrase)
                i, after_phrase = i + k, True
                break
        else:
            unit = UNIT_WORDS.get(fold(words[i])) if after_phrase else None
            out.append(_like(unit, words[i]) if unit else words[i])
            i, after_phrase = i + 1, False
    return " ".join(out)


def _like(word: str, model: str) -> str:
    """`word` in the case of `model` (upper, capitalised or lower)."""
    return word.upper() if model.isupper() else word.capitalize() if model[:1].isupper() else word.lower()


def find_issuer(lines: list[str], title_line: int | None) -> Found | None:
    """The issuing body: the upper-case header above the title, else a "Nơi cấp:"-style label."""
    header = lines[: title_line if title_line is not None else 6]
    parts: list[str] = []
    for line in header:
        motto = MOTTO_ANYWHERE.search(fold_chars(line))
        if motto:  # two columns read as one line: the issuer on the left, the motto on the right
            line = line[: motto.start()].strip()
        folded = fold_chars(line).strip()
        if not folded or not _upper_line(line) or ":" in line:
            if parts and not motto:
                break
            continue
        if ISSUER_START.match(folded):
            parts.append((" - " if parts else "") + _restore_body_words(line))
        elif parts:  # "ỦY BAN NHÂN DÂN" / "PHƯỜNG BẾN NGHÉ": the place goes on the next line
            parts.append(" " + _restore_body_words(line))
    if parts:
        value = "".join(parts).strip(" -")
        return Found(value, 0.8, value)
    for line in lines:
        m = ISSUER_LABEL.match(fold_chars(line))
        if m and len(line) - m.end() > 3:
            return Found(line[m.end():].strip(" .;"), 0.75, line)
    return None


# -- all together ---------------------------------------------------------------------------------
def extract(text: str, doc_types: list[DocType] | None = None) -> dict[str, Found]:
    """Every field found in a paper's text (fields not found are absent)."""
    lines = _lines(text)
    out: dict[str, Found] = {}
    dtype = match_doc_type(lines, doc_types if doc_types is not None else _default_doc_types())
    title_line = None
    if dtype:
        out["doc_type"] = dtype
        title_line = next((i for i, line in enumerate(lines) if dtype.text.startswith(line)), None)
    holder = find_holder_name(lines)
    if holder:
        out["holder_name"] = holder.name
    for field, found in find_dates(lines).items():
        if field == "birth_date" and holder:  # the holder's own, in the holder's section
            found = [f for f in found if holder.line <= f[1] < holder.section_end]
        if found:
            out[field] = max(found, key=lambda f: (f[0], -f[1]))[2]
    birth = out.get("birth_date")
    holder_id = find_holder_id(lines, holder, birth.value if birth else None)
    if holder_id:
        out["holder_id"] = holder_id
    out.update(find_codes(lines))
    issuer = find_issuer(lines, title_line)
    if issuer:
        out["issuer"] = issuer
    return out


# -- the catalog ----------------------------------------------------------------------------------
def store(catalog: Catalog, paper_id: int, found: dict[str, Found]) -> None:
    """Replace a paper's extracted values (its corrections stay)."""
    with catalog.transaction():
        _store(catalog, paper_id, found)


def _store(catalog: Catalog, paper_id: int, found: dict[str, Found]) -> None:
    catalog.metadata.store_extracted(
        paper_id, [(f, v.value, v.confidence, v.text, v.note) for f, v in found.items() if f in FIELDS])


REEXTRACT_CHUNK = 200  # papers per commit: other writers (scans, a job's lease) wait one chunk, not the whole run


def reextract(catalog: Catalog, paper_ids: Iterable[int] | None = None, missing_only: bool = False,
              progress: Callable[[int, int], None] | None = None) -> int:
    """Extract again from the stored text (after the types file changed, or for papers archived
    before extraction existed); corrections are kept. Returns the number of papers done;
    `progress(done, total)` after each commit. Run again, it does the same (a killed run: the rest)."""
    rows = catalog.metadata.texts(paper_ids, not_extracted=missing_only)
    for start in range(0, len(rows), REEXTRACT_CHUNK):
        with catalog.transaction():
            for paper_id, text in rows[start:start + REEXTRACT_CHUNK]:
                _store(catalog, paper_id, extract(text))
        if progress:
            progress(min(start + REEXTRACT_CHUNK, len(rows)), len(rows))
    return len(rows)


def current(catalog: Catalog, paper_id: int) -> dict[str, dict]:
    """Every field of a paper: the correction if there is one, else the extracted value.

    {field: {"value", "confidence", "source" ("extracted" | "corrected" | None), "text"}};
    a corrected value also says who corrected it and when; a rejected one says why.
    """
    rows = catalog.metadata.entries(paper_id)
    out = {f: {"value": None, "confidence": None, "source": None, "text": None} for f in FIELDS}
    for row in rows:  # corrections come last and win
        if row["field"] not in out:
            continue
        entry = {"value": row["value"], "confidence": row["confidence"], "source": row["source"],
                 "text": row["found_text"]}
        if row["note"]:
            entry["note"] = row["note"]
        if row["source"] == "corrected":
            last = catalog.metadata.last_correction(paper_id, row["field"])
            if last:
                entry.update(corrected_by=last[0], corrected_at=last[1])
        out[row["field"]] = entry
    return out

