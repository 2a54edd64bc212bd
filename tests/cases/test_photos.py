"""Photos are stored by content hash; non-images, bombs and oversized files are refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import select

from reunite.cases import add_photo, check_image, import_found, import_reports
from reunite.cases.models import AuditEntry, Photo
from reunite.cases.photos import photo_path, strip_metadata
from reunite.errors import InputError


def png(size=(64, 48), color=(200, 120, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def with_declared_size(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width``×``height`` (CRC fixed): tiny file, huge declared image."""
    assert data[12:16] == b"IHDR"
    ihdr = struct.pack(">II", width, height) + data[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return data[:16] + ihdr + crc + data[33:]


@pytest.fixture
def cases(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    return session


def test_a_photo_is_stored_once_by_its_hash(cases, media, tmp_path):
    data = png()
    path = tmp_path / "baby.png"
    path.write_bytes(data)
    p = add_photo(cases, path, found_child="KM-002", user="caseworker", media=media)
    clean = strip_metadata(data)  # what is stored: the image without metadata
    assert (p.mime, p.width, p.height, p.size_bytes) == ("image/png", 64, 48, len(clean))
    assert p.path == f"{p.sha256[:2]}/{p.sha256}.png"
    assert photo_path(p, media).read_bytes() == clean
    again = add_photo(cases, data, found_child="KM-002", user="caseworker", media=media)
    assert again.id == p.id
    # The same image may belong to a report too (a family's photo of the missing child).
    r = add_photo(cases, data, report="R-2", user="caseworker", media=media)
    assert r.id != p.id and r.path == p.path
    assert len(cases.scalars(select(Photo)).all()) == 2
    assert [e.action for e in cases.scalars(select(AuditEntry).where(AuditEntry.action == "photo.add"))] == [
        "photo.add", "photo.add"]


def test_jpeg_and_webp_are_accepted():
    for fmt, mime in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, fmt)
        assert check_image(buf.getvalue()).mime == mime


def test_non_image_bytes_are_refused(cases, media):
    with pytest.raises(InputError, match="not an image"):
        add_photo(cases, b"%PDF-1.4 not a photo at all", found_child="KM-001", media=media)
    assert not media.exists()


def test_other_formats_and_damaged_images_are_refused():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    with pytest.raises(InputError, match="GIF image; photos must be JPEG, PNG or WebP"):
        check_image(buf.getvalue())
    data = png((200, 200))
    with pytest.raises(InputError, match="damaged or truncated"):
        check_image(data[: len(data) // 2])


def test_an_oversized_file_is_refused(cases, media, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(png() + b"\0" * 2000)
    with pytest.raises(InputError, match="at most 1,000 bytes"):
        add_photo(cases, big, found_child="KM-001", media=media, max_bytes=1000)
    with pytest.raises(InputError, match="at most 1,000 bytes"):
        check_image(big.read_bytes(), max_bytes=1000)


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 10_000), (8_000, 6_000)])
def test_a_decompression_bomb_is_refused(cases, media, width, height):
    # 10^10 pixels: Pillow's DecompressionBombError; 10^8: its warning; 4.8*10^7: our own limit.
    bomb = with_declared_size(png((8, 8)), width, height)
    assert len(bomb) < 200
    with Image.open(io.BytesIO(with_declared_size(png((8, 8)), 300, 200))) as im:
        assert im.size == (300, 200)  # the patching itself yields a readable header
    with pytest.raises(InputError, match="decompression bomb"):
        add_photo(cases, bomb, found_child="KM-001", media=media)
    assert not media.exists()


def test_a_photo_needs_exactly_one_known_owner(cases, media):
    with pytest.raises(InputError, match="not both"):
        add_photo(cases, png(), found_child="KM-001", report="R-1", media=media)
    with pytest.raises(InputError, match="no found child"):
        add_photo(cases, png(), found_child="KM-999", media=media)
