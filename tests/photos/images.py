"""Fixture photographs made with Pillow: a sharp pattern, a blurred copy, EXIF with GPS."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter


def pattern(width: int = 1200, height: int = 1600, seed: int = 0) -> Image.Image:
    """A sharp test pattern: lines and rings on a skin-toned ground."""
    image = Image.new("RGB", (width, height), (205, 172, 150))
    draw = ImageDraw.Draw(image)
    for x in range(seed % 17, width, 40):
        draw.line([(x, 0), (x, height)], fill=(70, 45, 35), width=3)
    for y in range(seed % 23, height, 55):
        draw.line([(0, y), (width, y)], fill=(95, 65, 55), width=2)
    for i in range(30):
        x, y = (i * 37 + seed) % width, (i * 53 + seed) % height
        draw.ellipse([x, y, x + 80, y + 80], outline=(25, 20, 20), width=4)
    return image


def blurred(image: Image.Image, radius: float = 8) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def jpeg(image: Image.Image, *, exif: Image.Exif | None = None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "JPEG", quality=quality, exif=exif)
    else:
        image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def exif_with_gps_and_rotation() -> Image.Exif:
    """EXIF saying "rotate 90° clockwise to view" (orientation 6) with a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "TestCam"  # Make
    gps = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    exif[0x8825] = gps
    return exif


def sharp_jpeg(width: int = 1200, height: int = 1600, seed: int = 0) -> bytes:
    return jpeg(pattern(width, height, seed))


def blurred_jpeg(width: int = 1200, height: int = 1600) -> bytes:
    return jpeg(blurred(pattern(width, height)))
