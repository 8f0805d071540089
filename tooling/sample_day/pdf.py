"""A small, dependency-free PDF writer: Helvetica text placed at (x, y) on pages, nothing else.

Why our own: the sample day must serve real PDFs (injury reports, gamebooks) that the product's parsers read
with pypdf, and the project must not depend on a PDF library just to write sample data. The NBA's PDFs emit
every word as its own text object at its own position (`Page.words` does the same), which is what
`shared.parsers.nba_injury_report` relies on to rebuild table rows from coordinates.

Output: PDF 1.4, one content stream per page (Flate-compressed with zlib, as real files are), the standard
Helvetica font (no embedding needed), WinAnsi encoding, a cross-reference table and an Info dictionary.
Deterministic: the same calls give the same bytes (no timestamps unless given, no random ids).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

# Helvetica advance widths (1/1000 em) for WinAnsi 32..126, from the standard Adobe font metrics.
_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # 'p'..'~'
)  # fmt: skip


def text_width(text: str, size: float) -> float:
    """Width of `text` in points at font size `size` (non-ASCII counts as a wide glyph)."""
    return sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) <= 126 else 556 for c in text) * size / 1000


def _escape(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def number_field(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


@dataclass
class Page:
    """One page; coordinates in points from the bottom-left corner (PDF's own convention)."""

    width: float = 612.0
    height: float = 792.0
    ops: list[bytes] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float = 10.0, bold: bool = False) -> float:
        """Draw `text` as ONE text object with its left baseline at (x, y); returns the x after it."""
        if text:
            font = b"/F2" if bold else b"/F1"
            self.ops.append(
                b"BT %s %s Tf 1 0 0 1 %s %s Tm (%s) Tj ET"
                % (font, number_field(size).encode(), number_field(x).encode(), number_field(y).encode(), _escape(text))
            )
        return x + text_width(text, size)

    def words(self, x: float, y: float, text: str, size: float = 10.0, bold: bool = False) -> float:
        """Draw `text` one word per text object (as the NBA's report generator does); returns the end x."""
        space = text_width(" ", size)
        for k, word in enumerate(text.split()):
            if k:
                x += space
            x = self.text(x, y, word, size, bold)
        return x

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5) -> None:
        self.ops.append(b"%s w %s %s m %s %s l S" % tuple(number_field(v).encode() for v in (width, x1, y1, x2, y2)))


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)  # Title, Creator, Producer, CreationDate ("D:...")
    compress: bool = True

    def page(self, width: float = 612.0, height: float = 792.0) -> Page:
        p = Page(width, height)
        self.pages.append(p)
        return p

    def to_bytes(self) -> bytes:
        """The PDF file. Object layout: 1 catalog, 2 pages, 3-4 fonts, 5 info, then page + content pairs."""
        objects: list[bytes] = [b"", b"", b"", b"", b""]
        kids = []
        for page in self.pages:
            content = b"\n".join(page.ops)
            if self.compress:
                data = zlib.compress(content, 9)
                stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
            else:
                stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
            page_no = len(objects) + 1
            kids.append(page_no)
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
                b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>"
                % (number_field(page.width).encode(), number_field(page.height).encode(), page_no + 1)
            )
            objects.append(stream)
        objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
        objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids),
            len(kids),
        )
        objects[2] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
        objects[4] = b"<< %s >>" % b" ".join(b"/%s (%s)" % (k.encode(), _escape(v)) for k, v in self.info.items())

        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment: marks the file as binary
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)


def lines_pdf(lines: list[str], size: float = 8.0, leading: float = 10.0) -> bytes:
    """A one-page PDF with one text line per entry, top to bottom (tests of the text parsers use it)."""
    doc = Document()
    page = doc.page()
    y = page.height - 22
    for line in lines:
        page.text(20, y, line, size)
        y -= leading
    return doc.to_bytes()
