"""Reception in the browser (issue 8 points 1 and 8): from the search box to a new work
order for a returning customer's car in at most 5 interactions (counted), and the
pre-inspection sheet on a 10" tablet: a scratch marked on the outline, a photo added, the
customer's signature drawn on the pad.

serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.workorders import services
from apps.workorders.models import DamageMark, Inspection, InspectionPhoto, WorkOrder
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import png_bytes

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_INTERACTIONS = 5  # issue 8 point 8: search box → new work order
SHOTS = Path(tempfile.gettempdir())  # copies for the reviewer: /tmp/reception-*.png


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def returning_car():
    owner = CustomerFactory(name="王建国", mobile="13912345678")
    car = VehicleFactory(owner=owner, plate="粤B12345", mileage=30_000)
    recommendation(car, description="更换刹车片")
    return car


class Interactions:
    """Counts what the advisor does: typing a field (with its Enter), a click, a tap."""

    def __init__(self):
        self.done: list[str] = []

    def __call__(self, what: str) -> None:
        self.done.append(what)


def _wait_loaded(page, selector: str) -> None:
    """The image at `selector` arrived and decoded (a broken image has no natural width)."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i?.complete && i.naturalWidth > 0 }",
        arg=selector,
    )


def _shot(page, name: str, screenshot) -> None:
    screenshot(page, name)
    page.screenshot(path=SHOTS / f"reception-{name}.png", full_page=True)


def test_from_the_header_search_box_to_a_new_order_takes_at_most_five_interactions(
    live_server, new_page, role_user, log_in, returning_car, screenshot
):
    advisor = role_user("advisor")
    page = new_page(TABLET)
    log_in(page, advisor)
    count = Interactions()

    # 1. the plate typed into the header's search box, as people type it, and Enter
    box = page.locator("input.global-search")
    box.fill("粤b 12345")
    box.press("Enter")
    count("type the plate in the header search box")
    # the whole plate opens the vehicle page directly
    expect(page).to_have_url(f"{live_server.url}/archive/vehicles/{returning_car.pk}/")

    # 2. 接车开单 on the vehicle page: the reception page with the car selected
    page.locator("#vehicle-reception").click()
    count("tap 接车开单")
    expect(page.locator("#reception-vehicle")).to_contain_text("王建国")
    expect(page.locator("#reception-recommendations")).to_contain_text("更换刹车片")

    # 3. the mileage (kind, promised time and advisor have their defaults)
    page.get_by_label("进厂里程(公里)").fill("31200")
    count("type the mileage")
    expect(page.locator("#mileage-reason")).to_be_hidden()
    _shot(page, "open-form", screenshot)

    # 4. open
    page.locator("#open-submit").click()
    count("submit the open form")

    expect(page.get_by_role("heading", name=re.compile("接车登记表"))).to_be_visible()
    order = WorkOrder.objects.get(vehicle=returning_car)
    assert (order.advisor, order.mileage) == (advisor, 31200)
    assert len(count.done) <= MAX_INTERACTIONS, count.done
    assert len(count.done) == 4, count.done


def test_from_the_reception_box_with_part_of_the_plate_takes_at_most_five_interactions(
    live_server, new_page, role_user, log_in, returning_car, screenshot
):
    VehicleFactory(plate="粤B12399")  # another car matching the fragment
    advisor = role_user("advisor")
    page = new_page(TABLET)
    page_url = f"{live_server.url}/workorders/reception/"
    log_in(page, advisor)
    page.goto(page_url)
    count = Interactions()

    # 1. part of the plate, full-width digits and all
    box = page.locator("#reception-q")
    box.fill("b１２３")
    box.press("Enter")
    count("type part of the plate")
    results = page.locator("#reception-results a")
    expect(results).to_have_count(2)
    _shot(page, "search-results", screenshot)

    # 2. pick the car
    results.filter(has_text="粤B12345").click()
    count("pick the car")

    # 3. a mileage lower than the last one shows the reason field at once
    page.get_by_label("进厂里程(公里)").fill("29500")
    count("type the mileage")
    expect(page.locator("#mileage-reason")).to_be_visible()

    # 4. the reason
    page.get_by_label("里程低于上次记录的原因").fill("更换过仪表")
    count("type the reason")

    # 5. open
    page.locator("#open-submit").click()
    count("submit the open form")

    expect(page.get_by_role("heading", name=re.compile("接车登记表"))).to_be_visible()
    order = WorkOrder.objects.get(vehicle=returning_car)
    assert order.mileage_lower_reason == "更换过仪表"
    assert len(count.done) <= MAX_INTERACTIONS, count.done


