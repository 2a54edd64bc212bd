"""Photos of found and missing children, stored as files named by their content hash.

A photo's bytes are checked before anything is stored: the file must be at most ``max_bytes``
long, must be a JPEG, PNG or WebP image that Pillow can decode, and must have at most
``max_pixels`` pixels (a small file that declares a huge image is a decompression bomb).  The
image is then re-encoded without any metadata (:func:`strip_metadata`: no EXIF, GPS position,
ICC profile, XMP or comments; the EXIF orientation applied to the pixels first) and, when larger,
scaled down, keeping its aspect ratio, to :data:`MAX_SIDE` pixels on its longest side (a phone's
12-megapixel photo of 5–12 MB becomes a few hundred kilobytes; nothing is refused for its size
in pixels below ``max_pixels``), and that clean file
is written once under the media directory as ``ab/abcdef….ext`` (its SHA-256), and its metadata
(hash, type, size, dimensions, owner) goes into the ``photos`` table.  Adding the same photo to the
same child twice changes nothing.  :func:`strip_stored_metadata` cleans photos stored before.

The media directory is ``media`` argument, else ``$REUNITE_MEDIA_DIR``, else ``reunite-media`` in
the working directory.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .importing import default_user
from .models import FoundChild, MissingReport, Photo

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_SIDE",
    "ImageInfo",
    "add_photo",
    "check_image",
    "clean_photo",
    "media_dir",
    "photo_path",
    "strip_metadata",
    "strip_stored_metadata",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
#: The longest side, in pixels, of a stored photo (larger ones are scaled down to it at upload):
#: enough to recognise a face and a birthmark on a poster or a screen.
MAX_SIDE = 1600
#: Pillow format name -> (MIME type, file extension).
ALLOWED_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class ImageInfo:
    """What a checked image is: its hash, type, size in bytes and dimensions."""

    sha256: str
    mime: str
    ext: str
    size_bytes: int
    width: int
    height: int


def media_dir(media: str | Path | None = None) -> Path:
    """The directory photos are stored under (see the module docstring)."""
    return Path(media or os.environ.get("REUNITE_MEDIA_DIR") or "reunite-media")


def photo_path(photo: Photo, media: str | Path | None = None) -> Path:
    """Where a stored photo's file is."""
    return media_dir(media) / photo.path


def _refuse(name: str, message: str) -> InputError:
    return InputError(Problem(message, file=name, field="photo"))


