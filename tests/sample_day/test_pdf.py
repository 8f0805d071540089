"""The sample day's PDF writer, read back with pypdf (what the product's parsers use)."""

from __future__ import annotations

import io
import zlib

import pytest

from shared.parsers._pdf import group_lines, page_words
from tooling.sample_day.pdf import Document, text_width


def read(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data), strict=True)


def test_words_land_where_they_were_placed():
    doc = Document()
    page = doc.page(841.95, 595.35)
    end = page.words(23.15, 595.35 - 136.26, "Payton II, Gary", 10)
    page.text(586.71, 595.35 - 136.26, "Out", 10)
    words = page_words(read(doc.to_bytes()).pages[0])
    assert [(w.text, w.x, w.top, w.size) for w in words] == [
        ("Payton", 23.15, 136.26, 10.0),
        ("II,", pytest.approx(23.15 + text_width("Payton ", 10), abs=0.02), 136.26, 10.0),
        ("Gary", pytest.approx(23.15 + text_width("Payton II, ", 10), abs=0.02), 136.26, 10.0),
        ("Out", 586.71, 136.26, 10.0),
    ]
    assert end == pytest.approx(23.15 + text_width("Payton II, Gary", 10))
    assert len(group_lines(words)) == 1


def test_helvetica_metrics():
    assert text_width("", 10) == 0
    assert text_width("W", 1000) == 944 and text_width("i", 1000) == 222 and text_width(" ", 10) == 2.78
    assert text_width("é", 10) == 5.56  # outside ASCII: a wide glyph, never a crash


def test_special_characters_lines_pages_and_info():
    doc = Document(info={"Title": "Box Score (A) - B\\C", "CreationDate": "D:20250115213000-05'00'"})
    for n in range(3):
        p = doc.page()
        p.text(20, 700, f"page {n + 1}: Coach's (DNP) a\\b", 8, bold=n == 1)
        p.text(20, 689, "second line", 8)
        p.line(20, 680, 200, 680)
    reader = read(doc.to_bytes())
    assert len(reader.pages) == 3
    assert reader.pages[1].extract_text().splitlines() == ["page 2: Coach's (DNP) a\\b", "second line"]
    assert reader.metadata["/Title"] == "Box Score (A) - B\\C"


def test_streams_are_compressed_and_output_is_deterministic():
    def make(compress: bool) -> bytes:
        doc = Document(compress=compress)
        doc.page().words(10, 10, "same words every time", 9)
        return doc.to_bytes()

    packed, plain = make(True), make(False)
    assert packed == make(True)
    assert b"/FlateDecode" in packed and b"/FlateDecode" not in plain
    assert b"(same) Tj" in plain
    start = packed.index(b"stream\n") + 7
    assert b"(words) Tj" in zlib.decompress(packed[start : packed.index(b"\nendstream")])
    with pytest.raises(UnicodeDecodeError):
        packed.decode("utf-8")  # binary, as real PDFs are (the parsers flag valid-UTF-8 PDFs as text-mangled)
    assert read(plain).pages[0].extract_text() == read(packed).pages[0].extract_text() == "same words every time"
