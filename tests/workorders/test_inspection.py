"""The pre-inspection sheet: its checks, damage marks on the outline, photos (checked by
content, thumbnailed, stored privately) and the customer's signature, after which the
sheet takes no more changes."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.workorders import services
from apps.workorders.models import DamageMark, Inspection, InspectionPhoto, WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import (
    SIGNATURE_POINTS,
    flow_user,
    order_in_state,
    png_bytes,
    png_data_url,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
SHEET = {
    "fuel_level": Inspection.Fuel.QUARTER,
    "fluids": {"engine_oil": "ok", "washer": "attention"},
    "spare_tyre": "ok",
    "tools": "missing",
    "interior": "ok",
    "electrics": "attention",
    "valuables": " 行车记录仪 ",
    "notes": "左后门把手松动",
}


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def _jpeg(width=1600, height=1200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(buffer, "JPEG")
    return buffer.getvalue()


@time_machine.travel(NOW, tick=False)
def test_the_sheet_is_saved_and_bad_values_are_refused_per_field():
    by = flow_user()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by)

    inspection = services.inspection_save(work_order=order, by=by, **SHEET)

    inspection.refresh_from_db()
    assert (inspection.fuel_level, inspection.fluids, inspection.tools, inspection.valuables) == (
        1,
        {"engine_oil": "ok", "washer": "attention"},
        "missing",
        "行车记录仪",
    )
    with pytest.raises(ValidationError) as refused:
        services.inspection_save(
            work_order=order, by=by, **(SHEET | {"fuel_level": 9, "fluids": {"oil": "?"}})
        )
    assert refused.value.message_dict == {
        "fuel_level": ["请选择燃油量。"],
        "fluids": ["油液检查结果不正确,请重新选择。"],
    }


@time_machine.travel(NOW, tick=False)
def test_damage_marks_are_placed_in_percent_of_the_outline():
    by = flow_user()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by)

    mark = services.damage_mark_add(work_order=order, by=by, x="12.345", y=80, kind="scratch")

    assert (mark.x, mark.y, mark.kind) == (Decimal("12.35"), Decimal("80.00"), "scratch")
    with pytest.raises(ValidationError) as refused:
        services.damage_mark_add(work_order=order, by=by, x=101, y=5, kind="dent")
    assert refused.value.message_dict == {"x": ["标记位置不正确,请在车身图上重新点选。"]}
    with pytest.raises(ValidationError):
        services.damage_mark_add(work_order=order, by=by, x=1, y=5, kind="burn")

    services.damage_mark_remove(mark=mark, by=by)
    assert DamageMark.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_a_photo_is_kept_privately_with_a_320_pixel_jpeg_thumbnail():
    by = flow_user()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by)
    mark = services.damage_mark_add(work_order=order, by=by, x=50, y=50, kind="dent")
    data = _jpeg()

    photo = services.inspection_photo_add(
        work_order=order,
        by=by,
        upload=SimpleUploadedFile("车门.html", data, content_type="text/html"),
        mark=mark,
    )

    photo.refresh_from_db()
    assert (photo.content_type, photo.mark, photo.uploaded_by, photo.uploaded_at) == (
        "image/jpeg",
        mark,
        by,
        NOW,
    )
    assert photo.image.name.endswith(".jpg")  # named by its content, not by the upload
    with photo.image.open("rb") as file:
        assert file.read() == data
    with photo.thumbnail.open("rb") as file, Image.open(file) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 240))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "只能上传"),
        (b"\xff\xd8\xff\xe0 truncated", "只能上传"),
    ],
    ids=["svg", "truncated-jpeg"],
)
@time_machine.travel(NOW, tick=False)
def test_a_file_that_is_not_a_photo_is_refused(content, message):
    by = flow_user()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by)

    with pytest.raises(ValidationError) as refused:
        services.inspection_photo_add(
            work_order=order, by=by, upload=SimpleUploadedFile("a.jpg", content)
        )

    assert refused.value.message_dict["upload"][0].startswith(message)
    assert InspectionPhoto.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_a_photo_over_ten_megabytes_is_refused():
    order = order_in_state(WorkOrder.Status.DRAFT)
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024))

    with pytest.raises(ValidationError) as refused:
        services.inspection_photo_add(work_order=order, by=flow_user(), upload=upload)

    assert refused.value.message_dict == {"upload": ["照片不能超过 10 MB。"]}


@time_machine.travel(NOW, tick=False)
def test_the_customer_signs_the_sheet_and_it_takes_no_more_changes():
    by = flow_user()
    order = order_in_state(WorkOrder.Status.DRAFT, by=by)
    services.inspection_save(work_order=order, by=by, **SHEET)
    services.damage_mark_add(work_order=order, by=by, x=10, y=20, kind="scratch")

    signature = services.inspection_sign(
        work_order=order,
        by=by,
        signer_name="张伟",
        png_data_url=png_data_url(png_bytes()),
        points=SIGNATURE_POINTS,
    )

    assert Inspection.objects.get(work_order=order).signature == signature
    assert signature.content["marks"][0] | {"id": 0} == {
        "id": 0,
        "x": "10.00",
        "y": "20.00",
        "kind": "scratch",
        "note": "",
    }
    assert (signature.content["tools"], signature.signed_at) == ("missing", NOW)
    assert services.signature_verify(signature)
    with pytest.raises(ValidationError) as refused:
        services.damage_mark_add(work_order=order, by=by, x=30, y=20, kind="dent")
    assert refused.value.messages == ["接车登记表已由客户签字确认,不能再修改。"]
