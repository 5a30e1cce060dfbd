"""Reception by photo (issue 12 point 3): the camera button (only with the OCR extra), the
page that waits for the reading, the confirm form filled and highlighted with what was
read, a car already in the archive opened instead of a duplicate, and the photo's
permission.

The scans start as the task leaves them (tests.factories.licences: the reading the parser
gives for the card's lines); test_licence_scan_task.py runs the real worker and engine.
"""

import sys

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.customers import licence_scans, ocr
from apps.customers.licence import parse_licence_lines, repair_vin
from apps.customers.models import Customer, LicenceScan, Vehicle
from apps.customers.views_licence import HTMX_STOP_POLLING, NOT_INSTALLED
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin
from tests.factories.licences import Card, card_photo, licence_scan, needs_the_ocr_extra

pytestmark = pytest.mark.django_db

CARD = Card()
RECEPTION = reverse("workorders:reception")
SCAN = reverse("workorders:reception_scan")
CAMERA = 'accept="image/*" capture="environment"'
# Serial 1's VIN with its 11th character read as L instead of 1: three readings pass the
# check digit (apps.customers.licence.repair_vin), so none is filled.
AMBIGUOUS_VIN_READ = "LSV2A21K7PL000001"
AMBIGUOUS_VIN = valid_vin(1, wmi="LSV")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def advisor(user_with_role):
    return user_with_role("advisor")


@pytest.fixture
def advisor_client(client, advisor):
    client.force_login(advisor)
    return client


@pytest.fixture
def without_ocr_extra(monkeypatch):
    """The OCR extra not installed: its package cannot be imported, as after
    `pip uninstall rapidocr-onnxruntime` (ocr_available() is cached per process)."""
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    ocr.ocr_available.cache_clear()
    yield
    ocr.ocr_available.cache_clear()


def _confirm_url(scan) -> str:
    return reverse("workorders:reception_scan_confirm", args=[scan.pk])


def _confirm_data(**changes) -> dict:
    """What the advisor submits: the filled fields as read, the mobile typed."""
    data = {
        "action": "create",
        "vehicle-plate": CARD.plate,
        "vehicle-vin": CARD.vin,
        "vehicle-brand": "大众",
        "vehicle-model_name": "FV7152FBDBG",
        "vehicle-engine_number": CARD.engine_number,
        "vehicle-sale_date": CARD.registered_on,
        "vehicle-colour": "",
        "vehicle-mileage": "35210",
        "customer-kind": Customer.Kind.PERSON,
        "customer-name": CARD.owner,
        "customer-mobile": "13700001111",
        "customer-address": CARD.address,
        "customer-preferred_contact_time": "",
    }
    return data | changes


# --- the camera button ------------------------------------------------------------------------


@needs_the_ocr_extra
def test_reception_offers_the_camera_button_when_the_ocr_extra_is_installed(advisor_client):
    body = advisor_client.get(RECEPTION).content.decode()

    assert CAMERA in body
    assert f'action="{SCAN}"' in body
    assert 'enctype="multipart/form-data"' in body
    assert "拍行驶证接车" in body


def test_without_the_ocr_extra_the_button_is_hidden_and_reception_still_works(
    advisor_client, without_ocr_extra
):
    car = VehicleFactory(plate="粤B12345")

    page = advisor_client.get(RECEPTION, {"vehicle": car.pk})
    walk_in = advisor_client.get(reverse("workorders:reception_walk_in"))
    upload = advisor_client.post(
        SCAN, {"image": SimpleUploadedFile("a.jpg", card_photo(), "image/jpeg")}, follow=True
    )

    assert ocr.ocr_available() is False
    assert (page.status_code, walk_in.status_code) == (200, 200)
    assert CAMERA not in page.content.decode()
    assert 'id="open-form"' in page.content.decode()  # the order opens as before
    assert NOT_INSTALLED in upload.content.decode()
    assert LicenceScan.objects.count() == 0


