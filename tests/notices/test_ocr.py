"""Scanned notices: the project's own notices drawn as photos and scans, recognised with
Tesseract, and read as well as the same notices given as text."""

from __future__ import annotations

import io
import json
import subprocess
import time
from pathlib import Path

import docx
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from tests.notices.scanning import find_font, image_bytes, image_pdf, render_pages
from tracker.notices import files, ocr
from tracker.notices.evaluate import NoticeScore, score_notice
from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.files import read_notice_bytes, read_notice_document

SCANS = Path(__file__).parent / "scans"
# Generous: the test machine is shared and loaded; the production limit is tested apart.
SECONDS = 600.0

needs_ocr = pytest.mark.skipif(
    not ocr.ocr_available(),
    reason="Tesseract with Vietnamese is not installed (apt-get install tesseract-ocr-vie)",
)


@pytest.fixture(scope="module")
def font() -> Path:
    """A font that draws Vietnamese, or the test is skipped with the package to install."""
    found = find_font()
    if found is None:
        pytest.skip("no Vietnamese-capable font (apt-get install fonts-dejavu-core)")
    return found


def _expected(stem: str) -> list[dict[str, object]]:
    return json.loads((SCANS / f"{stem}.expected.json").read_text(encoding="utf-8"))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def character_accuracy(truth: str, read: str) -> float:
    """1 - the normalised edit distance between the two texts, whitespace runs as one space."""
    return 1 - Levenshtein.normalized_distance(_squeeze(truth), _squeeze(read))


# Each notice as one kind of bad copy: a phone photo (JPEG, tilted, soft, lying on its side),
# an office scan (PNG, slightly crooked, specks) and a two-page scanned PDF whose second page
# was fed upside down.
VARIANTS = {
    "sc-01": ("photo.jpg", {"tilt": -2.5, "quarter_turn": 1, "noise": 0.004, "blur": 1.0}),
    "sc-02": ("scan.png", {"tilt": 1.5, "noise": 0.008, "blur": 0.6}),
    "sc-03": ("scan.pdf", {"tilt": 0.8, "noise": 0.004, "pages": 2}),
}


def _scan(stem: str, font: Path) -> tuple[str, bytes]:
    name, options = VARIANTS[stem]
    text = (SCANS / f"{stem}.txt").read_text(encoding="utf-8")
    images = render_pages(text, font, seed=len(stem) + int(stem[-1]), **options)  # type: ignore[arg-type]
    if name.endswith(".pdf"):
        images[-1] = images[-1].rotate(180)
        return name, image_pdf(images)
    return name, image_bytes(images[0], "JPEG" if name.endswith(".jpg") else "PNG")


@needs_ocr
def test_scanned_notices_read_nearly_as_well_as_text(font: Path) -> None:
    text_score, scan_score = NoticeScore(), NoticeScore()
    accuracies: list[float] = []
    page_seconds: list[float] = []
    rotations: dict[str, list[int]] = {}
    for stem in VARIANTS:
        truth = (SCANS / f"{stem}.txt").read_text(encoding="utf-8")
        expected = _expected(stem)
        text_score += score_notice(read_notice(truth).to_dict()["tasks"], expected)
        name, data = _scan(stem, font)
        started = time.monotonic()
        document = read_notice_document(data, name, ocr_seconds=SECONDS)
        elapsed = time.monotonic() - started
        assert document.kind == "scan" and document.pages
        page_seconds.append(elapsed / len(document.pages))
        rotations[stem] = [page.rotation for page in document.pages]
        accuracies.append(character_accuracy(truth, document.text))
        scan_score += score_notice(read_notice(document.text).to_dict()["tasks"], expected)
        # The page kept for the review screen is a JPEG that opens, upright.
        for page in document.pages:
            with Image.open(io.BytesIO(page.image)) as shown:
                assert shown.format == "JPEG" and shown.height > shown.width
    text, scan = text_score.summary(), scan_score.summary()
    figures = {
        "character_accuracy_mean": round(sum(accuracies) / len(accuracies), 4),
        "character_accuracy_min": round(min(accuracies), 4),
        "text": text,
        "scan": scan,
        "seconds_per_page_mean": round(sum(page_seconds) / len(page_seconds), 1),
        "seconds_per_page_max": round(max(page_seconds), 1),
        "rotations": rotations,
    }
    print("\nOCR figures:", json.dumps(figures, ensure_ascii=False))
    assert rotations["sc-01"] == [90] and rotations["sc-03"] == [0, 180]
    assert min(accuracies) >= 0.97
    assert scan["task_f1"] >= 0.9 * text["task_f1"]
    assert scan["lead_accuracy"] >= 0.9 * text["lead_accuracy"]


