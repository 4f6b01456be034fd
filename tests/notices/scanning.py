"""Fake scans for the OCR tests: the project's own notices drawn on A4 pages with Pillow, then
tilted, turned and soiled the way a phone photo or an office scanner leaves them."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Fonts from Debian's fonts-dejavu-core and fonts-noto-core; the first one found that draws
# every Vietnamese letter is used (some builds of Liberation lack ệ, ủ, ợ ...).
_FONT_FILES = (
    "DejaVuSerif.ttf",
    "NotoSerif-Regular.ttf",
    "LiberationSerif-Regular.ttf",
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
)
_VIETNAMESE_SAMPLE = "ệủốợữẫỷđƯ"


def _draws_vietnamese(path: Path) -> bool:
    """True when no letter of the sample falls back to the font's empty box (.notdef)."""
    font = ImageFont.truetype(str(path), 40)
    missing = bytes(font.getmask("\U0010fffd"))  # a code point no font has
    return all(bytes(font.getmask(ch)) != missing for ch in _VIETNAMESE_SAMPLE)


A4_300DPI = (2480, 3508)


def find_font() -> Path | None:
    """A TrueType font with Vietnamese letters on this machine, or None."""
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
    for name in _FONT_FILES:
        for root in roots:
            found = next(root.rglob(name), None) if root.is_dir() else None
            if found is not None and _draws_vietnamese(found):
                return found
    if shutil.which("fc-match"):
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=vi"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out.endswith((".ttf", ".otf")) and Path(out).exists() and _draws_vietnamese(Path(out)):
            return Path(out)
    return None


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        if not words:
            lines.append("")
            continue
        for word in words:
            candidate = f"{line} {word}".strip()
            if font.getlength(candidate) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def render_pages(
    text: str,
    font_path: Path,
    *,
    pages: int = 1,
    tilt: float = 0.0,
    quarter_turn: int = 0,
    noise: float = 0.0,
    blur: float = 0.0,
    size: tuple[int, int] = A4_300DPI,
    seed: int = 0,
) -> list[Image.Image]:
    """`text` typeset in 11 pt on A4 at 300 dpi, its lines spread over `pages` pages; each page
    tilted by `tilt` degrees, turned by `quarter_turn` × 90 degrees counter-clockwise, with a
    `noise` share of pixels flipped to specks and a light blur (a photo's softness)."""
    rnd = random.Random(seed)
    font = ImageFont.truetype(str(font_path), 46)
    margin = 236  # 2 cm
    lines = _wrap(text, font, size[0] - 2 * margin)
    per_page = -(-len(lines) // pages)
    images = []
    for start in range(0, len(lines), per_page):
        page = Image.new("L", size, 250)
        draw = ImageDraw.Draw(page)
        y = margin
        for line in lines[start : start + per_page]:
            draw.text((margin, y), line, font=font, fill=20)
            y += 66
        if tilt:
            page = page.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=250)
        if noise:
            pixels = page.load()
            for _ in range(int(size[0] * size[1] * noise)):
                x, yy = rnd.randrange(size[0]), rnd.randrange(size[1])
                pixels[x, yy] = rnd.choice((0, 90, 160, 255))
        if blur:
            page = page.filter(ImageFilter.GaussianBlur(blur))
        if quarter_turn:
            page = page.rotate(90 * quarter_turn, expand=True)
        images.append(page)
    return images


def image_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    """The image saved as PNG or JPEG (a phone's quality)."""
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=80)
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def image_pdf(images: list[Image.Image]) -> bytes:
    """A PDF of page images only (no text layer), as a scanner makes."""
    buffer = io.BytesIO()
    first, *rest = [image.convert("L") for image in images]
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=300)
    return buffer.getvalue()
