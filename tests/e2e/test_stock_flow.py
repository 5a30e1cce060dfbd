"""Issue 10 (stock) in the browser on a 10-inch tablet: a work order waits for a missing
part; the parts clerk raises the purchase request (the work-order page shows the expected
arrival), receives the part against the supplier's delivery note, issues it with the oil
the order also needs, and the technician signs on the tablet; the advisor's 工作台 says the
part arrived.

Every step leaves a screenshot in var/screenshots/ (stock-*.png). Browser tests keep the
real clock (tests/core/test_tests_pin_dates.py).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.stock import services
from apps.stock.models import IssueSlip, PurchaseRequest, Stock
from apps.workorders.models import WorkOrder
from tests.e2e.conftest import TABLET
from tests.factories.parts import PartFactory
from tests.factories.stock import parts_lines, parts_order, receive

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"  # the technician's signature


def _draw(page, canvas_selector: str) -> None:
    """A finger (the mouse) signs on the canvas: one zigzag stroke."""
    canvas = page.locator(canvas_selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 40, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 30, y + (-1) ** step * box["height"] / 4, steps=4)
    page.mouse.up()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the page scrolls sideways: {width}px"


def test_a_missing_part_is_requested_received_issued_and_signed_for_on_a_tablet(
    live_server, new_page, role_user, log_in, screenshot
):
    clerk = role_user("parts", display_name="陈配件")
    technician = role_user("technician", display_name="王师傅")
    advisor = role_user("advisor", display_name="周服务")
    pads = PartFactory(number="5QD698151", name="前刹车片(套)", unit="套", price=580)
    oil = PartFactory(number="G052195M4", name="全合成机油 5W-30 4L", unit="桶", price=438)
    receive(oil, 6, "270.00", by=clerk)
    services.stock_update(part=pads, by=clerk, bin="B-02-05", minimum=2)
    services.stock_update(part=oil, by=clerk, bin="A-01-01", minimum=4)
    order = parts_order(WorkOrder.Status.IN_PROGRESS, [(pads, 1), (oil, 1)])
    WorkOrder.objects.filter(pk=order.pk).update(advisor=advisor)
    pads_line, oil_line = parts_lines(order)
    page = new_page(TABLET, has_touch=True)
    log_in(page, clerk)

    # --- 1. the 工作台: the order waits for its parts, the pads are under their minimum ----------
    expect(page.locator("#home-waiting-issue")).to_contain_text(order.number)
    expect(page.locator("#home-below-minimum")).to_contain_text("5QD698151")
    screenshot(page, "stock-01-clerk-home")
    page.locator("#home-waiting-issue").get_by_role("link", name=order.number).click()

    # --- 2. the order's parts page: the pads are missing; a purchase request -------------------
    expect(page.locator(f"#part-line-{pads_line.pk}")).to_contain_text("缺 1")
    expect(page.locator(f"#part-line-{oil_line.pk}")).to_contain_text("可出库")
    page.locator(f"#part-line-{pads_line.pk}").get_by_role("button", name="请购").click()
    arrival = timezone.localdate() + dt.timedelta(days=2)
    page.locator(f"#re-{pads_line.pk}").fill(arrival.isoformat())
    _no_sideways_scroll(page)
    screenshot(page, "stock-02-request")
    page.get_by_role("button", name="提交请购").click()
    request = PurchaseRequest.objects.get()
    expect(page.locator(".alert-success")).to_contain_text(f"已请购 {request.number}")

    # --- 3. the work-order page shows the order waiting, and when the part is due ---------------
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    block = page.locator("#parts-block")
    expect(block).to_contain_text("等待配件")
    expect(block).to_contain_text(f"预计 {arrival:%m-%d} 到货")
    block.scroll_into_view_if_needed()
    screenshot(page, "stock-03-work-order-waiting")

    # --- 4. the part arrives: received against the delivery note, from the request -------------
    page.get_by_role("button", name="配件", exact=True).click()
    page.get_by_role("link", name="请购").click()
    page.locator(f"#request-{request.pk}").get_by_role("link", name="到货入库").click()
    expect(page.locator('input[name="lines-0-part_number"]')).to_have_value("5QD698151")
    expect(page.locator('input[name="lines-0-quantity"]')).to_have_value("1")
    page.get_by_label("供应商").fill("一汽-大众华南配件中心")
    page.get_by_label("送货单号").fill("SD 2026 1124 07")
    page.locator('input[name="lines-0-unit_cost"]').fill("352.50")
    _no_sideways_scroll(page)
    screenshot(page, "stock-04-receiving")
    page.get_by_role("button", name="确认入库").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已到货的请购单 {request.number}")
    expect(page.locator("#receipt")).to_contain_text("SD2026112407")
    screenshot(page, "stock-05-received")
    stock = Stock.objects.get(pk=pads.pk)
    assert (stock.on_hand, stock.reserved) == (1, 1)  # set aside for the order

    # --- 5. the clerk issues both lines; the technician signs on the tablet --------------------
    page.goto(f"{live_server.url}/stock/work-orders/{order.pk}/")
    expect(page.locator(f"#part-line-{pads_line.pk}")).to_contain_text("可出库")
    expect(page.locator(f'input[name="q_{pads_line.pk}"]')).to_have_value("1")
    expect(page.locator(f'input[name="q_{oil_line.pk}"]')).to_have_value("1")
    page.get_by_label("领料技师").select_option(label="王师傅")
    _draw(page, "#issue-signature")
    _no_sideways_scroll(page)
    screenshot(page, "stock-06-technician-signs")
    page.get_by_role("button", name="签字出库").click()

    slip = IssueSlip.objects.get()
    expect(page.locator("#slip")).to_contain_text(slip.number)
    expect(page.locator("#slip")).to_contain_text("已签字")
    expect(page.get_by_role("img", name="王师傅 的签字")).to_be_visible()
    screenshot(page, "stock-07-slip-signed")
    assert (slip.technician, slip.by, slip.signature.signer_name) == (technician, clerk, "王师傅")
    order_lines = {line.pk: line.issued_quantity for line in parts_lines(order)}
    assert order_lines == {pads_line.pk: Decimal(1), oil_line.pk: Decimal(1)}
    assert Stock.objects.get(pk=pads.pk).on_hand == 0
    assert Stock.objects.get(pk=oil.pk).on_hand == 5

    # --- 6. the advisor is told the part arrived; the order no longer waits ---------------------
    advisor_page = new_page(TABLET)
    log_in(advisor_page, advisor)
    expect(advisor_page.locator("#home-arrivals")).to_contain_text(order.number)
    expect(advisor_page.locator("#home-arrivals")).to_contain_text("前刹车片(套)")
    screenshot(advisor_page, "stock-08-advisor-arrival")
    advisor_page.goto(f"{live_server.url}{order.get_absolute_url()}")
    expect(advisor_page.locator("#parts-block")).to_contain_text("已出库")
    expect(advisor_page.locator("#parts-block")).not_to_contain_text("等待配件")
