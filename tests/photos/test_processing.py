"""Photograph processing and quality checks on images generated in the test."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageEnhance

from mesoclinic.photos import processing
from mesoclinic.photos.processing import (
    PhotoRejected,
    measure,
    photo_process,
    quality_issues,
    sharpness,
)
from tests.photos.images import (
    blurred,
    exif_with_gps_and_rotation,
    jpeg,
    pattern,
    sharp_jpeg,
)

MB = 1024 * 1024


def test_sharp_pattern_passes_and_its_blurred_copy_is_flagged_blurred():
    sharp = measure(pattern())
    soft = measure(blurred(pattern()))
    assert sharp["sharpness"] > processing.MIN_SHARPNESS * 5
    assert soft["sharpness"] < processing.MIN_SHARPNESS
    assert quality_issues(sharp) == []
    assert quality_issues(soft) == ["blurred"]


def test_sharpness_falls_as_blur_grows():
    base = pattern().convert("L")
    values = [sharpness(blurred(base, r)) for r in (0.5, 2, 4, 8)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("factor", "issue"), [(0.12, "too-dark"), (3.5, "too-bright")], ids=["dark", "bright"]
)
def test_under_and_overexposed_photos_are_flagged(factor, issue):
    image = ImageEnhance.Brightness(pattern()).enhance(factor)
    assert issue in quality_issues(measure(image))


def test_a_small_photo_is_flagged_low_resolution():
    assert quality_issues(measure(pattern(600, 800))) == ["low-resolution"]


def test_orientation_and_framing_are_checked_against_the_baseline():
    portrait = measure(pattern(1200, 1600))
    landscape = measure(pattern(1600, 1200))
    squarer = measure(pattern(1200, 1400))
    assert quality_issues(portrait, baseline=(1200, 1600)) == []
    assert quality_issues(portrait, baseline=(2400, 3200)) == []  # same shape, larger
    assert quality_issues(landscape, baseline=(1200, 1600)) == ["orientation"]
    assert quality_issues(squarer, baseline=(1200, 1600)) == ["framing"]


def test_exif_and_gps_are_stripped_and_orientation_applied():
    source = pattern(1200, 1600)
    data = jpeg(source, exif=exif_with_gps_and_rotation())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # GPS present before
    done = photo_process(data, max_bytes=30 * MB)
    stored = Image.open(io.BytesIO(done.jpeg))
    # Orientation 6: the stored image is turned upright, width and height swapped.
    assert (stored.width, stored.height) == (1600, 1200) == (done.width, done.height)
    exif = stored.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(0x8825)
    assert b"Exif" not in done.jpeg[:4096]
    assert b"TestCam" not in done.jpeg
    thumb = Image.open(io.BytesIO(done.thumbnail))
    assert max(thumb.size) == processing.THUMBNAIL_SIDE
    assert len(thumb.getexif()) == 0


def test_png_and_webp_are_accepted_and_stored_as_jpeg():
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        pattern(1000, 1000).save(out, fmt)
        done = photo_process(out.getvalue(), max_bytes=30 * MB)
        assert Image.open(io.BytesIO(done.jpeg)).format == "JPEG"


def _gif() -> bytes:
    out = io.BytesIO()
    pattern(200, 200).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 not a photo at all", "not-image"),
        (sharp_jpeg()[:5000], "corrupt"),
        (_gif(), "format"),
    ],
    ids=["empty", "text", "truncated-jpeg", "gif"],
)
def test_bad_input_is_refused_with_a_code(data, code):
    with pytest.raises(PhotoRejected) as refused:
        photo_process(data, max_bytes=30 * MB)
    assert refused.value.code == code


def test_a_file_over_the_limit_is_refused_before_decoding():
    with pytest.raises(PhotoRejected) as refused:
        photo_process(sharp_jpeg(), max_bytes=10_000)
    assert refused.value.code == "too-large"


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(processing, "MAX_PIXELS", 1_000_000)
    with pytest.raises(PhotoRejected) as refused:
        photo_process(sharp_jpeg(1200, 1600), max_bytes=30 * MB)
    assert refused.value.code == "too-many-pixels"


def _progressive_with_thumbnail() -> bytes:
    """A progressive JPEG whose EXIF carries a thumbnail with its own end marker."""
    thumb = io.BytesIO()
    pattern(160, 120).save(thumb, "JPEG")
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    out = io.BytesIO()
    pattern(1200, 1600).save(out, "JPEG", progressive=True, exif=exif.tobytes() + thumb.getvalue())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "progressive", "PNG", "WEBP"])
def test_half_a_photo_is_refused_even_where_pillow_tolerates_truncation(monkeypatch, fmt):
    # WeasyPrint turns this on for the whole process when it is imported.
    monkeypatch.setattr("PIL.ImageFile.LOAD_TRUNCATED_IMAGES", True)
    if fmt == "progressive":
        whole = _progressive_with_thumbnail()
    else:
        out = io.BytesIO()
        pattern(1200, 1600).save(out, fmt)
        whole = out.getvalue()
    assert photo_process(whole, max_bytes=30 * MB).width == 1200
    with pytest.raises(PhotoRejected) as refused:
        photo_process(whole[: len(whole) * 2 // 3], max_bytes=30 * MB)
    assert refused.value.code == "corrupt"


def test_photographs_use_a_bucket_only_when_one_is_configured(tmp_path):
    from tests.test_settings import run_python

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.STORAGES['default']; o = d.get('OPTIONS', {}); "
        "print(d['BACKEND'], o.get('bucket_name'), o.get('default_acl'))"
    )
    local = run_python(code, MESOCLINIC_VAR=str(tmp_path), DEBUG="true")
    assert local.stdout.split() == ["django.core.files.storage.FileSystemStorage", "None", "None"]
    bucket = run_python(
        code, MESOCLINIC_VAR=str(tmp_path), DEBUG="true", PHOTO_S3_BUCKET="clinic-photos"
    )
    assert bucket.stdout.split() == ["storages.backends.s3.S3Storage", "clinic-photos", "private"]
