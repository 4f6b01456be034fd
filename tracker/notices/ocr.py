"""Scanned notices (photos, PDFs without a text layer) to text with the Tesseract OCR engine."""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tracker.notices.extract import N_, NoticeReadError

__all__ = [
    "MAX_PAGES",
    "OCR_SECONDS",
    "PageImage",
    "ScannedText",
    "ocr_available",
    "read_image",
    "read_scanned_pdf",
]

# Limits that keep a hostile or careless upload from holding a web worker for minutes: a
# notice is one to four pages; an A4 page at 300 dpi is 8.7 million pixels and OCRs in 2-4 s.
MAX_PAGES = 5
MAX_IMAGE_PIXELS = 60_000_000  # a 50-megapixel phone photo still passes
MAX_OCR_PIXELS = 12_000_000  # larger pages are scaled down before recognition
MIN_LONG_SIDE = 1800  # smaller photos are scaled up: Tesseract wants letters 20+ px high
PDF_DPI = 300
# For all pages together (TRACKER_OCR_SECONDS): give gunicorn a worker timeout above it.
OCR_SECONDS = 40.0
DISPLAY_LONG_SIDE = 1600  # the page image kept for the review screen
# Tesseract's OpenMP threads cost more than they bring on small machines: one thread per
# process is about twice as fast here (1.9 s against 4.3 s for a page on 2 cores).
_TESSERACT_ENV = {"OMP_THREAD_LIMIT": "1"}

MISSING_MESSAGE = N_(
    "Máy chủ chưa cài bộ nhận dạng chữ Tesseract (tiếng Việt) nên chưa đọc được bản scan hoặc "
    "ảnh chụp. Hãy dùng tệp .docx, PDF gốc hoặc dán nội dung văn bản; quản trị viên có thể cài "
    "bằng lệnh: apt-get install tesseract-ocr tesseract-ocr-vie."
)
TOO_SLOW_MESSAGE = N_(
    "Nhận dạng bản scan mất quá lâu nên đã dừng. Hãy tải lên bản scan rõ hơn, "
    "ít trang hơn, hoặc dùng tệp .docx/PDF gốc."
)


@dataclass
class PageImage:
    """One recognised page: the upright image kept for the review screen and what was read."""

    number: int  # from 1
    image: bytes  # JPEG, grey, at most DISPLAY_LONG_SIDE px
    width: int
    height: int
    rotation: int  # degrees the scan was turned (clockwise) to stand upright
    text: str
    confidence: float | None  # mean word confidence 0..1, None when no word was read
    seconds: float
    doubtful_words: list[str] = field(default_factory=list)  # read with low confidence


@dataclass
class ScannedText:
    """The text of a scanned notice, page after page, with the pages it was read from."""

    pages: list[PageImage] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The pages' text, one blank line between pages."""
        return "\n\n".join(page.text for page in self.pages)

    @property
    def confidence(self) -> float | None:
        """Mean of the pages' confidences."""
        values = [p.confidence for p in self.pages if p.confidence is not None]
        return sum(values) / len(values) if values else None


@functools.cache
def _tesseract() -> str | None:
    """The tesseract binary when it is installed with Vietnamese, else None."""
    binary = shutil.which("tesseract")
    if binary is None:
        return None
    try:
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    languages = set(listed.stdout.decode("utf-8", "replace").split())
    return binary if "vie" in languages else None


def ocr_available() -> bool:
    """True when scanned notices can be read here (Tesseract with its Vietnamese data)."""
    return _tesseract() is not None


class _Clock:
    """The time left for one upload's recognition."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise NoticeReadError(TOO_SLOW_MESSAGE)
        return left


def _run_tesseract(image_png: bytes, args: list[str], clock: _Clock) -> str:
    binary = _tesseract()
    if binary is None:
        raise NoticeReadError(MISSING_MESSAGE)
    try:
        done = subprocess.run(
            [binary, "stdin", "stdout", *args],
            input=image_png,
            capture_output=True,
            timeout=clock.left(),
            env={**os.environ, **_TESSERACT_ENV},
            check=False,
        )
    except subprocess.TimeoutExpired as error:  # run() has killed tesseract
        raise NoticeReadError(TOO_SLOW_MESSAGE) from error
    except OSError as error:
        raise NoticeReadError(MISSING_MESSAGE) from error
    if done.returncode != 0:
        return ""  # "Too few characters" and the like: nothing readable on this page
    return done.stdout.decode("utf-8", "replace")


def _png(image: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


def _orientation(png: bytes, clock: _Clock) -> tuple[int, float]:
    """Tesseract's orientation detection: degrees to turn clockwise, and its confidence."""
    output = _run_tesseract(png, ["--psm", "0", "-l", "osd"], clock)
    rotate = re.search(r"Rotate:\s*(\d+)", output)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", output)
    if rotate is None or confidence is None:
        return 0, 0.0
    return int(rotate.group(1)) % 360, float(confidence.group(1))


