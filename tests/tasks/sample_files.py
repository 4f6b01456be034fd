"""Real files of the types offices attach, made with the libraries that read them."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def docx_bytes(text: str = "Báo cáo kết quả thực hiện") -> bytes:
    """A Word document."""
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(value: str = "Tổng hợp số liệu") -> bytes:
    """An Excel workbook."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A one-page PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Kế hoạch"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid grey PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def odt_bytes() -> bytes:
    """An OpenDocument text file (the stored `mimetype` member first, as the format says)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return out.getvalue()


def exe_bytes() -> bytes:
    """The start of a Windows executable."""
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"\x00" * 200


def zip_bytes() -> bytes:
    """A plain zip archive (not an office document)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("virus.exe", exe_bytes())
    return out.getvalue()
