"""Photos are stored without metadata: no EXIF (GPS position included), ICC or XMP; orientation kept."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from reunite.cases import add_photo, import_found, import_reports
from reunite.cases.models import FoundChild, Photo
from reunite.cases.photos import ImageInfo, _store, photo_path, strip_metadata, strip_stored_metadata


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    im = Image.new("RGB", size, (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (25.0, 2.0, 30.0), 3: "E", 4: (102.0, 42.0, 10.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    if orientation is not None:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128 + b"fake-icc")
    data = buf.getvalue()
    assert b"Exif" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def assert_clean(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as im:
        assert not dict(im.getexif())
        assert "icc_profile" not in im.info and "exif" not in im.info and "xmp" not in im.info
    assert b"Exif" not in data and b"GPS" not in data and b"PhoneMaker" not in data and b"fake-icc" not in data


@pytest.fixture
def cases(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    return session


def test_an_uploaded_jpeg_is_stored_without_its_exif_and_gps(cases, media):
    p = add_photo(cases, jpeg_with_gps(), found_child="KM-002", user="caseworker", media=media)
    stored = photo_path(p, media).read_bytes()
    assert_clean(stored)
    assert (p.width, p.height, p.size_bytes, p.mime) == (40, 20, len(stored), "image/jpeg")
    # The same upload again is the same clean photo.
    assert add_photo(cases, jpeg_with_gps(), found_child="KM-002", user="caseworker", media=media).id == p.id


def test_orientation_is_applied_to_the_pixels():
    clean = strip_metadata(jpeg_with_gps((40, 20), orientation=6))  # rotate 90° to display
    assert_clean(clean)
    assert Image.open(io.BytesIO(clean)).size == (20, 40)


def test_png_text_chunks_and_webp_exif_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "GPS 25.04N 102.70E")
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(buf, "PNG", pnginfo=info)
    assert_clean(strip_metadata(buf.getvalue()))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 30.0)}
    Image.new("RGB", (8, 8)).save(buf, "WEBP", exif=exif.tobytes())
    assert_clean(strip_metadata(buf.getvalue()))


def test_photos_stored_before_are_cleaned_by_the_one_off_command(cases, media):
    data = jpeg_with_gps()
    info = ImageInfo(hashlib.sha256(data).hexdigest(), "image/jpeg", "jpg", len(data), 40, 20)
    rel = _store(data, info, media)  # as an older version stored it
    fc = cases.scalars(select(FoundChild).where(FoundChild.case_number == "KM-001")).one()
    cases.add(Photo(sha256=info.sha256, mime=info.mime, size_bytes=len(data), width=40, height=20, path=rel,
                    added_by="old", found_child_id=fc.id))
    cases.commit()
    assert strip_stored_metadata(cases, media=media, user="admin") == 1
    p = cases.scalars(select(Photo)).one()
    assert_clean(photo_path(p, media).read_bytes())
    assert not (media / rel).exists()
    assert strip_stored_metadata(cases, media=media, user="admin") == 0


def test_strip_metadata_command_is_listed():
    from reunite.cli import app

    result = CliRunner().invoke(app, ["photos", "--help"])
    assert "strip-metadata" in result.output
