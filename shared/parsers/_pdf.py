"""PDF helpers: positioned-word extraction with pypdf (imported lazily, never at module import).

Why positions instead of ``page.extract_text()``: the NBA report PDFs emit every word as its own text
object, so plain extraction yields one word per line and ``extraction_mode="layout"`` prints the rows
bottom-up with collapsed spaces. Table structure is only recoverable from each word's coordinates.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from shared.parsers.errors import ParseError


@dataclass(frozen=True)
class Word:
    text: str
    x: float  # left edge, PDF points from the left of the page
    top: float  # distance from the top of the page (grows downwards)
    size: float


def check_pdf_bytes(pdf_bytes: Any, *, source: str) -> bytes:
    """Reject non-bytes, empty and non-PDF bodies (HTML error pages, 403 XML) with a clear message."""
    if not isinstance(pdf_bytes, (bytes, bytearray)):
        raise ParseError(f"expected PDF bytes, got {type(pdf_bytes).__name__}", source=source)
    data = bytes(pdf_bytes)
    if not data.strip():
        raise ParseError("empty body, expected a PDF", source=source)
    if b"%PDF-" not in data[:1024]:
        preview = data[:60].decode("latin-1").replace("\n", " ")
        raise ParseError(f"body is not a PDF (starts with {preview!r})", source=source)
    return data


def open_pdf(data: bytes, *, source: str) -> Any:
    """Open with pypdf (lazy import); structural failures become ParseError."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs recoverable xref problems as warnings; they are reported through our own checks.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        _ = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ParseError(f"unreadable PDF ({type(exc).__name__}: {exc})", source=source) from exc
    return reader


def page_words(page: Any, *, source: str = "pdf") -> list[Word]:
    """Every non-blank text chunk on ``page`` with its position, in reading order (top, then x)."""
    words: list[Word] = []
    height = float(page.mediabox.height)

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        stripped = " ".join(text.split())
        if not stripped:
            return
        # Glyph origin in device space = text matrix translation transformed by the CTM.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        words.append(Word(stripped, round(x, 2), round(height - y, 2), abs(size)))

    try:
        page.extract_text(visitor_text=visit)
    # pypdf surfaces damaged content streams as assorted exception types; all mean "unreadable page".
    except Exception as exc:
        raise ParseError(f"text extraction failed ({type(exc).__name__}: {exc})", source=source) from exc
    words.sort(key=lambda w: (w.top, w.x))
    return words


def group_lines(words: list[Word], tolerance: float = 2.5) -> list[list[Word]]:
    """Cluster words into visual lines by their ``top`` coordinate; each line sorted left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x)):
        if lines and abs(lines[-1][0].top - word.top) <= tolerance:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x) for line in lines]


def join_words(words: list[Word]) -> str:
    """Join word chunks with spaces, except after a trailing hyphen ("Two-" + "Way" -> "Two-Way")."""
    out = ""
    for word in words:
        if not out:
            out = word.text
        elif out.endswith("-") and not out.endswith(" -") and len(out) > 1 and word.text[:1].isalnum():
            out += word.text
        else:
            out += " " + word.text
    return out


def looks_text_mangled(data: bytes) -> bool:
    """True when PDF bytes decode as UTF-8 yet claim compressed streams: a text round-trip casualty.

    Compressed streams are effectively random bytes, so a genuine PDF using FlateDecode is never valid
    UTF-8 as a whole; a file that is has had its invalid sequences dropped by a decode/encode cycle.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"/FlateDecode" in data


def count_broken_streams(reader: Any) -> int:
    """Pages whose content stream cannot be decoded (or is empty)."""
    broken = 0
    for page in reader.pages:
        try:
            contents = page.get_contents()
            raw = contents.get_data() if contents is not None else b""
        except (zlib.error, ValueError, OSError):
            broken += 1
            continue
        if not raw:
            broken += 1
    return broken


def no_text_error(data: bytes, reader: Any, *, source: str, detail: str | None = None) -> ParseError:
    """A ParseError explaining why a PDF yielded no text, naming a text-mangled download explicitly."""
    pages = len(reader.pages)
    broken = count_broken_streams(reader)
    if looks_text_mangled(data):
        return ParseError(
            f"PDF has no readable text: {broken} of {pages} page content streams do not decompress and the "
            "file is valid UTF-8 throughout, so its binary bytes were lost in a text decode/encode "
            "round-trip when it was saved (store the HTTP response bytes unmodified)",
            source=source,
        )
    extra = f" ({detail})" if detail else ""
    return ParseError(
        f"PDF has no extractable text{extra}; {broken} of {pages} page content streams are unreadable "
        "or empty (image-only or damaged PDF)",
        source=source,
    )
