"""The dealership logo: PNG, JPEG or WebP only, decided by content, stored under its real
format's name and served with that format's content type (apps/core/uploads.py)."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.core.forms import area_settings_form
from apps.core.models import DealershipSettings
from apps.core.selectors import settings_row_for_edit
from apps.core.settings import areas
from apps.core.uploads import LOGO_MAX_BYTES, validate_logo_image

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!doctype html><script>fetch('/archive/customers/')</script>"


def _image(pillow_format: str, size=(64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 79, 138)).save(buffer, format=pillow_format)
    return buffer.getvalue()


def _upload(content: bytes, name: str) -> SimpleUploadedFile:
    # The browser's Content-Type is whatever the client says: never trusted.
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- what is accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pillow_format", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_a_png_jpeg_or_webp_logo_is_stored_and_served_as_what_it_is(
    client, pillow_format, extension, content_type
):
    content = _image(pillow_format)
    settings_row = settings_row_for_edit(DealershipSettings)
    settings_row.logo = _upload(content, "标志.bin")
    settings_row.full_clean()
    settings_row.save()

    response = client.get(reverse("core:dealership_logo"))

    assert settings_row_for_edit(DealershipSettings).logo.name == f"dealership/logo.{extension}"
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == f'inline; filename="logo.{extension}"'
    assert b"".join(response.streaming_content) == content


def test_a_png_uploaded_under_an_html_name_is_stored_as_png():
    settings_row = settings_row_for_edit(DealershipSettings)
    settings_row.logo = _upload(_image("PNG"), "logo.html")
    settings_row.full_clean()
    settings_row.save()

    assert settings_row_for_edit(DealershipSettings).logo.name == "dealership/logo.png"


# --- what is refused -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (SVG, "logo.svg", "标志只能是 PNG、JPEG 或 WebP 图片"),
        (SVG, "logo.png", "标志只能是 PNG、JPEG 或 WebP 图片"),
        (HTML, "logo.png", "标志只能是 PNG、JPEG 或 WebP 图片"),
        (_image("GIF"), "logo.gif", "标志只能是 PNG、JPEG 或 WebP 图片"),
        (_image("BMP"), "logo.png", "标志只能是 PNG、JPEG 或 WebP 图片"),
        # PNG magic bytes followed by a page: the decode finds no image.
        (b"\x89PNG\r\n\x1a\n" + HTML, "logo.png", "标志文件已损坏或不是完整的图片"),
        # A real PNG cut short.
        (_image("PNG")[:60], "logo.png", "标志文件已损坏或不是完整的图片"),
        (b"", "logo.png", "标志只能是 PNG、JPEG 或 WebP 图片"),
    ],
    ids=["svg", "svg-named-png", "html", "gif", "bmp", "png-magic-then-html", "cut-png", "empty"],
)
def test_anything_but_a_whole_png_jpeg_or_webp_is_refused_whatever_its_name(content, name, message):
    with pytest.raises(ValidationError) as refused:
        validate_logo_image(_upload(content, name))

    assert message in refused.value.messages[0]


def test_a_logo_over_2_mb_is_refused():
    content = _image("PNG") + b"\0" * LOGO_MAX_BYTES

    with pytest.raises(ValidationError) as refused:
        validate_logo_image(_upload(content, "logo.png"))

    assert refused.value.messages == ["标志图片不能超过 2 MB。"]


def test_a_logo_of_too_many_pixels_is_refused():
    with pytest.raises(ValidationError) as refused:
        validate_logo_image(_upload(_image("PNG", size=(4001, 10)), "logo.png"))

    assert refused.value.messages == ["标志图片不能超过 4000×4000 像素。"]


def _settings_page_post(client, **changes):
    """Post the whole settings page as the browser does (each area's fields carry its
    prefix), with `changes` (by field name of any area) applied."""
    data = {}
    for model in areas():
        form = area_settings_form(model, settings_row_for_edit(model))
        for field in form:
            value = changes.get(field.name, field.value())
            if value is None or (field.name == "logo" and "logo" not in changes):
                continue
            data[field.html_name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    return client.post(reverse("core:settings_edit"), data)


def test_the_settings_page_refuses_an_svg_logo_in_chinese_and_changes_nothing(role_client):
    response = _settings_page_post(
        role_client("admin"), name="改过的名称", logo=_upload(SVG, "logo.svg")
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "标志只能是 PNG、JPEG 或 WebP 图片" in body
    assert "设置未保存" in body
    settings_row = DealershipSettings.objects.get()
    assert (settings_row.name, settings_row.logo.name) == ("示例汽车4S店", "")


def test_the_settings_page_accepts_a_png_logo(role_client):
    response = _settings_page_post(
        role_client("admin"), logo=_upload(_image("PNG"), "门店标志.png")
    )

    assert response.status_code == 302
    assert settings_row_for_edit(DealershipSettings).logo.name == "dealership/logo.png"


# --- serving -------------------------------------------------------------------------------


def test_an_svg_stored_before_the_check_existed_is_not_served(client):
    settings_row = settings_row_for_edit(DealershipSettings)
    settings_row.logo.name = default_storage.save("dealership/logo.svg", ContentFile(SVG))
    settings_row.save()

    response = client.get(reverse("core:dealership_logo"))

    assert response.status_code == 404
    assert b"<script>" not in response.content


def test_no_logo_is_a_404(client):
    settings_row_for_edit(DealershipSettings)

    assert client.get(reverse("core:dealership_logo")).status_code == 404
