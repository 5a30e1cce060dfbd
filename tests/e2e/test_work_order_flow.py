"""Issue 8 "Done when", in the browser on a 10-inch tablet (1024×768): the advisor receives a
walk-in (a new customer and car created on the spot), marks a scratch on the outline and
adds a photo, the customer signs the sheet; on the order page the advisor adds a canned job
from the catalogue box, the customer approves all lines but one with a drawn signature; the
workshop takes the order through its states by the services, each move by the role that
makes it; the advisor does the internal check, delivers (the next maintenance defaults
shown) and settles with two payments, and opens the settlement PDF the Celery worker
issued, read back with pdftotext.

Every step leaves a screenshot in var/screenshots/ and /tmp/flow-*.png. Browser tests keep
the real clock (tests/core/test_tests_pin_dates.py): Chromium would see a pinned server's
session cookie as expired. serialized_rollback: see test_browser_flows.py.
"""

import datetime as dt
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.customers.models import Vehicle
from apps.workorders import services
from apps.workorders.models import (
    DamageMark,
    InspectionPhoto,
    LineStatus,
    Payment,
    WorkOrder,
    WorkOrderDocument,
    WorkOrderLine,
)
from tests.e2e.conftest import TABLET
from tests.factories.customers import valid_vin
from tests.factories.parts import PartFactory
from tests.factories.stock import issue, receive
from tests.factories.workorders import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    MaintenanceIntervalFactory,
    png_bytes,
)
from tests.pdf import pdf_text, squeeze

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(tempfile.gettempdir())  # copies for the reviewer: /tmp/flow-*.png
MODEL = "速腾 2023款 300TSI"
# The worker renders a PDF in a second or two (Noto CJK); 30 s only bounds a broken run.
WORKER_MS = 30_000


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def catalogue():
    """The 10,000 km service of the model: 1.0 h of labour at 200.00, 4 × 68.00 of oil, an
    oil filter at 45.00 and a cabin filter at 120.00 (the line the customer declines); the
    model's maintenance interval is 12 months / 7,500 km."""
    service = LabourOperationFactory(
        code="BY-10K", name="10000公里保养工时", standard_hours=Decimal("1.0")
    )
    oil = PartFactory(number="G052195M4", name="全合成机油 5W-30", unit="升", price=68)
    oil_filter = PartFactory(number="06L115562", name="机油滤清器", price=45)
    cabin_filter = PartFactory(number="5QD819653", name="空调滤清器", price=120)
    job = CannedJobFactory(name="10000公里保养", model_name=MODEL, mileage=10_000)
    CannedJobLineFactory(canned_job=job, labour_operation=service, position=1)
    for position, (part, quantity) in enumerate(
        [(oil, 4), (oil_filter, 1), (cabin_filter, 1)], start=2
    ):
        CannedJobLineFactory(
            canned_job=job,
            kind=WorkOrderLine.Kind.PART,
            labour_operation=None,
            part=part,
            quantity=Decimal(quantity),
            position=position,
        )
    MaintenanceIntervalFactory(model_name=MODEL, months=12, km=7500)
    return job


def _shot(page, name: str, screenshot) -> None:
    screenshot(page, f"flow-{name}")
    page.screenshot(path=SHOTS / f"flow-{name}.png", full_page=True)


def _shot_pdf_viewer(tab, name: str, screenshot) -> None:
    """Chromium's PDF viewer draws the page a moment after the tab has loaded, inside its
    own extension frame that the test cannot query: give it a second, then the picture."""
    tab.wait_for_timeout(1500)
    _shot(tab, name, screenshot)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the page scrolls sideways: {width}px"


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


