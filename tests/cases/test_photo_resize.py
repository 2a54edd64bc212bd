"""Photos from phones: a large photo is scaled down (aspect kept, upright, no metadata), not refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reunite.cases import add_photo, import_found, import_reports
from reunite.cases.photos import MAX_SIDE, clean_photo, photo_path

from .test_photo_metadata import assert_clean, jpeg_with_gps


def phone_jpeg(size=(4000, 3000), orientation: int | None = 6) -> bytes:
    """A 12-megapixel phone photo: EXIF with the camera's orientation tag and a GPS position, noisy
    pixels so that it is as large as a phone's file (several megabytes)."""
    im = Image.effect_noise(size, 60).convert("RGB")
    # a marker in the top-left corner, to check the rotation: red pixels stay at the photo's "top" edge
    im.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 8))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 30.0), 3: "E", 4: (102.0, 42.0, 10.0)}
    if orientation is not None:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture
def cases(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    return session


def test_a_12_megapixel_phone_photo_is_stored_at_1600_px_upright_and_clean(cases, media):
    data = phone_jpeg()
    assert len(data) > 4_000_000, len(data)   # the size phones send
    p = add_photo(cases, data, report="R-1", user="family", media=media)
    stored = photo_path(p, media).read_bytes()
    assert_clean(stored)
    with Image.open(io.BytesIO(stored)) as im:
        # orientation 6 (rotate 90° clockwise to display): 4000×3000 becomes 3000×4000 upright, then 1200×1600
        assert im.size == (1200, 1600) == (p.width, p.height)
        # the red corner was the top-left of the sensor's image; turned clockwise it is at the top right
        assert im.getpixel((1200 - 20, 20))[0] > 200 and im.getpixel((20, 20))[0] < 200
    assert p.size_bytes == len(stored) < len(data) / 4


def test_aspect_ratio_is_kept_and_small_photos_keep_their_size():
    clean, info = clean_photo(phone_jpeg((3000, 1000), orientation=None))
    assert (info.width, info.height) == (MAX_SIDE, 533)   # 1600 × 1000/3000 = 533.3
    clean, info = clean_photo(jpeg_with_gps((40, 20)))
    assert (info.width, info.height) == (40, 20)
    assert_clean(clean)


def test_a_large_png_with_a_palette_is_scaled_too():
    im = Image.new("P", (2400, 1200))
    im.putpalette([i % 256 for i in range(768)])
    buf = io.BytesIO()
    im.save(buf, "PNG")
    _clean, info = clean_photo(buf.getvalue())
    assert (info.width, info.height, info.mime) == (1600, 800, "image/png")


def test_max_side_none_keeps_the_full_size():
    _clean, info = clean_photo(phone_jpeg((2000, 1000), orientation=None), max_side=None)
    assert (info.width, info.height) == (2000, 1000)
