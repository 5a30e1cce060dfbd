"""The main flows in a real browser: search and the customer card, the Excel import with a
real Celery worker, the Chinese 403 page, and a form error fixed in place.

Each test leaves full-page screenshots in var/screenshots/ for a human to look at.
serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from apps.customers import importing
from apps.customers.models import Customer, ImportBatch
from apps.workorders.models import Payer, WorkOrderLine
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory, WorkOrderLineFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The import page polls every 2 s; the worker needs well under a second for a tiny file.
IMPORT_TIMEOUT_MS = 15_000


def opened(year, month, day):
    return timezone.make_aware(dt.datetime(year, month, day, 9, 30))


def test_advisor_finds_a_car_by_plate_fragment_and_reads_its_customer_card(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given an advisor, and a customer whose car came in twice (three lines in all)
    advisor = role_user("advisor", display_name="王顾问")
    customer = CustomerFactory(name="林嘉怡", mobile="13912345678")
    vehicle = VehicleFactory(
        owner=customer, plate="粤B8K2Q7", brand="丰田", model_name="凯美瑞 2022款 2.5G"
    )
    first = WorkOrderFactory(
        vehicle=vehicle, number="WO202401150001", opened_at=opened(2024, 1, 15), mileage=10100
    )
    WorkOrderLineFactory(work_order=first, description="更换机油机滤工时")
    WorkOrderLineFactory(
        work_order=first,
        kind=WorkOrderLine.Kind.PART,
        code="04152-YZZA6",
        description="机油滤清器",
        unit_price=Decimal("85.00"),
        amount=Decimal("85.00"),
    )
    second = WorkOrderFactory(
        vehicle=vehicle,
        number="WO202407200002",
        opened_at=opened(2024, 7, 20),
        mileage=19850,
        customer_words="高速行驶时方向盘抖动",
    )
    WorkOrderLineFactory(work_order=second, description="四轮定位", payer=Payer.WARRANTY)
    page = new_page(TABLET)
    log_in(page, advisor)
    screenshot(page, "home-advisor-tablet")

    # When the advisor types a fragment of the plate (lower case) in the top search box
    search_box = page.locator("nav").get_by_role("searchbox")
    search_box.fill("8k2q")
    search_box.press("Enter")

    # Then the car is found by its plate, with its owner
    expect(page.get_by_role("heading", name="搜索“8k2q”")).to_be_visible()
    result = page.locator("#vehicle-results tbody tr")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("粤B8K2Q7")
    expect(result).to_contain_text("丰田 凯美瑞 2022款 2.5G")
    expect(result).to_contain_text("139****5678")  # a result list masks the phone
    screenshot(page, "search-plate-fragment-tablet")

    # When the advisor opens the owner's customer info card
    result.get_by_role("link", name="林嘉怡").click()

    # Then the card shows the car, both visits with their lines, and the phone masked until
    # 显示 (tests/e2e/test_search_and_pii.py reveals it)
    expect(page).to_have_url(re.compile(rf"/archive/customers/{customer.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("林嘉怡 客户售后信息卡")
    expect(page.locator("#customer-mobile")).to_contain_text("139****5678")
    vehicles = page.locator(".card", has_text="车辆").locator(".list-group-item")
    expect(vehicles).to_have_count(1)
    expect(vehicles).to_contain_text("粤B8K2Q7")
    expect(vehicles).to_contain_text("凯美瑞 2022款 2.5G")
    expect(vehicles).to_contain_text("当前车主")
    expect(page.locator("#visit-summary")).to_contain_text("2进厂次数")
    visits = page.locator("#visits tbody tr")
    expect(visits).to_have_text(
        [
            re.compile(r"^WO202407200002\s*2024-07-20\s*粤B8K2Q7\s*保养\s*19850"),
            re.compile(r"工时 · 四轮定位.*三包/索赔"),
            re.compile(r"客户描述:高速行驶时方向盘抖动"),
            re.compile(r"^WO202401150001\s*2024-01-15\s*粤B8K2Q7\s*保养\s*10100"),
            re.compile(r"工时 · 更换机油机滤工时.*客户"),
            re.compile(r"配件 · 机油滤清器 \(04152-YZZA6\).*85\.00"),
        ]
    )
    screenshot(page, "customer-card-tablet")


GOOD_VIN = "LSVAU218XN2183294"
BAD_VIN = "LSVAU2180N2183294"  # the same VIN with a wrong check digit (9th character)


def _workbook(*, mobile: str, vin: str, address: str = "深圳市南山区科技园") -> bytes:
    """A workbook laid out like the import template, with its example rows (one customer,
    car and visit) given the customer's mobile number, address, the VIN and a work-order
    number of their own (the template's example rows left as they are are refused). Built
    here rather than by editing the template: it formats 5,000 rows and loads slowly."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns in importing.SHEETS.items():
        sheet = workbook.create_sheet(title)
        sheet.append([column.header for column in columns])
        sheet.append([column.example for column in columns])
    workbook["客户"]["C2"] = workbook["车辆"]["H2"] = mobile
    workbook["客户"]["G2"] = address
    workbook["车辆"]["A2"] = workbook["维修记录"]["B2"] = vin
    workbook["维修记录"]["A2"] = "WO2024010100001"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_manager_sees_every_error_of_a_bad_import_then_imports_the_fixed_file(
    live_server, new_page, role_user, log_in, screenshot, celery_worker
):
    # Given a manager on the import page
    manager = role_user("manager", display_name="赵经理")
    page = new_page()
    log_in(page, manager)
    page.goto(f"{live_server.url}/archive/imports/")
    screenshot(page, "import-list")

    # When the manager uploads a workbook with a 10-digit mobile number and a bad VIN
    page.get_by_label("Excel 文件(.xlsx)").set_input_files(
        {
            "name": "旧系统档案.xlsx",
            "mimeType": XLSX,
            "buffer": _workbook(mobile="1381234567", vin=BAD_VIN),
        }
    )
    page.get_by_role("button", name="上传并导入").click()

    # Then the worker rejects it, the page lists each error, and nothing is imported
    errors = page.locator("#import-errors tbody tr")
    expect(errors.first).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(page.locator("#import-status")).to_contain_text("没有导入任何数据")
    expect(errors).to_have_text(
        [
            re.compile(r"^客户\s*2\s*C 手机\*\s*手机号应为 11 位数字"),
            re.compile(r"^车辆\s*2\s*A VIN\*\s*.*校验位"),
            re.compile(r"^车辆\s*2\s*H 车主手机\*\s*手机号应为 11 位数字"),
            re.compile(r"^维修记录\s*2\s*B VIN\*\s*.*校验位"),
        ]
    )
    assert Customer.objects.count() == 0
    screenshot(page, "import-rejected")

    # When the manager uploads the corrected file
    page.goto(f"{live_server.url}/archive/imports/")
    page.get_by_label("Excel 文件(.xlsx)").set_input_files(
        {
            "name": "旧系统档案-已改.xlsx",
            "mimeType": XLSX,
            "buffer": _workbook(mobile="13912345678", vin=GOOD_VIN),
        }
    )
    page.get_by_role("button", name="上传并导入").click()

    # Then the import completes with one customer, one vehicle and one work order
    expect(page.locator("#import-status .alert-success")).to_contain_text(
        "导入完成", timeout=IMPORT_TIMEOUT_MS
    )
    assert list(Customer.objects.values_list("name", "mobile")) == [("张伟", "13912345678")]
    screenshot(page, "import-succeeded")

    # When an older export with another address is uploaded again
    page.goto(f"{live_server.url}/archive/imports/")
    page.get_by_label("Excel 文件(.xlsx)").set_input_files(
        {
            "name": "旧系统档案-2019.xlsx",
            "mimeType": XLSX,
            "buffer": _workbook(mobile="13912345678", vin=GOOD_VIN, address="广州市天河区"),
        }
    )
    page.get_by_role("button", name="上传并导入").click()

    # Then the address in the app stays, and the difference is listed as a conflict
    expect(page.locator("#import-conflicts tbody tr")).to_have_text(
        [re.compile(r"^客户\s*2\s*地址\s*客户资料不同:系统中为“深圳市南山区科技园”")],
        timeout=IMPORT_TIMEOUT_MS,
    )
    assert Customer.objects.get().address == "深圳市南山区科技园"
    screenshot(page, "import-conflicts")


def test_manager_sees_the_progress_of_a_running_import(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given an import half way through its writing (no worker: the page only reads it)
    manager = role_user("manager", display_name="赵经理")
    batch = ImportBatch.objects.create(
        original_name="十年档案-2019.xlsx",
        created_by=manager,
        status=ImportBatch.Status.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=2),
        rows_checked=210000,
        rows_total=176000,
        rows_written=88000,
        progress=75,
    )
    page = new_page()
    log_in(page, manager)

    # When the manager opens it
    page.goto(f"{live_server.url}/archive/imports/{batch.pk}/")

    # Then a progress bar shows how far it is
    expect(page.locator("progress#import-progress")).to_have_attribute("value", "75")
    expect(page.locator("#import-status")).to_contain_text(
        "已检查 210000 行,正在写入:88000 / 176000"
    )
    screenshot(page, "import-running")


def test_technician_lands_on_the_workbench_and_is_refused_the_customer_archive(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a technician, logged in on a tablet
    technician = role_user("technician", display_name="孙技师")
    page = new_page(TABLET)
    log_in(page, technician)
    expect(page.locator("nav")).not_to_contain_text("客户档案")
    screenshot(page, "home-technician-tablet")

    # When the technician opens the customer archive by its address
    response = page.goto(f"{live_server.url}/archive/customers/")

    # Then the Chinese 403 page says so, with the way back
    assert response.status == 403
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    expect(page.locator("main")).to_contain_text("您的角色(维修技师)不能打开此页面。")
    expect(page.get_by_role("link", name="返回工作台")).to_be_visible()
    screenshot(page, "forbidden-technician-tablet")


def test_advisor_fixes_a_bad_mobile_number_and_lands_on_the_new_card(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given an advisor on the new-customer form
    advisor = role_user("advisor")
    page = new_page(TABLET)
    log_in(page, advisor)
    page.get_by_role("link", name="新建客户").click()
    expect(page.get_by_role("heading", name="新建客户")).to_be_visible()

    # When the advisor saves a customer whose mobile number has a digit missing
    page.get_by_label("姓名/单位名称").fill("周子轩")
    page.locator("#id_mobile").fill("1371234567")
    page.get_by_role("button", name="保存").click()

    # Then the form comes back with the Chinese error under the mobile field only
    mobile = page.locator("#id_mobile")
    expect(mobile).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(mobile).to_have_value("1371234567")
    expect(page.locator("#div_id_mobile .invalid-feedback")).to_have_text(
        "手机号应为 11 位数字,以 13-19 开头。"
    )
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    assert Customer.objects.count() == 0
    screenshot(page, "customer-form-error-tablet")

    # When the advisor corrects the number and saves again
    mobile.fill("13712345678")
    page.get_by_role("button", name="保存").click()

    # Then the new customer's card opens
    expect(page).to_have_url(re.compile(r"/archive/customers/\d+/$"))
    customer = Customer.objects.get()
    assert page.url.endswith(f"/archive/customers/{customer.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("已新建客户档案:周子轩")
    expect(page.locator("#customer-mobile")).to_contain_text("137****5678")
    assert (customer.name, customer.mobile) == ("周子轩", "13712345678")
    screenshot(page, "customer-created-tablet")


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        ("admin", ["工作台", "工单列表", "档案", "经销商设置", "定时任务"]),
        ("manager", ["工作台", "工单", "预约", "车间", "档案", "目录", "配件", "索赔", "定时任务"]),
    ],
)
def test_the_top_bar_of_the_busiest_roles_stays_on_one_line_on_a_tablet(
    live_server, new_page, role_user, log_in, screenshot, role, menu
):
    # Given a role with the longest menus, on a tablet
    user = role_user(role, display_name="系统管理员" if role == "admin" else "售后经理")
    page = new_page(TABLET)

    # When the 工作台 opens
    log_in(page, user)

    # Then every menu entry (items of one area grouped), the search box and the user menu
    # share one line
    items = page.locator("nav .nav-link")
    expect(items).to_have_text(menu)
    tops = {round(box["y"]) for box in (item.bounding_box() for item in items.all())}
    search = page.locator("nav").get_by_role("searchbox").bounding_box()
    user_menu = page.locator("nav .user-menu").bounding_box()
    assert len(tops) == 1, f"menu items on several lines: {tops}"
    assert page.locator("nav").bounding_box()["height"] < 70  # one line of 44 px targets
    assert search["x"] + search["width"] < user_menu["x"] <= TABLET["width"] - user_menu["width"]
    screenshot(page, f"home-{role}-tablet")