def check_image(data: bytes, *, name: str = "photo", max_bytes: int = DEFAULT_MAX_BYTES,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Check that ``data`` is an acceptable photo; return what it is or raise :class:`InputError`."""
    if len(data) > max_bytes:
        raise _refuse(name, f"is {len(data):,} bytes; photos may be at most {max_bytes:,} bytes — "
                            f"resize or recompress it")
    if not data:
        raise _refuse(name, "is empty")
    bomb = (f"declares more than {max_pixels:,} pixels for a {len(data):,}-byte file (a decompression "
            f"bomb, or a photo far larger than needed); resize it")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                width, height = im.size
                if fmt not in ALLOWED_FORMATS:
                    raise _refuse(name, f"is a {fmt} image; photos must be JPEG, PNG or WebP")
                if width * height > max_pixels:
                    raise _refuse(name, bomb.replace("declares more than", f"declares {width}×{height}, more than"))
                im.verify()
            with Image.open(io.BytesIO(data)) as im:
                im.load()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, bomb) from None
    except UnidentifiedImageError:
        raise _refuse(name, "is not an image Reunite can read; photos must be JPEG, PNG or WebP") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _refuse(name, f"is a damaged or truncated image ({type(exc).__name__}); export it again") from None
    mime, ext = ALLOWED_FORMATS[fmt]
    return ImageInfo(hashlib.sha256(data).hexdigest(), mime, ext, len(data), width, height)


def strip_metadata(data: bytes, max_side: int | None = None) -> bytes:
    """The image re-encoded in its own format without any metadata (EXIF with its GPS position, ICC,
    XMP, comments), its EXIF orientation applied to the pixels, and, with ``max_side``, scaled down
    (aspect kept, Lanczos) so that its longest side is at most ``max_side`` pixels.  ``data`` must
    have passed :func:`check_image`."""
    with Image.open(io.BytesIO(data)) as im:
        fmt = im.format
        if max_side and fmt == "JPEG":
            im.draft(im.mode, (max_side, max_side))  # decode a large JPEG at a reduced scale: less memory
        im.load()
        upright = ImageOps.exif_transpose(im)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    if max_side and max(upright.size) > max_side:
        if upright.mode == "P":
            upright = upright.convert("RGBA")  # (a palette cannot be resampled)
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A fresh image holds pixels only: nothing of the source's info dictionary is carried over.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode == "P":
        clean.putpalette(upright.getpalette() or [])
        if "transparency" in upright.info:
            clean.info["transparency"] = upright.info["transparency"]
    buf = io.BytesIO()
    options: dict = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}, "PNG": {"optimize": False}}[fmt]
    clean.save(buf, fmt, **options)
    return buf.getvalue()


def clean_photo(data: bytes, *, name: str = "photo", max_bytes: int = DEFAULT_MAX_BYTES,
                max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = MAX_SIDE) -> tuple[bytes, ImageInfo]:
    """Check an uploaded photo (:func:`check_image`) and return it as it is stored: without metadata,
    upright, at most ``max_side`` pixels on its longest side (:func:`strip_metadata`), with what it is."""
    check_image(data, name=name, max_bytes=max_bytes, max_pixels=max_pixels)
    clean = strip_metadata(data, max_side)
    return clean, check_image(clean, name=name, max_bytes=max(max_bytes, len(clean)), max_pixels=max_pixels)


def _read(source: str | Path | bytes, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), "photo"
    path = Path(source)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _refuse(name, f"is {size:,} bytes; photos may be at most {max_bytes:,} bytes — "
                                f"resize or recompress it")
        return path.read_bytes(), name
    except FileNotFoundError:
        raise _refuse(name, "file not found") from None
    except IsADirectoryError:
        raise _refuse(name, "is a directory, not a photo") from None


def _store(data: bytes, info: ImageInfo, media: Path) -> str:
    rel = f"{info.sha256[:2]}/{info.sha256}.{info.ext}"
    target = media / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return rel


def add_photo(session: Session, source: str | Path | bytes, *, found_child: str | None = None,
              report: str | None = None, user: str | None = None, media: str | Path | None = None,
              max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
              max_side: int | None = MAX_SIDE, commit: bool = True) -> Photo:
    """Store a photo of the found child with case number ``found_child`` or of the missing child of
    report ``report`` (give exactly one); return its :class:`Photo` row.

    The image is checked first (:func:`check_image`); a refused photo stores nothing.  What is
    stored is the image without its metadata, scaled down to ``max_side`` pixels on its longest side
    when larger (:func:`clean_photo`; None: kept at full size).  A file
    written for a transaction that then fails stays in the media directory, harmless: it is only
    ever reached through a row that names its hash.
    """
    if (found_child is None) == (report is None):
        raise InputError("give the case number of a found child or the number of a report, not both")
    data, name = _read(source, max_bytes)
    data, info = clean_photo(data, name=name, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side)
    try:
        if found_child is not None:
            owner = session.scalars(select(FoundChild).where(FoundChild.case_number == found_child)).first()
            if owner is None:
                raise InputError(Problem(f"no found child has case number {found_child!r}", field="found_child"))
            where = Photo.found_child_id == owner.id
            entity, key = "found_child", found_child
        else:
            owner = session.scalars(select(MissingReport).where(MissingReport.report_number == report)).first()
            if owner is None:
                raise InputError(Problem(f"no report has number {report!r}", field="report"))
            where = Photo.report_id == owner.id
            entity, key = "missing_report", report
        same = session.scalars(select(Photo).where(where, Photo.sha256 == info.sha256)).first()
        if same is not None:
            return same
        rel = _store(data, info, media_dir(media))
        who = user or default_user()
        photo = Photo(sha256=info.sha256, mime=info.mime, size_bytes=info.size_bytes, width=info.width,
                      height=info.height, path=rel, added_by=who)
        if found_child is not None:
            photo.found_child_id = owner.id
        else:
            photo.report_id = owner.id
        session.add(photo)
        session.flush()
        append_audit(session, who, "photo.add", entity=entity, entity_id=key,
                     details={"photo_id": photo.id, "sha256": info.sha256, "bytes": info.size_bytes})
        if commit:
            session.commit()
        return photo
    except BaseException:
        session.rollback()
        raise


def strip_stored_metadata(session: Session, *, media: str | Path | None = None, user: str | None = None,
                          commit: bool = True) -> int:
    """Re-encode every stored photo without metadata (photos stored before uploads were cleaned);
    return how many files changed.  Each changed photo gets its new hash, path and size; the old file
    is deleted once no row names it."""
    root = media_dir(media)
    changed = 0
    old_paths: set[str] = set()
    try:
        for photo in session.scalars(select(Photo).order_by(Photo.id)).all():
            path = root / photo.path
            if not path.exists():
                continue
            data = path.read_bytes()
            clean = strip_metadata(data)
            if clean == data:
                continue
            info = check_image(clean, name=f"photo {photo.id}", max_bytes=max(len(clean), 1),
                               max_pixels=DEFAULT_MAX_PIXELS * 4)
            if info.sha256 == photo.sha256:
                continue
            old_paths.add(photo.path)
            photo.path = _store(clean, info, root)
            photo.sha256, photo.size_bytes = info.sha256, info.size_bytes
            photo.width, photo.height = info.width, info.height
            changed += 1
        session.flush()
        if changed:
            append_audit(session, user or default_user(), "photo.strip_metadata", details={"photos": changed})
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    still = set(session.scalars(select(Photo.path)).all())
    for rel in old_paths - still:
        (root / rel).unlink(missing_ok=True)
    return changed
