"""Reception pages (接车): finding the car from messy input, creating a walk-in customer and
car, opening the order, and the pre-inspection sheet (checks, marks, photos, signature,
recommendations), with who may do what."""

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.customers.models import Customer, Vehicle
from apps.workorders.forms_reception import default_promised_at
from apps.workorders.models import DamageMark, Inspection, InspectionPhoto, WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin
from tests.factories.reception import (
    damage_mark,
    inspection_photo,
    open_order,
    recommendation,
    sign_sheet,
)
from tests.factories.workorders import png_bytes

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 9, 10, tzinfo=SHANGHAI)
RECEPTION = "/workorders/reception/"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Private files of a test go to its own temporary folder."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def car():
    owner = CustomerFactory(name="王建国", mobile="13912345678")
    return VehicleFactory(owner=owner, plate="粤B12345", vin=valid_vin(4711), mileage=30_000)


@pytest.fixture
def advisor(user_with_role):
    return user_with_role("advisor", username="zhangsan")


@pytest.fixture
def advisor_client(client, advisor):
    client.force_login(advisor)
    return client


def _open_data(car, **changes) -> dict:
    data = {
        "vehicle": car.pk,
        "kind": WorkOrder.Kind.MAINTENANCE,
        "mileage": "31200",
        "promised_at": "2026-11-16T11:30",
        "customer_words": "冷启动时有“咔咔”声,开一会儿就没了",
        "mileage_lower_reason": "",
        "insurer": "",
        "insurer_claim_number": "",
    }
    return data | changes


# --- finding the car -------------------------------------------------------------------------


def test_the_reception_url_is_named_in_the_workorders_namespace():
    assert reverse("workorders:reception") == RECEPTION


@pytest.mark.parametrize(
    "typed",
    ["粤B12345", " 粤b 12345 ", "粤Ｂ１２３４５", "粤b-123 45", "粤B\u300012345"],
    ids=["plain", "spaces-lowercase", "full-width", "dash", "ideographic-space"],
)
def test_a_whole_plate_typed_any_way_selects_the_car_at_once(typed, car, advisor_client):
    response = advisor_client.get(RECEPTION, {"q": typed})

    assert response.status_code == 302
    assert response["Location"] == f"{RECEPTION}?vehicle={car.pk}"


def test_a_vin_pasted_in_lowercase_with_spaces_selects_the_car(car, advisor_client):
    typed = " ".join([car.vin[:6].lower(), car.vin[6:12], car.vin[12:].lower()])

    response = advisor_client.get(RECEPTION, {"q": typed})

    assert response["Location"] == f"{RECEPTION}?vehicle={car.pk}"


def test_a_phone_number_lists_the_cars_of_the_customer(car, advisor_client):
    second = VehicleFactory(owner=car.owner, plate="粤B67890")

    response = advisor_client.get(RECEPTION, {"q": "139 1234 5678"})

    assert response.status_code == 200
    search = response.context["search"]
    assert {v.pk for v in search.vehicles} == {car.pk, second.pk}
    body = response.content.decode()
    assert f"?vehicle={car.pk}" in body and f"?vehicle={second.pk}" in body


