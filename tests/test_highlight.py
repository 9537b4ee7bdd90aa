"""Which words of a page a search found (index.hits.matching_words), for the boxes over its image:
folded as the index folds, fuzzy and OCR slips as the snippet highlights them, fields and NOT not."""

from __future__ import annotations

from index import matching_words, parse

PAGE = ["Họ", "và", "tên:", "NGUYỄN", "VĂN", "AN,", "sinh", "ngày", "02/05/1990", "tại", "Đà", "Nẵng"]


def found(query: str, texts=PAGE) -> list[str]:
    return [t for t, hit in zip(texts, matching_words(parse(query), texts)) if hit]


def test_a_name_typed_without_marks_finds_the_words_with_them():
    assert found("nguyen van an") == ["NGUYỄN", "VĂN", "AN,"]
    assert found("da nang") == ["Đà", "Nẵng"]


def test_a_phrase_finds_its_words_only_where_they_stand_together():
    assert found('"van an"') == ["VĂN", "AN,"]
    assert found('"an van"') == []


def test_or_finds_either_and_not_or_a_field_finds_nothing_on_the_page():
    assert found("tran OR nang") == ["Nẵng"]
    assert found("sinh -nguyen") == ["sinh"]
    assert found("holder:nguyen type:sinh") == []


def test_an_ocr_slip_and_one_edit_on_a_long_word_match_as_in_the_snippet():
    assert found("nguyen", ["NGUYẺN", "nguy"]) == ["NGUYẺN"]  # a mark misread folds away
    assert found("nguyen", ["Nguyern", "nguy"]) == ["Nguyern"]  # one edit, where the word itself is absent
    assert found("nguyen", ["Nguyen", "Nguyern"]) == ["Nguyen"]  # ...as the snippet does
    assert found("larn", ["Lam", "Lâm"]) == ["Lam", "Lâm"]  # rn read for m


def test_decomposed_text_and_an_empty_query_are_safe():
    assert found("an", ["A\u0300n", "AN", "ang"]) == ["A\u0300n", "AN"]  # Àn typed decomposed (NFD) too
    assert found("", PAGE) == []


def test_a_masked_citizen_id_in_a_snippet_is_text_not_marks():
    from server.web.desk import snippet_parts

    assert snippet_parts("tên: **Nguyễn** số 0790******39 Nơi **An**") == [
        (False, "tên: "), (True, "Nguyễn"), (False, " số 0790******39 Nơi "), (True, "An")]
    assert snippet_parts("số **0790******39** cấp") == [(False, "số "), (True, "0790******39"), (False, " cấp")]
