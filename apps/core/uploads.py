"""Images that users upload and that we serve from our own origin (the dealership logo,
inspection photos, photos of vehicle licences).

Only PNG, JPEG and WebP are accepted, decided by the file's content, never by its name or
the browser's Content-Type: an SVG or an HTML page served from our origin could run script
in every user's session. The content is checked twice: its first bytes (the format's magic
number) and a full decode by Pillow, which must find the same format (a file that merely
starts like a PNG is refused). The stored file is named by its real format, and it is served
with that format's content type (apps.core.views.dealership_logo), so neither the name nor
browser sniffing can turn it into a page.
"""

import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image, ImageFile, UnidentifiedImageError

LOGO_MAX_BYTES = 2 * 1024 * 1024  # a logo is a few kB; 2 MB is a generous photo of one
LOGO_MAX_SIDE = 4000  # pixels: bounds the memory a decode takes (decompression bombs)
_HEAD = 12  # bytes read to recognise a format: the longest magic (WebP) is 12


@dataclass(frozen=True)
class ImageKind:
    pillow_format: str
    content_type: str
    extension: str


PNG = ImageKind("PNG", "image/png", "png")
JPEG = ImageKind("JPEG", "image/jpeg", "jpg")
WEBP = ImageKind("WEBP", "image/webp", "webp")


def sniff_image(head: bytes) -> ImageKind | None:
    """The image format that `head` (the first bytes of a file) starts like, if accepted."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _read_head(file) -> bytes:
    file.seek(0)
    head = file.read(_HEAD)
    file.seek(0)
    return head


def image_kind(file) -> ImageKind | None:
    """The accepted format of a stored or uploaded file, by its first bytes."""
    return sniff_image(_read_head(file))


def validate_logo_image(file) -> None:
    """Model-field validator of DealershipSettings.logo: runs for the settings page and the
    admin alike."""
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError("标志图片不能超过 2 MB。", code="too_large")
    kind = image_kind(file)
    if kind is None:
        raise ValidationError(
            "标志只能是 PNG、JPEG 或 WebP 图片(按文件内容识别,SVG、HTML 等文件不接受)。",
            code="not_an_image",
        )
    try:
        with Image.open(file) as image:
            pillow_format, size = image.format, image.size
            image.verify()  # decodes the structure: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "标志文件已损坏或不是完整的图片,请重新导出后上传。", code="broken"
        ) from None
    finally:
        file.seek(0)
    if pillow_format != kind.pillow_format:
        raise ValidationError("标志文件的内容与图片格式不符,请重新导出后上传。", code="mismatch")
    if max(size) > LOGO_MAX_SIDE:
        raise ValidationError(
            f"标志图片不能超过 {LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} 像素。", code="too_many_pixels"
        )


_truncation = threading.Lock()


@contextmanager
def _whole_files_only():
    """Pillow fills the missing part of a truncated file with grey instead of failing when
    ImageFile.LOAD_TRUNCATED_IMAGES is set, and WeasyPrint sets it for the whole process
    when it is imported (weasyprint/images.py): an upload check turns it off while it
    decodes."""
    with _truncation:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def decoded_image(data: bytes, *, kinds, too_large: str, broken: str, max_side: int):
    """(kind, Pillow image) of uploaded bytes: its format by its first bytes, then a full
    decode by Pillow that must find the same format. The side is checked before the pixels
    are decoded (a decompression bomb is a small file). Refusals are ValidationErrors with
    the caller's Chinese messages: `too_large` over `max_side`, `broken` for anything else
    (not one of `kinds`, truncated, forged). The inspection photos, the technicians'
    proposed items and the licence photos check their photos here."""
    kind = sniff_image(data[:_HEAD])
    if kind is None or kind not in kinds:
        raise ValidationError(broken, code="not_an_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            size = probe.size
            probe.verify()  # a forged file fails here
        if max(size) > max_side:
            raise ValidationError(too_large, code="too_many_pixels")
        image = Image.open(io.BytesIO(data))
        with _whole_files_only():
            image.load()  # a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(broken, code="broken") from None
    if image.format != kind.pillow_format:
        raise ValidationError(broken, code="mismatch")
    return kind, image


def logo_upload_to(instance, filename: str) -> str:
    """Store the logo under the extension of its real format, whatever the uploaded name:
    a PNG uploaded as logo.html is stored as logo.png. (A file saved from code with
    FieldFile.save() is not attached yet when this runs: it is named .bin, and served by
    its content all the same.)"""
    kind = image_kind(instance.logo) if instance.logo else None
    return f"dealership/logo.{kind.extension if kind else 'bin'}"