def _skew_angle(image: object) -> float:
    """The small tilt of a photo or a crooked scan, found as the angle at which the rows of ink
    line up best (the variance of the row darkness is highest), from -6 to 6 degrees."""
    from PIL import Image, ImageOps

    small = ImageOps.invert(image.convert("L"))  # type: ignore[attr-defined]
    small.thumbnail((700, 700))
    small = small.point(lambda v: 255 if v > 96 else 0)

    def score(angle: float) -> float:
        turned = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        mean = sum(rows) / len(rows)
        return sum((v - mean) ** 2 for v in rows)

    best = max((a / 2 for a in range(-12, 13)), key=score)
    fine = max((best + a / 10 for a in range(-4, 5)), key=score)
    return fine if abs(fine) >= 0.3 else 0.0


@dataclass
class _Reading:
    text: str
    confidence: float | None
    doubtful: list[str]  # words read with a low confidence
    sideways: bool  # most words stand taller than wide: Tesseract read the page turned


# Words read with less confidence than this are pointed out on the review screen.
DOUBTFUL_WORD = 60.0


def _words(tsv: str) -> Iterator[tuple[tuple[int, int, int], str, float, bool]]:
    """(block, paragraph, line), word, confidence, taller than wide, for each word of
    Tesseract's TSV output."""
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        try:
            confidence = float(cells[10])
            tall = int(cells[9]) > int(cells[8]) and len(word) >= 3
        except ValueError:
            continue
        if word and confidence >= 0:
            yield (int(cells[2]), int(cells[3]), int(cells[4])), word, confidence, tall


def _text_of(tsv: str) -> _Reading:
    """The page's text (a line per line, a blank line between blocks), mean confidence, the
    doubtful words and whether the page lay on its side."""
    lines: list[str] = []
    current: tuple[int, int, int] | None = None
    words: list[str] = []
    confidences: list[float] = []
    doubtful: list[str] = []
    tall_words = long_words = 0
    for key, word, confidence, tall in _words(tsv):
        if len(word) >= 3:
            long_words += 1
            tall_words += tall
        if confidence < DOUBTFUL_WORD and any(ch.isalnum() for ch in word):
            doubtful.append(word)
        if key != current:
            if words:
                lines.append(" ".join(words))
            if current is not None and key[:2] != current[:2]:
                lines.append("")
            current, words = key, []
        words.append(word)
        confidences.append(confidence)
    if words:
        lines.append(" ".join(words))
    mean = sum(confidences) / len(confidences) / 100 if confidences else None
    sideways = long_words >= 5 and tall_words > long_words / 2
    return _Reading("\n".join(lines).strip(), mean, doubtful, sideways)


def _recognise(image: object, clock: _Clock, dpi: int | None) -> _Reading:
    args = ["-l", "vie", "--psm", "3"]
    if dpi:
        args += ["--dpi", str(dpi)]
    return _text_of(_run_tesseract(_png(image), [*args, "tsv"], clock))