@needs_ocr
def test_the_time_limit_stops_recognition_with_a_clear_message(font: Path) -> None:
    pages = render_pages((SCANS / "sc-02.txt").read_text(encoding="utf-8"), font, pages=3)
    data = image_pdf(pages)
    started = time.monotonic()
    with pytest.raises(NoticeReadError, match="quá lâu"):
        read_notice_document(data, "scan.pdf", ocr_seconds=1.0)
    # Stopped within the page it was on, not after all three (a loaded machine may be slow).
    assert time.monotonic() - started < 30


@needs_ocr
def test_too_many_pages_are_refused_before_any_recognition() -> None:
    pages = [Image.new("L", (200, 280), 255) for _ in range(ocr.MAX_PAGES + 1)]
    with pytest.raises(NoticeReadError, match="tối đa 5 trang"):
        read_notice_bytes(image_pdf(pages), "scan.pdf")
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    with pytest.raises(NoticeReadError, match="tối đa 5 trang"):
        read_notice_bytes(buffer.getvalue(), "scan.tif")


@needs_ocr
def test_an_image_too_large_is_refused_from_its_header() -> None:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 7_000), 1).save(buffer, format="PNG")  # 70 MP in a few kB
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(NoticeReadError, match="Ảnh quá lớn"):
        read_notice_bytes(buffer.getvalue(), "photo.png")


@needs_ocr
def test_a_file_named_like_a_photo_that_is_none() -> None:
    with pytest.raises(NoticeReadError, match="không phải ảnh"):
        read_notice_bytes(b"this is not a photo at all", "photo.jpg")


def test_without_tesseract_a_scan_gets_a_clear_message(monkeypatch, font: Path) -> None:
    monkeypatch.setattr(ocr, "_tesseract", lambda: None)
    _name, data = _scan("sc-02", font)
    with pytest.raises(NoticeReadError, match="chưa cài bộ nhận dạng chữ Tesseract"):
        read_notice_bytes(data, "scan.png")
    with pytest.raises(NoticeReadError, match="không có lớp văn bản"):
        read_notice_bytes(image_pdf(render_pages("Giao Phòng Nội vụ", font)), "scan.pdf")


def _doc_bytes(tmp_path: Path, lines: list[str]) -> bytes:
    """An old Word .doc made the way offices made them: saved by an office suite."""
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    source = tmp_path / "tb.docx"
    document.save(source)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            files._soffice() or "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return (tmp_path / "out" / "tb.doc").read_bytes()


@pytest.mark.skipif(
    files._soffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_old_word_doc_is_read_through_libreoffice(tmp_path: Path) -> None:
    lines = (SCANS / "sc-01.txt").read_text(encoding="utf-8").splitlines()
    data = _doc_bytes(tmp_path, lines)
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an OLE compound file, not a renamed .docx
    document = read_notice_document(data, "tb.doc")
    assert document.kind == "doc"
    score = score_notice(read_notice(document.text).to_dict()["tasks"], _expected("sc-01"))
    assert score.summary()["task_f1"] == 1.0
    with pytest.raises(NoticeReadError, match=r"\.doc"):
        read_notice_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "broken.doc")


def test_old_word_doc_without_libreoffice_says_what_to_do(monkeypatch) -> None:
    monkeypatch.setattr(files, "_soffice", lambda: None)
    with pytest.raises(NoticeReadError, match=r"LibreOffice.*docx"):
        read_notice_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "tb.doc")