def test_a_lower_mileage_without_a_reason_is_refused_and_the_form_keeps_what_was_typed(
    live_server, new_page, role_user, log_in, returning_car
):
    page = new_page(TABLET)
    log_in(page, role_user("advisor"))
    page.goto(f"{live_server.url}/workorders/reception/?vehicle={returning_car.pk}")

    page.get_by_label("进厂里程(公里)").fill("100")
    page.get_by_label("客户描述(原话)").fill("刹车有异响")
    page.locator("#open-submit").click()

    expect(page.locator("#mileage-reason")).to_be_visible()
    expect(page.locator("#open-form")).to_contain_text("里程")
    expect(page.get_by_label("客户描述(原话)")).to_have_value("刹车有异响")
    assert WorkOrder.objects.count() == 0


def test_on_a_tablet_the_advisor_marks_a_scratch_adds_a_photo_and_the_customer_signs(
    live_server, new_page, role_user, log_in, returning_car, screenshot
):
    advisor = role_user("advisor")
    order = services.work_order_open(
        vehicle=returning_car,
        by=advisor,
        kind=WorkOrder.Kind.MAINTENANCE,
        mileage=31_200,
        promised_at=dt.datetime(2030, 1, 1, 17, 0, tzinfo=dt.UTC),
        customer_words="冷启动有异响",
        advisor=advisor,
    )
    page = new_page(TABLET)
    log_in(page, advisor)
    page.goto(f"{live_server.url}/workorders/{order.pk}/inspection/")
    _shot(page, "sheet-empty", screenshot)

    # The advisor taps the front left door of the outline and picks 划痕
    outline = page.locator("#car-outline")
    box = outline.bounding_box()
    outline.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.2})
    picker = page.locator("#mark-picker")
    expect(picker).to_be_visible()
    picker.get_by_role("button", name="划痕").click()
    expect(page.locator("#mark-list")).to_contain_text("划痕")
    expect(page.locator("#car-outline g.mark")).to_have_count(1)
    mark = DamageMark.objects.get(inspection__work_order=order)
    assert mark.kind == DamageMark.Kind.SCRATCH
    assert abs(float(mark.x) - 60) < 2 and abs(float(mark.y) - 20) < 2

    # … a photo (the tablet's camera: here a generated PNG)
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": png_bytes(640, 480)}]
    )
    # (uploaded as soon as it is chosen)
    thumbnail = page.locator("#photo-list img")
    expect(thumbnail).to_have_count(1)
    _wait_loaded(page, "#photo-list img")
    assert InspectionPhoto.objects.filter(inspection__work_order=order).count() == 1

    # … the checks, with big buttons
    page.locator("label[for=id_fuel_level_3]").click()
    page.locator("label[for=id_fluid_washer_2]").click()
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator(".alert-success")).to_contain_text("接车检查已保存")
    sheet = Inspection.objects.get(work_order=order)
    assert (sheet.fuel_level, sheet.fluids["washer"]) == (3, "missing")
    _shot(page, "sheet-filled", screenshot)

    # The customer signs with a finger (here the mouse) on the pad
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    pad = canvas.bounding_box()
    page.mouse.move(pad["x"] + 40, pad["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 40 + step * 30, pad["y"] + 120 + (-1) ** step * 40, steps=4)
    page.mouse.up()
    _shot(page, "sheet-signing", screenshot)
    page.get_by_role("button", name="确认签字").click()

    expect(page.locator("#signed")).to_contain_text("已签字(王建国,")
    image = page.locator("#signature img")
    expect(image).to_be_visible()
    _wait_loaded(page, "#signature img")
    sheet.refresh_from_db()
    assert sheet.signature.signer_name == "王建国"
    assert len(sheet.signature.points) == 1
    expect(page.locator("#mark-picker")).to_have_count(0)  # signed: no more changes
    _shot(page, "sheet-signed", screenshot)