@needs_the_ocr_extra
def test_a_file_that_is_not_a_photo_is_refused_in_chinese_and_nothing_is_kept(advisor_client):
    response = advisor_client.post(
        SCAN,
        {"image": SimpleUploadedFile("行驶证.jpg", b"GIF89a not a jpeg", "image/jpeg")},
        follow=True,
    )

    assert response.redirect_chain == [(RECEPTION, 302)]
    assert licence_scans.PHOTO_REFUSED in response.content.decode()
    assert LicenceScan.objects.count() == 0


@needs_the_ocr_extra
def test_pressing_the_button_without_a_photo_asks_for_one(advisor_client):
    response = advisor_client.post(SCAN, {}, follow=True)

    assert "请拍摄或选择行驶证(或 VIN 铭牌)照片。" in response.content.decode()


@needs_the_ocr_extra
def test_a_photo_taken_opens_the_page_that_waits_for_its_reading(
    advisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = advisor_client.post(
            SCAN, {"image": SimpleUploadedFile("IMG_1.jpg", card_photo(), "image/jpeg")}
        )

    scan = LicenceScan.objects.get()
    assert response.status_code == 302
    assert response.url == _confirm_url(scan)
    assert len(queued) == 1


# --- waiting for the reading ------------------------------------------------------------------


def test_the_page_polls_while_the_photo_is_read_and_stops_with_the_form(advisor_client, advisor):
    scan = licence_scan(by=advisor, status=LicenceScan.Status.PENDING)
    url = _confirm_url(scan)

    page = advisor_client.get(url)
    still_reading = advisor_client.get(url, HTTP_HX_REQUEST="true")
    licence_scans.licence_scan_finish(
        scan_id=scan.pk, reading=parse_licence_lines(CARD.lines()).to_json()
    )
    read = advisor_client.get(url, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in page.content.decode()
    assert "正在识别照片" in page.content.decode()
    assert still_reading.status_code == 200
    assert 'hx-trigger="every 1s"' in still_reading.content.decode()
    assert "<html" not in still_reading.content.decode()  # the panel only
    assert read.status_code == HTMX_STOP_POLLING
    body = read.content.decode()
    assert "hx-trigger" not in body
    assert 'id="licence-confirm-form"' in body
    assert f'value="{CARD.vin}"' in body


def test_a_failed_reading_says_why_and_offers_the_manual_form(advisor_client, advisor):
    scan = licence_scan(
        by=advisor, status=LicenceScan.Status.FAILED, error="无法识别图片:文件不是有效的图片。"
    )

    body = advisor_client.get(_confirm_url(scan)).content.decode()

    assert "未能识别这张照片:无法识别图片:文件不是有效的图片。" in body
    assert f'href="{reverse("workorders:reception_walk_in")}"' in body
    assert "licence-confirm-form" not in body


# --- the confirm form -------------------------------------------------------------------------


def test_the_form_is_filled_from_the_photo_highlighted_and_shows_what_was_read(
    advisor_client, advisor
):
    scan = licence_scan(by=advisor)

    response = advisor_client.get(_confirm_url(scan))

    form = response.context["vehicle_form"]
    owner_form = response.context["customer_form"]
    assert {name: form.initial.get(name) for name in form.fills} == {
        "plate": CARD.plate,
        "vin": CARD.vin,
        "brand": "大众",
        "model_name": "FV7152FBDBG",
        "engine_number": CARD.engine_number,
        "sale_date": CARD.registered_on,
    }
    assert {name: owner_form.initial.get(name) for name in owner_form.fills} == {
        "name": CARD.owner,
        "address": CARD.address,
    }
    assert owner_form["mobile"].value() is None  # the licence has no phone: typed
    body = response.content.decode()
    assert body.count("licence-filled") == 8
    assert f'识别为:<span class="font-monospace">{CARD.brand_model}</span>' in body
    assert "车辆类型" in body and CARD.vehicle_type in body  # read, shown, not a field
    assert "licence-matches" not in body  # no such car in the archive


def test_an_ambiguous_vin_is_not_filled_and_its_candidates_are_offered(advisor_client, advisor):
    lines = [line for line in CARD.lines() if not line.startswith("车辆识别代号")]
    scan = licence_scan(by=advisor, lines=[*lines, f"车辆识别代号 {AMBIGUOUS_VIN_READ}"])

    response = advisor_client.get(_confirm_url(scan))

    assert response.context["vehicle_form"].initial.get("vin") is None
    body = response.content.decode()
    assert f'识别为:<span class="font-monospace">{AMBIGUOUS_VIN_READ}</span>' in body
    assert "有 3 种可能的修正" in body
    assert (
        f'data-target="id_vehicle-vin" data-value="{AMBIGUOUS_VIN}">{AMBIGUOUS_VIN}</button>'
        in body
    )
    assert 'id="licence-vehicle-vin"' in body and "licence-unfilled" in body


def test_a_vin_read_wrong_beyond_repair_is_not_filled(advisor_client, advisor):
    lines = [line for line in CARD.lines() if not line.startswith("车辆识别代号")]
    scan = licence_scan(by=advisor, lines=[*lines, "车辆识别代号 LSV2A21K9P1000007"])

    response = advisor_client.get(_confirm_url(scan))

    assert response.context["vehicle_form"].initial.get("vin") is None
    _value, candidates, note = repair_vin("LSV2A21K9P1000007")
    assert (candidates, note) == ((), "VIN 校验位不符,按常见误识也无法修正,请核对")
    assert note in response.content.decode()
    assert "licence-candidate" not in response.content.decode()


def test_confirming_files_the_owner_and_the_car_and_opens_reception_for_it(advisor_client, advisor):
    scan = licence_scan(by=advisor)

    response = advisor_client.post(_confirm_url(scan), _confirm_data(), follow=True)

    vehicle = Vehicle.objects.select_related("owner").get()
    assert response.redirect_chain == [(f"{RECEPTION}?vehicle={vehicle.pk}", 302)]
    assert (vehicle.vin, vehicle.plate, vehicle.brand, vehicle.model_name) == (
        CARD.vin,
        CARD.plate,
        "大众",
        "FV7152FBDBG",
    )
    assert (vehicle.engine_number, str(vehicle.sale_date), vehicle.mileage) == (
        CARD.engine_number,
        CARD.registered_on,
        35210,
    )
    assert (vehicle.owner.name, vehicle.owner.mobile, vehicle.owner.address) == (
        CARD.owner,
        "13700001111",
        CARD.address,
    )
    scan.refresh_from_db()
    assert (scan.vehicle, scan.customer) == (vehicle, vehicle.owner)
    body = response.content.decode()
    assert f"已建档:{CARD.owner} · {CARD.plate},行驶证照片已存档。" in body
    assert 'id="open-form"' in body  # the advisor opens the work order from here


def test_a_confirm_with_the_mobile_missing_shows_the_form_again_and_writes_nothing(
    advisor_client, advisor
):
    scan = licence_scan(by=advisor)

    response = advisor_client.post(_confirm_url(scan), _confirm_data(**{"customer-mobile": ""}))

    assert response.status_code == 422
    assert "请填写手机。" in response.content.decode()
    assert (Customer.objects.count(), Vehicle.objects.count()) == (0, 0)


def test_a_car_already_in_the_archive_is_offered_and_opened_with_the_photo(advisor_client, advisor):
    filed = VehicleFactory(vin=CARD.vin, plate=CARD.plate, owner=CustomerFactory(name="李明"))
    scan = licence_scan(by=advisor)
    url = _confirm_url(scan)

    page = advisor_client.get(url).content.decode()
    response = advisor_client.post(url, {"action": "existing", "vehicle": filed.pk})

    assert 'id="licence-matches"' in page
    assert "VIN 相同" in page and "打开这辆车接车" in page
    assert '<details id="licence-form-folded">' in page  # filing it again folds away
    assert response.url == f"{RECEPTION}?vehicle={filed.pk}"
    assert Vehicle.objects.count() == 1
    scan.refresh_from_db()
    assert scan.vehicle == filed


def test_a_car_not_named_by_the_reading_cannot_be_picked(advisor_client, advisor):
    VehicleFactory(vin=CARD.vin)
    other = VehicleFactory()
    scan = licence_scan(by=advisor)

    response = advisor_client.post(_confirm_url(scan), {"action": "existing", "vehicle": other.pk})

    assert "请选择识别结果对应的车辆。" in response.content.decode()
    scan.refresh_from_db()
    assert scan.vehicle is None


def test_confirming_the_vin_of_a_car_in_the_archive_opens_it_instead_of_a_duplicate(
    advisor_client, advisor
):
    filed = VehicleFactory(vin=CARD.vin, plate="粤B00001")
    scan = licence_scan(by=advisor)
    counts = (Customer.objects.count(), Vehicle.objects.count())

    response = advisor_client.post(_confirm_url(scan), _confirm_data(), follow=True)

    assert response.redirect_chain == [(f"{RECEPTION}?vehicle={filed.pk}", 302)]
    assert (Customer.objects.count(), Vehicle.objects.count()) == counts
    assert "档案中已有这辆车(VIN相同)" in response.content.decode()
    scan.refresh_from_db()
    assert scan.vehicle == filed


def test_a_car_found_by_its_plate_with_another_vin_is_opened_with_a_warning(
    advisor_client, advisor
):
    filed = VehicleFactory(plate=CARD.plate, vin=valid_vin(555, wmi="LFV"))
    scan = licence_scan(by=advisor)

    page = advisor_client.get(_confirm_url(scan)).content.decode()
    assert "车牌相同" in page and "licence-form-folded" not in page  # the VIN may be new

    response = advisor_client.post(_confirm_url(scan), _confirm_data(), follow=True)

    body = response.content.decode()
    assert response.redirect_chain == [(f"{RECEPTION}?vehicle={filed.pk}", 302)]
    assert "档案中已有这辆车(车牌相同)" in body
    assert f"档案中该车的 VIN 为 {filed.vin},与确认的 {CARD.vin} 不同" in body
    assert Vehicle.objects.count() == 1


def test_a_photo_already_confirmed_opens_its_car(advisor_client, advisor):
    car = VehicleFactory()
    scan = licence_scan(by=advisor, vehicle=car)

    response = advisor_client.get(_confirm_url(scan))

    assert response.url == f"{RECEPTION}?vehicle={car.pk}"


# --- the photo is personal data ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["advisor", "warranty", "manager"])
def test_the_roles_with_the_permission_see_the_photo_as_an_image(role, role_client, advisor):
    scan = licence_scan(by=advisor)

    response = role_client(role).get(reverse("customers:licence_scan_photo", args=[scan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("role", ["admin", "callback", "complaint", "supervisor", "technician"])
def test_other_roles_get_403_for_the_photo(role, role_client, advisor):
    scan = licence_scan(by=advisor)

    response = role_client(role).get(reverse("customers:licence_scan_photo", args=[scan.pk]))

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_the_vehicle_page_lists_its_photos_and_opens_them_only_with_the_permission(
    role_client, advisor
):
    car = VehicleFactory()
    scan = licence_scan(by=advisor, vehicle=car)
    photo_url = reverse("customers:licence_scan_photo", args=[scan.pk])
    page = reverse("customers:vehicle_detail", args=[car.pk])

    allowed = role_client("advisor").get(page).content.decode()
    masked = role_client("admin").get(page).content.decode()

    assert 'id="licence-scans"' in allowed and photo_url in allowed
    assert 'id="licence-scans"' in masked
    assert photo_url not in masked
    assert "含个人信息,仅限授权人员查看" in masked


def test_the_confirm_page_shows_the_photo_only_with_the_permission(client, user_with_role):
    advisor = user_with_role("advisor")
    # A desk user who may file cars and open orders but not see licence photos.
    desk = user_with_role("advisor")
    desk.groups.clear()
    desk.user_permissions.set(
        _permissions("add_workorder", "add_customer", "add_vehicle", "view_vehicle")
    )
    scan = licence_scan(by=advisor)
    client.force_login(desk)

    body = client.get(_confirm_url(scan)).content.decode()

    assert reverse("customers:licence_scan_photo", args=[scan.pk]) not in body
    assert "行驶证照片含个人信息,仅限有权限的人员查看。" in body
    assert 'id="licence-confirm-form"' in body


def _permissions(*codenames):
    return Permission.objects.filter(codename__in=codenames)
