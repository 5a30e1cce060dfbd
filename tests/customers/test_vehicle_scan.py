"""The new-vehicle form of a customer by photo (issue 12 point 3): the camera button (only
with the OCR extra), the form filled from the licence for that customer, and a car already
in the archive opened instead of registered twice."""

import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.customers import ocr
from apps.customers.models import LicenceScan, Vehicle
from apps.customers.views_licence import NOT_INSTALLED
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.licences import Card, card_photo, licence_scan, needs_the_ocr_extra

pytestmark = pytest.mark.django_db

CARD = Card()
CAMERA = 'accept="image/*" capture="environment"'


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def owner():
    return CustomerFactory(name=CARD.owner, mobile="13700001111")


@pytest.fixture
def advisor(user_with_role):
    return user_with_role("advisor")


@pytest.fixture
def advisor_client(client, advisor):
    client.force_login(advisor)
    return client


def _confirm_url(owner, scan) -> str:
    return reverse("customers:vehicle_scan_confirm", args=[owner.pk, scan.pk])


def _vehicle_data(**changes) -> dict:
    data = {
        "action": "create",
        "vin": CARD.vin,
        "plate": CARD.plate,
        "brand": "大众",
        "model_name": "FV7152FBDBG",
        "engine_number": CARD.engine_number,
        "sale_date": CARD.registered_on,
        "mileage": "35210",
    }
    return data | changes


@needs_the_ocr_extra
def test_the_new_vehicle_form_offers_the_camera_button_with_the_ocr_extra(advisor_client, owner):
    body = advisor_client.get(reverse("customers:vehicle_create", args=[owner.pk])).content.decode()

    assert CAMERA in body
    assert f'action="{reverse("customers:vehicle_scan", args=[owner.pk])}"' in body


def test_without_the_ocr_extra_the_new_vehicle_form_has_no_camera_and_still_saves(
    advisor_client, owner, monkeypatch
):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    ocr.ocr_available.cache_clear()
    url = reverse("customers:vehicle_create", args=[owner.pk])
    try:
        page = advisor_client.get(url).content.decode()
        saved = advisor_client.post(url, _vehicle_data())
        refused = advisor_client.post(
            reverse("customers:vehicle_scan", args=[owner.pk]),
            {"image": SimpleUploadedFile("a.jpg", card_photo(), "image/jpeg")},
            follow=True,
        )
    finally:
        ocr.ocr_available.cache_clear()

    assert CAMERA not in page
    assert saved.status_code == 302
    assert Vehicle.objects.get().vin == CARD.vin
    assert NOT_INSTALLED in refused.content.decode()
    assert LicenceScan.objects.count() == 0


@needs_the_ocr_extra
def test_a_photo_on_the_new_vehicle_form_opens_its_confirm_page(
    advisor_client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = advisor_client.post(
            reverse("customers:vehicle_scan", args=[owner.pk]),
            {"image": SimpleUploadedFile("IMG_2.jpg", card_photo(), "image/jpeg")},
        )

    assert response.url == _confirm_url(owner, LicenceScan.objects.get())


def test_the_form_is_filled_from_the_licence_for_the_customer(advisor_client, advisor, owner):
    scan = licence_scan(by=advisor)

    response = advisor_client.get(_confirm_url(owner, scan))

    form = response.context["form"]
    assert {name: form.initial.get(name) for name in form.fills} == {
        "plate": CARD.plate,
        "vin": CARD.vin,
        "brand": "大众",
        "model_name": "FV7152FBDBG",
        "engine_number": CARD.engine_number,
        "sale_date": CARD.registered_on,
    }
    body = response.content.decode()
    assert body.count("licence-filled") == 6
    assert "licence-owner-differs" not in body  # the licence names this customer


def test_a_licence_naming_someone_else_is_pointed_out(advisor_client, advisor):
    other = CustomerFactory(name="王建国")
    scan = licence_scan(by=advisor)

    body = advisor_client.get(_confirm_url(other, scan)).content.decode()

    assert f"行驶证上的所有人是“{CARD.owner}”,不是“王建国”" in body


def test_confirming_registers_the_car_for_the_customer_with_the_photo(
    advisor_client, advisor, owner
):
    scan = licence_scan(by=advisor)

    response = advisor_client.post(_confirm_url(owner, scan), _vehicle_data())

    vehicle = Vehicle.objects.get()
    assert response.url == reverse("customers:vehicle_detail", args=[vehicle.pk])
    assert (vehicle.owner, vehicle.vin, vehicle.plate, vehicle.engine_number) == (
        owner,
        CARD.vin,
        CARD.plate,
        CARD.engine_number,
    )
    scan.refresh_from_db()
    assert (scan.vehicle, scan.customer) == (vehicle, owner)


def test_a_car_already_in_the_archive_is_opened_with_a_note_about_its_owner(
    advisor_client, advisor, owner
):
    filed = VehicleFactory(vin=CARD.vin, owner=CustomerFactory(name="王建国"))
    scan = licence_scan(by=advisor)

    response = advisor_client.post(_confirm_url(owner, scan), _vehicle_data(), follow=True)

    assert response.redirect_chain == [(reverse("customers:vehicle_detail", args=[filed.pk]), 302)]
    body = response.content.decode()
    assert "档案中已有这辆车(VIN相同)" in body
    assert f"档案中该车的车主是 王建国,不是 {CARD.owner}" in body
    assert Vehicle.objects.count() == 1
    scan.refresh_from_db()
    assert scan.vehicle == filed


def test_the_offered_car_of_the_archive_opens_its_page(advisor_client, advisor, owner):
    filed = VehicleFactory(plate=CARD.plate, owner=owner)
    scan = licence_scan(by=advisor)

    page = advisor_client.get(_confirm_url(owner, scan)).content.decode()
    response = advisor_client.post(
        _confirm_url(owner, scan), {"action": "existing", "vehicle": filed.pk}
    )

    assert "车牌相同" in page and "打开车辆档案" in page
    assert response.url == reverse("customers:vehicle_detail", args=[filed.pk])
    scan.refresh_from_db()
    assert scan.vehicle == filed
