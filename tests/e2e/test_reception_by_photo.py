"""Reception by photo in the browser (issue 12): on a 10" tablet the advisor photographs a
行驶证 (a generated one, apps.customers.licence_samples), a real Celery worker reads it with
the real OCR engine, the advisor confirms the fields filled in, the car and its owner are
filed, and the work order opens for that car. A car already in the archive is opened
instead of being filed twice.

serialized_rollback: the live server and the worker need committed data (transaction=True),
and the flush after each test would otherwise drop the role groups the migrations created.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.customers.licence_samples import licence_photo
from apps.customers.models import LicenceScan, Vehicle
from apps.workorders.models import WorkOrder
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin
from tests.factories.licences import Card, card_photo, licence_scan, needs_the_ocr_extra

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A generated 行驶证 whose every field the engine reads right (checked when written; the
# test asserts the fields it fills, so a change of the engine or the parser shows here).
SEED = 2
# The engine reads a photo in 1-10 s on this shared machine; 90 s bound a broken test.
READING_MS = 90_000
PORTRAIT_TABLET = {"width": 820, "height": 1180}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def photo(tmp_path):
    """The generated photo, saved as the tablet's camera would hand it over."""
    data, truth = licence_photo(SEED)
    path = tmp_path / "IMG_20261124_093012.jpg"
    path.write_bytes(data)
    return path, truth


def _open_reception(page) -> None:
    page.locator("#main-menu").get_by_role("button", name="工单").click()
    page.get_by_role("link", name="接车开单").click()
    expect(page.get_by_role("heading", name="接车开单")).to_be_visible()


@needs_the_ocr_extra
def test_the_advisor_photographs_a_licence_confirms_it_and_opens_the_work_order(
    live_server, new_page, role_user, log_in, celery_worker, photo, screenshot
):
    path, truth = photo
    advisor = role_user("advisor")
    page = new_page(TABLET, has_touch=True)
    log_in(page, advisor)

    # 1. reception: the camera button (the extra is installed)
    _open_reception(page)
    camera = page.locator("label.licence-camera")
    expect(camera).to_contain_text("拍行驶证接车")
    screenshot(page, "reception-scan-button")

    # 2. the photo taken: uploaded at once, read in the background
    page.locator("input.licence-input").set_input_files(path)
    expect(page.get_by_role("heading", name="拍照接车:核对行驶证")).to_be_visible()
    screenshot(page, "reception-scan-reading")  # 正在识别照片… (a second or a few)

    # 3. the fields filled in, highlighted, each with what was read
    form = page.locator("#licence-confirm-form")
    expect(form).to_be_visible(timeout=READING_MS)
    expect(page.locator("#id_vehicle-vin")).to_have_value(truth["vin"])
    expect(page.locator("#id_vehicle-plate")).to_have_value(truth["plate"])
    expect(page.locator("#id_vehicle-engine_number")).to_have_value(truth["engine_number"])
    expect(page.locator("#id_vehicle-sale_date")).to_have_value(truth["registered_on"])
    expect(page.locator("#id_customer-name")).to_have_value(truth["owner"])
    expect(page.locator("#id_customer-address")).to_have_value(truth["address"])
    expect(page.locator("#licence-vehicle-vin")).to_have_class(re.compile("licence-filled"))
    expect(page.locator("#licence-vehicle-vin .licence-read")).to_contain_text(
        f"识别为:{truth['vin']}"
    )
    expect(page.locator("#id_customer-mobile")).to_have_value("")  # the licence has none
    expect(page.locator("img.licence-photo")).to_be_visible()
    screenshot(page, "reception-scan-confirm")

    # 4. the advisor checks them against the card, types the mobile and the mileage, confirms
    page.locator("#id_customer-mobile").fill("13700001111")
    page.locator("#id_vehicle-mileage").fill("35210")
    page.locator("#licence-confirm").click()

    # 5. reception with the new car selected: the work order opens for it
    expect(page.locator("#reception-vehicle")).to_contain_text(truth["owner"])
    expect(page.locator(".alert-success")).to_contain_text("行驶证照片已存档")
    vehicle = Vehicle.objects.select_related("owner").get(vin=truth["vin"])
    assert (vehicle.plate, vehicle.owner.name, vehicle.owner.mobile) == (
        truth["plate"],
        truth["owner"],
        "13700001111",
    )
    assert LicenceScan.objects.get().vehicle == vehicle
    page.get_by_label("进厂里程(公里)").fill("35210")
    screenshot(page, "reception-scan-open")
    page.locator("#open-submit").click()
    expect(page.get_by_role("heading", name=re.compile("接车登记表"))).to_be_visible()
    order = WorkOrder.objects.get(vehicle=vehicle)
    assert (order.customer, order.advisor, order.mileage) == (vehicle.owner, advisor, 35210)


@needs_the_ocr_extra
def test_a_car_already_in_the_archive_is_opened_instead_of_filed_twice(
    live_server, new_page, role_user, log_in, celery_worker, photo, screenshot
):
    path, truth = photo
    filed = VehicleFactory(
        vin=truth["vin"], plate=truth["plate"], owner=CustomerFactory(name=truth["owner"])
    )
    advisor = role_user("advisor")
    page = new_page(PORTRAIT_TABLET, has_touch=True)
    log_in(page, advisor)
    page.goto(f"{live_server.url}/workorders/reception/")

    page.locator("input.licence-input").set_input_files(path)
    matches = page.locator("#licence-matches")
    expect(matches).to_be_visible(timeout=READING_MS)
    expect(matches).to_contain_text(truth["plate"])
    expect(matches).to_contain_text("VIN 相同")
    screenshot(page, "reception-scan-existing")
    matches.get_by_role("button", name="打开这辆车接车").click()

    expect(page.locator("#reception-vehicle")).to_contain_text(truth["plate"])
    expect(page.locator(".alert-info")).to_contain_text("已打开档案中的车辆")
    assert list(Vehicle.objects.all()) == [filed]
    assert LicenceScan.objects.get().vehicle == filed


def test_a_tap_on_a_vin_candidate_fills_the_vin(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a licence whose VIN was read with L for 1: three readings pass the check digit
    advisor = role_user("advisor")
    card = Card(vin=valid_vin(1, wmi="LSV"))
    lines = [line for line in card.lines() if not line.startswith("车辆识别代号")]
    scan = licence_scan(
        by=advisor, lines=[*lines, "车辆识别代号 LSV2A21K7PL000001"], photo=card_photo(card)
    )
    page = new_page(TABLET, has_touch=True)
    log_in(page, advisor)
    page.goto(f"{live_server.url}/workorders/reception/scan/{scan.pk}/")

    # Then the VIN is left empty, with the candidates to pick from
    vin = page.locator("#id_vehicle-vin")
    expect(vin).to_have_value("")
    candidates = page.locator("#licence-vehicle-vin .licence-candidate")
    expect(candidates).to_have_count(3)
    screenshot(page, "reception-scan-candidates")

    # When the advisor taps the one on the card
    page.get_by_role("button", name=valid_vin(1, wmi="LSV")).click()

    # Then it fills the VIN field
    expect(vin).to_have_value(valid_vin(1, wmi="LSV"))
    expect(page.get_by_role("button", name=valid_vin(1, wmi="LSV"))).to_have_class(
        re.compile("active")
    )