def test_a_search_finding_nothing_offers_the_walk_in_form_with_the_plate(advisor_client):
    response = advisor_client.get(RECEPTION, {"q": "粤b99999"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "没有找到“粤B99999”对应的车辆" in body
    assert reverse("workorders:reception_walk_in") + "?q=%E7%B2%A4B99999" in body


def test_an_empty_search_says_what_to_type(advisor_client):
    response = advisor_client.get(RECEPTION, {"q": "  \u3000 "})

    assert response.status_code == 200
    assert "请输入车牌、VIN 或手机号。" in response.content.decode()


def test_the_selected_car_shows_owner_last_mileage_recommendations_and_the_open_order(
    car, advisor_client
):
    earlier = open_order(vehicle=car)
    recommendation(car, description="更换刹车片")

    response = advisor_client.get(RECEPTION, {"vehicle": car.pk})

    assert response.status_code == 200
    body = response.content.decode()
    assert "王建国" in body
    assert re.search(r'id="last-mileage">30000 公里', body)
    assert "更换刹车片" in body
    assert f"这辆车已有未结束的工单 <strong>{earlier.number}</strong>" in body
    assert reverse("workorders:detail", args=[earlier.pk]) in body
    assert 'data-last-mileage="30000"' in body


@time_machine.travel(NOW, tick=False)
def test_the_open_form_proposes_a_promise_two_hours_ahead_rounded_to_the_half_hour(
    car, advisor_client
):
    response = advisor_client.get(RECEPTION, {"vehicle": car.pk})

    assert 'value="2026-11-16T11:30"' in response.content.decode()


@pytest.mark.parametrize(
    ("now", "promised"),
    [
        ((9, 10), (11, 30)),
        ((9, 30), (11, 30)),
        ((9, 31), (12, 0)),
        ((22, 45), (1, 0)),  # after midnight: the next day
    ],
)
def test_the_default_promise_is_rounded_up_to_the_next_half_hour(now, promised):
    at = dt.datetime(2026, 11, 16, *now, tzinfo=SHANGHAI)

    result = default_promised_at(at)

    assert (result.hour, result.minute) == promised
    assert result - at >= dt.timedelta(hours=2)


# --- opening the order (work_order_open) ---------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_advisor_opens_an_order_and_lands_on_its_inspection_sheet(car, advisor, advisor_client):
    response = advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", _open_data(car))

    order = WorkOrder.objects.get(vehicle=car)
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:inspection", args=[order.pk])
    assert (order.advisor, order.customer, order.mileage) == (advisor, car.owner, 31200)
    assert order.customer_words == "冷启动时有“咔咔”声,开一会儿就没了"
    assert order.promised_at == dt.datetime(2026, 11, 16, 11, 30, tzinfo=SHANGHAI)
    assert Inspection.objects.filter(work_order=order).exists()


@time_machine.travel(NOW, tick=False)
def test_a_customer_waiting_in_the_shop_is_ticked_at_reception(car, advisor_client):
    page = advisor_client.get(f"{RECEPTION}?vehicle={car.pk}").content.decode()
    assert 'name="customer_waiting"' in page and "客户在店等候" in page

    advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", _open_data(car, customer_waiting="on"))

    assert WorkOrder.objects.get(vehicle=car).customer_waiting is True


@time_machine.travel(NOW, tick=False)
def test_a_customer_not_ticked_as_waiting_is_not_waiting(car, advisor_client):
    advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", _open_data(car))

    assert WorkOrder.objects.get(vehicle=car).customer_waiting is False


@time_machine.travel(NOW, tick=False)
def test_a_mileage_below_the_last_one_without_a_reason_is_refused_in_chinese(car, advisor_client):
    data = _open_data(car, mileage="29000")

    response = advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", data)

    assert response.status_code == 200
    form = response.context["open_form"]
    messages = [str(m) for errors in form.errors.values() for m in errors]
    assert messages and all(re.search(r"[\u4e00-\u9fff]", m) for m in messages)
    assert any("里程" in m for m in messages)
    body = response.content.decode()
    assert 'id="mileage-reason" class="d-none"' not in body  # the reason field shows
    assert "冷启动时有“咔咔”声" in body  # nothing typed is lost
    assert WorkOrder.objects.filter(vehicle=car).exists() is False


@time_machine.travel(NOW, tick=False)
def test_a_mileage_below_the_last_one_with_a_reason_opens_the_order(car, advisor_client):
    data = _open_data(car, mileage="29000", mileage_lower_reason="更换过仪表")

    response = advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", data)

    assert response.status_code == 302
    order = WorkOrder.objects.get(vehicle=car)
    assert (order.mileage, order.mileage_lower_reason) == (29000, "更换过仪表")


@time_machine.travel(NOW, tick=False)
def test_a_form_error_keeps_the_input_and_names_the_field_in_chinese(car, advisor_client):
    data = _open_data(car, mileage="三万", promised_at="明天")

    response = advisor_client.post(f"{RECEPTION}?vehicle={car.pk}", data)

    assert response.status_code == 200
    errors = response.context["open_form"].errors
    assert errors["mileage"] == ["进厂里程(公里)应为整数。"]
    assert errors["promised_at"] == [
        "承诺交车时间不是有效的日期时间,应为 2024-05-18 09:30 这样的格式。"
    ]
    assert "冷启动时有“咔咔”声" in response.content.decode()
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("role", ["supervisor", "technician", "qc", "parts", "callback"])
def test_only_the_desk_opens_orders_others_get_403_and_nothing_is_created(role, car, role_client):
    client = role_client(role)

    page = client.get(RECEPTION, {"vehicle": car.pk})
    post = client.post(f"{RECEPTION}?vehicle={car.pk}", _open_data(car))

    assert (page.status_code, post.status_code) == (403, 403)
    assert WorkOrder.objects.count() == 0


def test_the_vehicle_page_and_the_customer_card_lead_to_reception_with_the_car(
    car, advisor_client, role_client
):
    target = f"{RECEPTION}?vehicle={car.pk}"

    vehicle_page = advisor_client.get(reverse("customers:vehicle_detail", args=[car.pk]))
    card = advisor_client.get(reverse("customers:customer_detail", args=[car.owner_id]))
    callback_page = role_client("callback").get(reverse("customers:vehicle_detail", args=[car.pk]))

    assert target in vehicle_page.content.decode()
    assert target in card.content.decode()
    assert target not in callback_page.content.decode()  # no add_workorder, no button


# --- 新车新客户 --------------------------------------------------------------------------------


def _walk_in(**changes) -> dict:
    data = {
        "customer-kind": Customer.Kind.PERSON,
        "customer-name": "李 小龙",
        "customer-mobile": "１３７ 0000 1111",
        "customer-preferred_contact_time": "",
        "vehicle-plate": "粤b 88888",
        "vehicle-vin": valid_vin(9001).lower(),
        "vehicle-brand": "大众",
        "vehicle-model_name": "速腾",
        "vehicle-colour": "白",
        "vehicle-mileage": "1200",
    }
    return data | changes


def test_a_walk_in_customer_and_car_are_created_and_the_car_is_selected(advisor_client):
    response = advisor_client.post(reverse("workorders:reception_walk_in"), _walk_in())

    vehicle = Vehicle.objects.get(plate="粤B88888")
    assert response.status_code == 302
    assert response["Location"] == f"{RECEPTION}?vehicle={vehicle.pk}"
    assert (vehicle.owner.name, vehicle.owner.mobile) == ("李 小龙", "13700001111")
    assert vehicle.vin == valid_vin(9001)


def test_a_walk_in_form_with_errors_creates_nothing_and_keeps_the_input(advisor_client):
    response = advisor_client.post(
        reverse("workorders:reception_walk_in"), _walk_in(**{"customer-mobile": "123"})
    )

    assert response.status_code == 200
    assert response.context["customer_form"].errors["mobile"]
    body = response.content.decode()
    assert 'value="速腾"' in body and 'value="白"' in body
    assert (Customer.objects.count(), Vehicle.objects.count()) == (0, 0)


def test_a_walk_in_car_whose_vin_exists_is_refused_and_no_customer_is_left(car, advisor_client):
    response = advisor_client.post(
        reverse("workorders:reception_walk_in"), _walk_in(**{"vehicle-vin": car.vin})
    )

    assert response.status_code == 200
    assert response.context["vehicle_form"].errors
    assert list(Customer.objects.values_list("name", flat=True)) == ["王建国"]


def test_the_walk_in_form_is_prefilled_with_the_plate_that_was_searched(advisor_client):
    response = advisor_client.get(reverse("workorders:reception_walk_in"), {"q": "粤b 77777"})

    assert 'value="粤B77777"' in response.content.decode()


# --- the inspection sheet ------------------------------------------------------------------


def _sheet_url(order) -> str:
    return reverse("workorders:inspection", args=[order.pk])


def test_the_sheet_shows_the_order_marks_photos_and_the_open_recommendations(
    car, advisor, advisor_client
):
    order = open_order(vehicle=car, advisor=advisor, customer_words="异响")
    damage_mark(order, x="25.00", y="40.00")
    photo = inspection_photo(order, by=advisor)
    recommendation(car, description="更换雨刮片")

    response = advisor_client.get(_sheet_url(order))

    assert response.status_code == 200
    body = response.content.decode()
    assert order.number in body and "异响" in body
    assert '<circle cx="25.00%" cy="40.00%"' in body
    assert reverse("workorders:inspection_photo", args=[photo.pk, "thumb"]) in body
    assert 'capture="environment"' in body and 'accept="image/*"' in body
    assert "更换雨刮片" in body and "加入本单" in body
    assert "signature_pad.umd.min.js" in body
    assert f'href="{reverse("workorders:detail", args=[order.pk])}"' in body  # the order page


@pytest.mark.parametrize("role", ["qc", "parts", "callback"])
def test_readers_see_the_sheet_without_any_control_that_changes_it(role, car, role_client):
    order = open_order(vehicle=car)
    damage_mark(order)

    response = role_client(role).get(_sheet_url(order))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<fieldset class="card-body" disabled>' in body
    assert "mark-picker" not in body and "sign-form" not in body and "photo-form" not in body


def test_the_checks_are_saved_from_big_buttons(car, advisor_client):
    order = open_order(vehicle=car)
    data = {
        "fuel_level": "3",
        "fluid_engine_oil": "ok",
        "fluid_coolant": "attention",
        "fluid_brake_fluid": "ok",
        "fluid_washer": "missing",
        "spare_tyre": "ok",
        "tools": "missing",
        "interior": "ok",
        "electrics": "attention",
        "valuables": "行车记录仪",
        "notes": "后备箱有儿童座椅",
    }

    response = advisor_client.post(_sheet_url(order), data)

    assert response.status_code == 302
    sheet = Inspection.objects.get(work_order=order)
    assert sheet.fuel_level == Inspection.Fuel.THREE_QUARTERS
    assert sheet.fluids == {
        "engine_oil": "ok",
        "coolant": "attention",
        "brake_fluid": "ok",
        "washer": "missing",
    }
    assert (sheet.tools, sheet.electrics, sheet.valuables) == ("missing", "attention", "行车记录仪")


def test_a_check_left_unanswered_is_named_in_chinese_and_the_rest_is_kept(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(
        _sheet_url(order), {"fuel_level": "9", "valuables": "现金 200 元"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["fuel_level"] == ["燃油的选项无效,请重新选择。"]
    assert errors["fluid_coolant"] == ["请选择冷却液。"]
    assert 'value="现金 200 元"' in response.content.decode()
    assert Inspection.objects.get(work_order=order).valuables == ""


def test_a_reader_cannot_save_the_checks(car, role_client):
    order = open_order(vehicle=car)

    response = role_client("qc").post(_sheet_url(order), {"fuel_level": "4"})

    assert response.status_code == 403
    assert Inspection.objects.get(work_order=order).fuel_level == Inspection.Fuel.HALF


# --- damage marks (htmx) ---------------------------------------------------------------------


def test_a_tap_on_the_outline_adds_a_numbered_mark_and_answers_the_outline(car, advisor_client):
    order = open_order(vehicle=car)
    damage_mark(order, x="80.00", y="20.00", kind=DamageMark.Kind.DENT)

    response = advisor_client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "12.345", "y": "67.8", "kind": "scratch"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "workorders/partials/reception_outline.html"
    marks = list(DamageMark.objects.filter(inspection__work_order=order).order_by("id"))
    assert [(m.kind, str(m.x), str(m.y)) for m in marks] == [
        ("dent", "80.00", "20.00"),
        ("scratch", "12.35", "67.80"),
    ]
    body = response.content.decode()
    assert '<circle cx="12.35%" cy="67.80%"' in body
    assert re.search(r'data-mark="2">\s*<circle', body)


def test_a_mark_outside_the_drawing_is_refused_in_chinese(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "120", "y": "50", "kind": "scratch"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200  # htmx swaps the outline with the message
    assert "横向位置不能大于 100。" in response.content.decode()
    assert DamageMark.objects.count() == 0


def test_a_mark_is_removed_with_htmx(car, advisor_client):
    order = open_order(vehicle=car)
    kept = damage_mark(order, x="10.00")
    removed = damage_mark(order, x="50.00")

    response = advisor_client.post(
        reverse("workorders:damage_mark_remove", args=[order.pk, removed.pk]),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert list(DamageMark.objects.values_list("pk", flat=True)) == [kept.pk]
    assert "50.00%" not in response.content.decode()


def test_a_mark_of_another_order_is_not_found(car, advisor_client):
    order = open_order(vehicle=car)
    other = damage_mark(open_order())

    response = advisor_client.post(
        reverse("workorders:damage_mark_remove", args=[order.pk, other.pk])
    )

    assert response.status_code == 404
    assert DamageMark.objects.filter(pk=other.pk).exists()


def test_without_htmx_a_mark_leads_back_to_the_sheet(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "10", "y": "10", "kind": "crack"},
    )

    assert response.status_code == 302
    assert response["Location"] == _sheet_url(order)
    assert DamageMark.objects.get().kind == DamageMark.Kind.CRACK


@pytest.mark.parametrize("role", ["qc", "technician", "callback"])
def test_only_the_desk_marks_damage(role, car, role_client):
    order = open_order(vehicle=car)
    mark = damage_mark(order)
    client = role_client(role)

    added = client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "10", "y": "10", "kind": "crack"},
    )
    removed = client.post(reverse("workorders:damage_mark_remove", args=[order.pk, mark.pk]))

    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(DamageMark.objects.values_list("pk", flat=True)) == [mark.pk]


def test_a_signed_sheet_takes_no_more_marks(car, advisor, advisor_client):
    order = open_order(vehicle=car)
    sign_sheet(order, by=advisor)

    response = advisor_client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "10", "y": "10", "kind": "crack"},
    )

    assert response.status_code == 403
    assert DamageMark.objects.count() == 0


# --- photos ----------------------------------------------------------------------------------


def test_a_png_photo_is_stored_with_a_thumbnail(car, advisor, advisor_client):
    order = open_order(vehicle=car)
    upload = SimpleUploadedFile("IMG_0001.png", png_bytes(800, 600), "image/png")

    response = advisor_client.post(
        reverse("workorders:inspection_photo_add", args=[order.pk]), {"upload": upload}
    )

    assert response.status_code == 302
    photo = InspectionPhoto.objects.get(inspection__work_order=order)
    assert (photo.content_type, photo.uploaded_by) == ("image/png", advisor)
    assert photo.thumbnail and photo.thumbnail.size < photo.image.size
    thumb = advisor_client.get(reverse("workorders:inspection_photo", args=[photo.pk, "thumb"]))
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"  # thumbnails are 320 px JPEG (contract)


def test_a_text_file_named_jpg_is_refused_in_chinese(car, advisor_client):
    order = open_order(vehicle=car)
    upload = SimpleUploadedFile("scratch.jpg", b"not a picture at all\n", "image/jpeg")

    response = advisor_client.post(
        reverse("workorders:inspection_photo_add", args=[order.pk]), {"upload": upload}
    )

    assert response.status_code == 422
    errors = [str(e) for e in response.context["photo_form"].errors.get("upload", [])]
    errors += [str(e) for e in response.context["photo_form"].non_field_errors()]
    assert errors and all(re.search(r"[\u4e00-\u9fff]", e) for e in errors)
    assert InspectionPhoto.objects.count() == 0


def test_a_photo_form_sent_without_a_file_says_so(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(reverse("workorders:inspection_photo_add", args=[order.pk]))

    assert response.status_code == 422
    assert response.context["photo_form"].errors["upload"] == ["请选择照片。"]


def test_the_private_photo_view_streams_the_image_with_its_content_type(
    car, advisor, advisor_client
):
    photo = inspection_photo(open_order(vehicle=car), by=advisor)

    full = advisor_client.get(reverse("workorders:inspection_photo", args=[photo.pk, "full"]))

    assert full.status_code == 200
    assert full["Content-Type"] == "image/png"
    assert full["X-Content-Type-Options"] == "nosniff"
    assert b"".join(full.streaming_content) == photo.image.open("rb").read()


@pytest.mark.parametrize("role", ["technician", None])
def test_the_private_photo_view_refuses_users_without_permission(role, car, advisor, role_client):
    photo = inspection_photo(open_order(vehicle=car), by=advisor)
    client = role_client(role) if role else role_client()

    response = client.get(reverse("workorders:inspection_photo", args=[photo.pk, "full"]))

    assert response.status_code == 403


def test_the_private_photo_view_knows_only_thumb_and_full(car, advisor, advisor_client):
    photo = inspection_photo(open_order(vehicle=car), by=advisor)

    response = advisor_client.get(reverse("workorders:inspection_photo", args=[photo.pk, "huge"]))

    assert response.status_code == 404


# --- signature ----------------------------------------------------------------------------


SIGNATURE_POINTS = '[{"penColor":"#0b2a4a","points":[{"x":10,"y":10,"time":1,"pressure":0.5},{"x":60,"y":30,"time":20,"pressure":0.5}]}]'  # noqa: E501


def _data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_the_customer_signs_and_the_sheet_shows_who_and_when(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(
        reverse("workorders:inspection_sign", args=[order.pk]),
        {
            "signer_name": " 王建国 ",
            "png_data_url": _data_url(png_bytes(300, 100)),
            "points": SIGNATURE_POINTS,
        },
    )

    assert response.status_code == 302
    sheet = Inspection.objects.select_related("signature").get(work_order=order)
    assert sheet.signature.signer_name == "王建国"
    page = advisor_client.get(_sheet_url(order)).content.decode()
    assert "已签字(王建国," in page
    assert reverse("workorders:inspection_signature", args=[order.pk]) in page
    image = advisor_client.get(reverse("workorders:inspection_signature", args=[order.pk]))
    assert image["Content-Type"] == "image/png"


def test_an_empty_pad_is_refused_with_a_chinese_message(car, advisor_client):
    order = open_order(vehicle=car)

    response = advisor_client.post(
        reverse("workorders:inspection_sign", args=[order.pk]),
        {"signer_name": "王建国", "png_data_url": "", "points": "null"},
    )

    assert response.status_code == 422
    assert "请客户在签字框内签字后再提交。" in response.content.decode()
    assert Inspection.objects.get(work_order=order).signature_id is None


def test_the_signature_image_needs_the_permission_to_read_orders(car, advisor, role_client):
    order = open_order(vehicle=car)
    sign_sheet(order, by=advisor)

    refused = role_client("technician").get(
        reverse("workorders:inspection_signature", args=[order.pk])
    )
    shown = role_client("qc").get(reverse("workorders:inspection_signature", args=[order.pk]))

    assert (refused.status_code, shown.status_code) == (403, 200)


# --- recommendations ---------------------------------------------------------------------------


def test_a_recommendation_is_added_to_the_order_in_one_tap(car, advisor_client):
    order = open_order(vehicle=car)
    item = recommendation(car, description="更换刹车片")

    response = advisor_client.post(
        reverse("workorders:recommendation_add", args=[order.pk, item.pk])
    )

    assert response.status_code == 302
    line = order.lines.get()
    assert (line.description, line.from_recommendation_id) == ("更换刹车片", item.pk)
    item.refresh_from_db()
    assert item.status == item.Status.ACCEPTED


def test_a_recommendation_of_another_car_is_not_found(car, advisor_client):
    order = open_order(vehicle=car)
    other = recommendation(VehicleFactory())

    response = advisor_client.post(
        reverse("workorders:recommendation_add", args=[order.pk, other.pk])
    )

    assert response.status_code == 404
    assert order.lines.count() == 0