def test_a_walk_in_goes_from_reception_to_a_settled_order_and_its_statement_on_a_tablet(
    live_server, new_page, role_user, log_in, screenshot, catalogue, celery_worker
):
    advisor = role_user("advisor", display_name="张顾问")
    page = new_page(TABLET, has_touch=True)  # a touch screen: the 44px tap targets apply
    log_in(page, advisor)

    # --- 1. reception: a walk-in, customer and car created on the spot ----------------------
    page.goto(f"{live_server.url}/workorders/reception/")
    page.locator("#reception-q").fill("粤B 6M2K8")
    page.locator("#reception-q").press("Enter")
    expect(page.locator("#reception-results")).to_contain_text("没有找到")
    page.locator("#new-customer").click()
    expect(page.locator("#id_vehicle-plate")).to_have_value("粤B6M2K8")  # carried from the search
    page.locator("#id_customer-name").fill("陈晓明")
    page.locator("#id_customer-mobile").fill("13800138000")
    page.locator("#id_vehicle-vin").fill(valid_vin(5150))
    page.locator("#id_vehicle-brand").fill("大众")
    page.locator("#id_vehicle-model_name").fill(MODEL)
    page.locator("#id_vehicle-colour").fill("白")
    page.locator("#id_vehicle-mileage").fill("9800")
    _no_sideways_scroll(page)
    _shot(page, "01-walk-in", screenshot)
    page.get_by_role("button", name="建档并开单").click()

    expect(page.locator("#reception-vehicle")).to_contain_text("陈晓明")
    vehicle = Vehicle.objects.get(plate="粤B6M2K8")
    page.get_by_label("进厂里程(公里)").fill("10150")
    page.get_by_label("客户描述(原话)").fill("到一万公里了,做个保养;空调有点味道。")
    _no_sideways_scroll(page)
    _shot(page, "02-open-form", screenshot)
    page.locator("#open-submit").click()

    # --- 2. the pre-inspection sheet: a scratch, a photo, the checks, the signature ---------
    expect(page.get_by_role("heading", name=re.compile("接车登记表"))).to_be_visible()
    order = WorkOrder.objects.get(vehicle=vehicle)
    assert (order.customer.name, order.mileage, order.advisor) == ("陈晓明", 10150, advisor)

    outline = page.locator("#car-outline")
    box = outline.bounding_box()
    outline.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.16})  # front left
    page.locator("#mark-picker").get_by_role("button", name="划痕").click()
    expect(page.locator("#mark-list")).to_contain_text("划痕")
    mark = DamageMark.objects.get(inspection__work_order=order)
    assert abs(float(mark.x) - 70) < 2 and abs(float(mark.y) - 16) < 2

    page.locator("input[type=file]").set_input_files(
        files=[{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": png_bytes(1280, 960)}]
    )
    expect(page.locator("#photo-list img")).to_have_count(1)
    assert InspectionPhoto.objects.filter(inspection__work_order=order).count() == 1

    page.locator("label[for=id_fuel_level_2]").click()
    page.get_by_label("车内贵重物品").fill("行车记录仪")
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator(".alert-success")).to_contain_text("接车检查已保存")
    _no_sideways_scroll(page)
    _shot(page, "03-inspection", screenshot)

    _draw(page, "#signature-canvas")
    page.get_by_role("button", name="确认签字").click()
    expect(page.locator("#signed")).to_contain_text("已签字(陈晓明,")
    _shot(page, "04-inspection-signed", screenshot)

    # --- 3. the order page: the canned job from the catalogue box ---------------------------
    page.locator("#order-link").click()
    expect(page.locator("h1")).to_contain_text(order.number)
    # htmx binds the box once the page's scripts have run: typing before that sends nothing.
    page.wait_for_load_state("load")
    page.locator("#catalogue-q").fill("保养")
    hit = page.locator("#catalogue-results form[data-source=canned]")
    expect(hit).to_contain_text("10000公里保养")
    _shot(page, "05-catalogue-search", screenshot)
    hit.get_by_role("button", name="添加").click()
    expect(page.locator("#lines tr.wo-line")).to_have_count(4)
    expect(page.locator("#lines tfoot")).to_contain_text("637.00")  # 200 + 272 + 45 + 120
    _no_sideways_scroll(page)
    _shot(page, "06-lines", screenshot)

    # --- 4. the customer approves all but the cabin filter and signs ------------------------
    row = page.locator(".approval-row", has_text="空调滤清器")
    row.get_by_text("不同意").click()
    row.locator(".decline-reason").fill("下次再换")
    _draw(page, "#signature-pad")
    _shot(page, "07-approval-signing", screenshot)
    page.get_by_role("button", name="记录客户确认").click()
    expect(page.locator("#approvals")).to_contain_text("签字核验通过")
    expect(page.locator("h1")).to_contain_text("客户确认")
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.APPROVED
    assert order.lines.get(description="空调滤清器").status == LineStatus.DECLINED
    assert order.customer_paid_amount == Decimal("517.00")
    assert services.approval_verify(order.approvals.get())
    _no_sideways_scroll(page)
    _shot(page, "08-approved", screenshot)

    # --- 5. the workshop, by the services, each move by its role ----------------------------
    supervisor, technician, qc = role_user("supervisor"), role_user("technician"), role_user("qc")
    approved = list(order.lines.filter(status=LineStatus.APPROVED))
    services.work_order_transition(work_order=order, name="dispatch", by=supervisor)
    services.work_order_transition(work_order=order, name="start", by=technician)
    # The parts counter receives and issues the approved parts (settlement needs them issued)
    parts_clerk = role_user("parts")
    approved_parts = {line: line.quantity for line in approved if line.part_id}
    for line, quantity in approved_parts.items():
        receive(line.part, quantity, "10.00", by=parts_clerk)
    issue(order, approved_parts, by=parts_clerk, technician=technician)
    for line in approved:
        services.line_mark_done(line=line, by=technician)
    services.work_order_transition(work_order=order, name="self_check", by=technician)
    services.work_order_transition(work_order=order, name="team_check", by=supervisor)
    for line in approved:
        services.line_qc_pass(line=line, by=qc)
    services.work_order_transition(work_order=order, name="final_qc", by=qc)
    services.work_order_transition(work_order=order, name="ready", by=qc)

    # --- 6. the internal check, delivery with the model's defaults, two payments -----------
    page.reload()
    expect(page.locator("h1")).to_contain_text("待交车")
    _no_sideways_scroll(page)
    _shot(page, "09-ready", screenshot)
    page.get_by_text("旧件已展示并交客户").click()
    page.get_by_role("button", name="内部检查完成").click()
    expect(page.locator("#delivery")).to_contain_text("内部检查")
    order.refresh_from_db()
    next_on, next_km = services.next_maintenance_defaults(order, on=timezone.localdate())
    assert next_km == 10150 + 7500  # the model's interval, not the settings' 5,000 km
    assert next_on - timezone.localdate() > dt.timedelta(days=360)  # 12 months, not 6
    expect(page.get_by_label("下次保养日期")).to_have_value(next_on.isoformat())
    expect(page.get_by_label("下次保养里程(公里)")).to_have_value(str(next_km))
    page.get_by_label("已告知客户三日内回访").check()
    _shot(page, "10-delivery", screenshot)
    page.locator("#deliver-form").get_by_role("button", name="交车").click()
    expect(page.locator("h1")).to_contain_text("已交车")

    rows = page.locator(".payment-row")
    expect(rows.nth(0).get_by_label("金额")).to_have_value("517.00")
    rows.nth(0).get_by_label("支付方式").select_option("wechat")
    rows.nth(0).get_by_label("金额").fill("300.00")
    rows.nth(0).get_by_label("交易参考号").fill("4200009876")
    rows.nth(1).get_by_label("支付方式").select_option("cash")
    rows.nth(1).get_by_label("金额").fill("217.00")
    _no_sideways_scroll(page)
    _shot(page, "11-settling", screenshot)
    page.locator("#settle-form").get_by_role("button", name="结算").click()
    expect(page.locator("h1")).to_contain_text("已结算")
    expect(page.locator("#settlement")).to_contain_text("微信支付 300.00(4200009876)")
    order.refresh_from_db()
    assert order.settled_at is not None
    assert sorted(order.payments.values_list("method", "amount")) == [
        (Payment.Method.CASH, Decimal("217.00")),
        (Payment.Method.WECHAT, Decimal("300.00")),
    ]

    # --- 7. the statement the worker issued after the commit, opened from the page -----------
    version = page.locator("#documents [data-kind=settlement] a.document-version")
    for _ in range(WORKER_MS // 500):
        if version.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(version).to_have_count(1)
    _no_sideways_scroll(page)
    _shot(page, "12-settled", screenshot)
    document = WorkOrderDocument.objects.get(work_order=order, kind="settlement")
    with page.expect_popup() as opened:  # the PDF opens in a tab of its own
        version.click()
    statement = opened.value
    statement.wait_for_load_state()
    assert statement.url == f"{live_server.url}/workorders/documents/{document.pk}/"
    _shot_pdf_viewer(statement, "13-settlement-pdf", screenshot)
    response = page.request.get(statement.url)  # the same file, with the tablet's session
    assert response.headers["content-type"] == "application/pdf"
    text = squeeze(pdf_text(response.body()))
    assert "结算单" in text and order.number in text
    assert "陈晓明" in text and "粤B6M2K8" in text
    assert "10000公里保养工时" in text and "机油滤清器" in text
    assert "空调滤清器" not in text  # declined: not on the statement
    assert "客户应付 ¥517.00" in text
    assert "伍佰壹拾柒元整" in text
    assert "微信支付 ¥300.00 4200009876" in text
    assert "现金 ¥217.00" in text
    assert "实收合计 ¥517.00" in text
    assert f"下次保养里程 {next_km:,} 公里" in text

    # 打印 on the page prints at once, in a new tab; the sheet has not changed since the
    # worker issued it after the signature, so it is that same version 1.
    reception = WorkOrderDocument.objects.get(work_order=order, kind="reception")
    row = page.locator("#documents [data-kind=reception]")
    with page.expect_popup() as opened:
        row.get_by_role("button", name="打印接车登记表").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{live_server.url}/workorders/documents/{reception.pk}/"
    _shot_pdf_viewer(tab, "14-reception-pdf", screenshot)
    assert WorkOrderDocument.objects.filter(work_order=order, kind="reception").count() == 1