def _prepare(image: object) -> object:
    """Grey, EXIF-upright, and sized for recognition."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)  # type: ignore[arg-type]
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGBA") if "A" in image.mode or image.mode == "P" else image
        if image.mode == "RGBA":  # transparent PNG: paper is white
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
    image = image.convert("L")
    pixels = image.width * image.height
    if pixels > MAX_OCR_PIXELS:
        factor = (MAX_OCR_PIXELS / pixels) ** 0.5
        image = image.resize(
            (int(image.width * factor), int(image.height * factor)), Image.Resampling.LANCZOS
        )
    elif max(image.size) < MIN_LONG_SIDE:
        factor = min(2.0, MIN_LONG_SIDE / max(image.size))
        image = image.resize(
            (int(image.width * factor), int(image.height * factor)), Image.Resampling.LANCZOS
        )
    return image


def _straighten(image: object) -> object:
    from PIL import Image

    tilt = _skew_angle(image)
    if not tilt:
        return image
    return image.rotate(  # type: ignore[attr-defined]
        tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )


# A page read with at least this mean word confidence is taken as upright; below it the page
# may be sideways or upside down, and Tesseract's orientation detection is asked.
UPRIGHT_CONFIDENCE = 0.7


def _read_page(number: int, image: object, clock: _Clock, dpi: int | None) -> PageImage:
    """Straighten the small tilt and recognise the page; when it reads poorly or on its side,
    turn it upright by Tesseract's orientation detection (or, when that is unsure, by trying
    the other quarter turns). Keeps a display copy of the page, upright."""
    started = time.monotonic()
    clock.left()  # each step checks the time left, not only Tesseract's runs
    image = _prepare(image)
    clock.left()
    image = _straighten(image)
    reading = _recognise(image, clock, dpi)
    rotation = 0
    poor = reading.confidence is not None and reading.confidence < UPRIGHT_CONFIDENCE
    if poor or reading.sideways:
        turn, sure = _orientation(_png(image), clock)
        # Orientation detection needs enough letters; when it is unsure, try every turn.
        turns = ([turn] if turn else []) if sure >= 1.0 else [90, 180, 270]
        for candidate in turns:
            turned = _straighten(
                image.rotate(-candidate, expand=True, fillcolor=255)  # type: ignore[attr-defined]
            )
            if reading.sideways and not poor and candidate in (90, 270):
                # Tesseract read the lines turned already: only the page image is turned.
                image, rotation = turned, candidate
                break
            other = _recognise(turned, clock, dpi)
            if (other.confidence or 0) > (reading.confidence or 0) + 0.05:
                image, reading, rotation = turned, other, candidate
    display = image.copy()  # type: ignore[attr-defined]
    display.thumbnail((DISPLAY_LONG_SIDE, DISPLAY_LONG_SIDE))
    buffer = io.BytesIO()
    display.save(buffer, format="JPEG", quality=70, optimize=True)
    return PageImage(
        number=number,
        image=buffer.getvalue(),
        width=display.width,
        height=display.height,
        rotation=rotation,
        text=reading.text,
        confidence=reading.confidence,
        seconds=round(time.monotonic() - started, 2),
        doubtful_words=reading.doubtful,
    )


def _finish(scanned: ScannedText) -> ScannedText:
    if sum(ch.isalpha() for ch in scanned.text) < 20:
        raise NoticeReadError(
            N_(
                "Không nhận dạng được chữ trong ảnh hoặc bản scan này. Hãy chụp lại rõ hơn "
                "(đủ sáng, thẳng trang, cả trang trong khung hình) hoặc dùng tệp gốc."
            )
        )
    return scanned


def read_image(data: bytes, seconds: float = OCR_SECONDS) -> ScannedText:
    """Recognise a photo or scan (JPEG, PNG, TIFF; a TIFF may hold several pages)."""
    if not ocr_available():
        raise NoticeReadError(MISSING_MESSAGE)
    from PIL import Image, ImageSequence, UnidentifiedImageError

    clock = _Clock(seconds)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            # The size comes from the header: a decompression bomb is refused before decoding.
            if picture.width * picture.height > MAX_IMAGE_PIXELS:
                raise NoticeReadError(
                    N_(
                        "Ảnh quá lớn (trên 60 triệu điểm ảnh). Hãy chụp hoặc scan ở độ phân giải thấp hơn."
                    )
                )
            frames = getattr(picture, "n_frames", 1)
            if frames > MAX_PAGES:
                raise NoticeReadError(
                    N_(
                        "Bản scan quá nhiều trang (tối đa 5 trang một lần). Hãy tách thành nhiều tệp."
                    )
                )
            pages = []
            for number, frame in enumerate(ImageSequence.Iterator(picture), start=1):
                frame.load()
                pages.append(_read_page(number, frame.copy(), clock, None))
    except NoticeReadError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise NoticeReadError(
            N_("Tệp ảnh bị hỏng hoặc không phải ảnh JPEG/PNG, không đọc được.")
        ) from error
    return _finish(ScannedText(pages))


def read_scanned_pdf(data: bytes, seconds: float = OCR_SECONDS) -> ScannedText:
    """Render each page of a PDF without a text layer and recognise it."""
    if not ocr_available():
        raise NoticeReadError(MISSING_MESSAGE)
    import pypdfium2

    clock = _Clock(seconds)
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise NoticeReadError(N_("Tệp PDF bị hỏng hoặc có mật khẩu, không đọc được.")) from error
    try:
        if len(document) > MAX_PAGES:
            raise NoticeReadError(
                N_("Bản scan quá nhiều trang (tối đa 5 trang một lần). Hãy tách thành nhiều tệp.")
            )
        pages = []
        for index in range(len(document)):
            clock.left()
            page = document[index]
            width, height = page.get_size()  # points, 1/72 inch
            scale = PDF_DPI / 72
            if width * height * scale * scale > MAX_OCR_PIXELS:
                # A poster-sized page is rendered smaller, never past the pixel cap.
                scale = (MAX_OCR_PIXELS / (width * height)) ** 0.5
            dpi = round(scale * 72)
            bitmap = page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil().copy()  # to_pil() shares the bitmap's memory
            bitmap.close()
            page.close()
            pages.append(_read_page(index + 1, image, clock, dpi))
    finally:
        document.close()
    return _finish(ScannedText(pages))
