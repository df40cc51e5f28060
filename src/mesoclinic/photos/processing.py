"""Photograph processing and quality checks: pure functions over bytes and Pillow images.

No ORM, no request, no storage here: the services read the upload, call these and
store what they return. Refusals are `PhotoRejected` with a code; the shell turns
the code into a message in the user's language.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError

# Formats a camera or a computer gives; anything else is refused (HEIC needs a plugin
# Pillow does not have: the phone's browser converts to JPEG when capturing).
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 60_000_000
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 90

# Quality thresholds, measured on the image scaled to ANALYSIS_SIDE on its long side so
# that a phone photo and a camera photo are judged alike.
ANALYSIS_SIDE = 1000
MIN_SHARPNESS = 60.0  # variance of the Laplacian (0-255 grey levels)
MIN_SHORT_SIDE = 1000  # pixels
CLIPPED_SHARE = 0.20  # share of pixels black or white beyond which exposure is clipped
DARK_MEAN = 50.0
BRIGHT_MEAN = 215.0
ASPECT_TOLERANCE = 0.08  # relative difference from the baseline's aspect ratio


class PhotoRejected(Exception):
    """The upload is not a usable image; `code` says why (see `services.REJECTION_MESSAGES`)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Processed:
    """A normalised photograph ready to store: JPEG bytes, thumbnail, measurements."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    metrics: dict = field(default_factory=dict)


def _jpeg_complete(data: bytes) -> bool:
    """Whether a JPEG runs from its start marker to its end marker (EOI) without a gap.

    Segments are skipped by their length (an embedded EXIF thumbnail, with its own end
    marker, is inside one); entropy-coded data after each scan header is skipped to the
    next marker (0xFF followed by neither 0x00 nor a restart marker).
    """
    size = len(data)
    pos = 2  # after SOI
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker != 0xDA:  # not a scan: the next marker follows
            continue
        while True:
            pos = data.find(b"\xff", pos)
            if pos < 0 or pos + 1 >= size:
                return False
            following = data[pos + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                pos += 2
                continue
            break
    return size >= pos + 2 and data[pos : pos + 2] == b"\xff\xd9"


def _complete(data: bytes, fmt: str) -> bool:
    """Whether the file holds the whole image, whatever Pillow is told to tolerate.

    WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so Pillow
    alone would accept half a photograph and fill the rest with grey.
    """
    if fmt == "JPEG":
        return _jpeg_complete(data)
    if fmt == "WEBP":
        return len(data) >= 8 + int.from_bytes(data[4:8], "little")
    if fmt == "PNG":
        try:
            Image.open(io.BytesIO(data)).verify()  # reads every chunk up to IEND, checks CRCs
        except (OSError, SyntaxError, ValueError):
            return False
        return True
    return False


def image_open(data: bytes, *, max_bytes: int) -> Image.Image:
    """Open and fully decode an upload, refusing what is not a usable image.

    Codes: "empty", "too-large", "not-image", "format", "too-many-pixels", "corrupt".
    """
    if not data:
        raise PhotoRejected("empty")
    if len(data) > max_bytes:
        raise PhotoRejected("too-large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("format")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected("too-many-pixels")
            if not _complete(data, image.format):
                raise PhotoRejected("corrupt")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("too-many-pixels") from exc
    except UnidentifiedImageError as exc:
        raise PhotoRejected("not-image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected("corrupt") from exc
    return image


def image_normalise(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied), RGB, and with no metadata left (EXIF, GPS, ICC).

    Works in place where it can: a 12-megapixel photo is 36 MB of pixels per copy.
    """
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode != "RGB":
        image = image.convert("RGB")
    # Pixels only: nothing of EXIF, GPS, XMP, ICC or comments is carried to the saved file.
    image.info = {}
    return image


def jpeg_bytes(image: Image.Image, *, quality: int = JPEG_QUALITY) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def reduced(image: Image.Image, *, side: int = ANALYSIS_SIDE) -> Image.Image:
    """A copy at most about `side` pixels on its long side, by fast box reduction."""
    factor = max(1, max(image.size) // side)
    return image.reduce(factor) if factor > 1 else image.copy()


def thumbnail_of(image: Image.Image, *, side: int = THUMBNAIL_SIDE) -> Image.Image:
    thumb = reduced(image, side=side * 2)
    thumb.thumbnail((side, side), Image.Resampling.BILINEAR)
    return thumb


def sharpness(grey: Image.Image) -> float:
    """Variance of the Laplacian: high for crisp edges, low for a blurred or shaken photo."""
    laplacian = grey.filter(
        ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
    )
    return float(ImageStat.Stat(laplacian).var[0])


def measure(image: Image.Image, *, small: Image.Image | None = None) -> dict:
    """Sharpness, brightness and clipping of an image (on a 1000-pixel copy), and its size.

    `small`: that copy, if the caller already has it.
    """
    grey = (small if small is not None else reduced(image)).convert("L")
    hist = grey.histogram()
    total = sum(hist) or 1
    return {
        "sharpness": round(sharpness(grey), 1),
        "mean": round(float(ImageStat.Stat(grey).mean[0]), 1),
        "dark_share": round(sum(hist[:6]) / total, 3),
        "bright_share": round(sum(hist[250:]) / total, 3),
        "width": image.width,
        "height": image.height,
    }


def quality_issues(metrics: dict, *, baseline: tuple[int, int] | None = None) -> list[str]:
    """Checks a photograph fails, as codes, in the order a person should fix them.

    `baseline`: (width, height) of the first photo of the same zone and view, whose
    orientation and framing a later photo must match to be comparable.
    """
    issues: list[str] = []
    if metrics["sharpness"] < MIN_SHARPNESS:
        issues.append("blurred")
    if metrics["mean"] < DARK_MEAN or metrics["dark_share"] > CLIPPED_SHARE:
        issues.append("too-dark")
    elif metrics["mean"] > BRIGHT_MEAN or metrics["bright_share"] > CLIPPED_SHARE:
        issues.append("too-bright")
    if min(metrics["width"], metrics["height"]) < MIN_SHORT_SIDE:
        issues.append("low-resolution")
    if baseline is not None:
        bw, bh = baseline
        w, h = metrics["width"], metrics["height"]
        if (w >= h) != (bw >= bh):
            issues.append("orientation")
        elif abs((w / h) / (bw / bh) - 1) > ASPECT_TOLERANCE:
            issues.append("framing")
    return issues


def photo_process(data: bytes, *, max_bytes: int) -> Processed:
    """Open, normalise and measure an upload; the stored JPEG has no metadata."""
    image = image_normalise(image_open(data, max_bytes=max_bytes))
    jpeg = jpeg_bytes(image)
    small = reduced(image)
    thumb = thumbnail_of(small)
    return Processed(
        jpeg=jpeg,
        thumbnail=jpeg_bytes(thumb, quality=80),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        metrics=measure(image, small=small),
    )
