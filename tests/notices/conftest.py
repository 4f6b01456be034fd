"""Helpers for the notice reader's tests: test notices on disk and hand-made PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def make_text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines`. Each character gets a one-byte code that a
    ToUnicode map turns back into the character, so Vietnamese needs no embedded font."""
    chars = sorted({ch for line in lines for ch in line})
    assert len(chars) < 250, "too many distinct characters for one-byte codes"
    code = {ch: i + 1 for i, ch in enumerate(chars)}
    content = ["BT", "/F1 11 Tf", "40 800 Td", "14 TL"]
    for line in lines:
        content.append("<" + "".join(f"{code[ch]:02X}" for ch in line) + "> Tj T*")
    content.append("ET")
    stream = "\n".join(content).encode("ascii")
    cmap_lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CMapName /Custom def /CMapType 2 def",
        "1 begincodespacerange <01> <FF> endcodespacerange",
    ]
    for start in range(0, len(chars), 100):
        chunk = chars[start : start + 100]
        cmap_lines.append(f"{len(chunk)} beginbfchar")
        cmap_lines += [f"<{code[ch]:02X}> <{ord(ch):04X}>" for ch in chunk]
        cmap_lines.append("endbfchar")
    cmap_lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    cmap = "\n".join(cmap_lines).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def data_dir() -> Path:
    """The folder of the project's own test notices (NN.txt + NN.expected.json)."""
    return DATA


@pytest.fixture
def text_pdf():
    """make_text_pdf, for tests that need a PDF with a text layer."""
    return make_text_pdf
