"""The work-order page on a 10-inch tablet (1024×768): the customer signs the estimate on
the screen declining one line, and a ready car is handed over and settled with two
payments. Nothing scrolls sideways. See test_browser_flows.py for serialized_rollback."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.workorders import services
from apps.workorders.models import LineStatus, Payer, WorkOrder, WorkOrderLine
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.workorders import flow_user, order_in_state

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def _estimate() -> list[services.NewLine]:
    rows = [
        ("labour", "更换机油机滤", "1", "180.00", Payer.CUSTOMER),
        ("labour", "四轮定位", "1.5", "200.00", Payer.CUSTOMER),
        ("part", "机油 5W-30", "4", "60.00", Payer.CUSTOMER),
        ("part", "机油滤清器", "1", "45.00", Payer.CUSTOMER),
        ("part", "前刹车片(三包)", "1", "380.00", Payer.WARRANTY),
        ("material", "清洗剂", "2", "15.00", Payer.CUSTOMER),
    ]
    return [
        services.NewLine(
            kind=kind,
            description=text,
            quantity=Decimal(qty),
            unit_price=Decimal(price),
            payer=payer,
        )
        for kind, text, qty, price, payer in rows
    ]


def test_the_customer_signs_the_estimate_on_the_tablet_declining_one_line(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a draft order of six lines for 王建国's car
    vehicle = VehicleFactory(owner=CustomerFactory(name="王建国"), plate="粤B12345")
    order = order_in_state(WorkOrder.Status.DRAFT, vehicle=vehicle, lines=_estimate())
    alignment = order.lines.get(description="四轮定位")
    page = new_page(TABLET)
    log_in(page, role_user("advisor", display_name="张顾问"))

    # When the advisor opens it
    page.goto(f"{live_server.url}/workorders/{order.pk}/")

    # Then the document shows its lines by kind, the totals and the approval panel
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.locator("#lines tbody tr.wo-line")).to_have_count(6)
    expect(page.locator("#approval")).to_be_visible()
    _no_sideways_scroll(page)
    screenshot(page, "work-order-draft-tablet")

    # When the customer declines the alignment and signs
    row = page.locator(".approval-row", has_text="四轮定位")
    row.get_by_text("不同意").click()
    row.locator(".decline-reason").fill("下次再做")
    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 150)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 30, box["y"] + 150 - (step % 3) * 35, steps=3)
    page.mouse.up()
    screenshot(page, "work-order-signing-tablet")
    page.get_by_role("button", name="记录客户确认").click()

    # Then the order is approved, the declined line kept apart, the signature verified
    expect(page.get_by_role("alert").first).to_contain_text("已记录客户确认。")
    expect(page.locator("h1")).to_contain_text("客户确认")
    expect(page.locator("#approvals")).to_contain_text("签字核验通过")
    expect(page.locator(f"#line-{alignment.pk}")).to_contain_text("不同意")
    alignment.refresh_from_db()
    assert alignment.status == LineStatus.DECLINED
    assert order.approvals.get().signature is not None
    _no_sideways_scroll(page)
    screenshot(page, "work-order-approved-tablet")


def test_the_advisor_hands_over_and_settles_with_two_payments(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a car ready for delivery, 420.00 for the customer
    order = order_in_state(WorkOrder.Status.READY, by=flow_user())
    assert order.customer_paid_amount == Decimal("420.00")
    page = new_page(TABLET)
    log_in(page, role_user("advisor"))
    page.goto(f"{live_server.url}/workorders/{order.pk}/")
    screenshot(page, "work-order-ready-tablet")

    # When the advisor records the internal check and hands the car over
    page.get_by_text("旧件已展示并交客户").click()
    page.get_by_role("button", name="内部检查完成").click()
    expect(page.locator("#delivery")).to_contain_text("内部检查")
    page.get_by_label("已告知客户三日内回访").check()
    page.locator("#deliver-form").get_by_role("button", name="交车").click()
    expect(page.locator("h1")).to_contain_text("已交车")

    # And takes 120.00 in cash and 300.00 by WeChat Pay
    rows = page.locator(".payment-row")
    rows.nth(0).get_by_label("金额").fill("120.00")
    rows.nth(1).get_by_label("支付方式").select_option("wechat")
    rows.nth(1).get_by_label("金额").fill("300.00")
    rows.nth(1).get_by_label("交易参考号").fill("4200001234")
    screenshot(page, "work-order-settling-tablet")
    page.locator("#settle-form").get_by_role("button", name="结算").click()

    # Then the order is settled, read-only, with both payments listed
    expect(page.locator("h1")).to_contain_text("已结算")
    expect(page.locator("#settlement")).to_contain_text("微信支付 300.00(4200001234)")
    expect(page.locator("#read-only")).to_be_visible()
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.SETTLED
    assert order.lines.filter(kind=WorkOrderLine.Kind.LABOUR).exists()
    _no_sideways_scroll(page)
    screenshot(page, "work-order-settled-tablet")
