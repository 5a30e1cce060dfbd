"""Search that says the truth, fleets in lists, and personal data shown only on request, in
Debian's headless Chromium.

Each test leaves full-page screenshots in var/screenshots/ for a human to look at.
serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.customers.models import Customer, PiiReveal
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_id_number
from tests.factories.workorders import WorkOrderFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _search_from_the_top_bar(page, query: str) -> None:
    box = page.locator("nav").get_by_role("searchbox")
    box.fill(query)
    box.press("Enter")


# --- 6: search says how many, pages, opens exact hits ------------------------------------


def test_a_search_with_many_hits_says_how_many_and_pages_through_them(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given 30 customers named 韩… (more than a page of 25)
    advisor = role_user("advisor", display_name="王顾问")
    for serial in range(30):
        CustomerFactory(name=f"韩{serial:02d}号", mobile=f"1350000{serial:04d}")
    page = new_page(TABLET)
    log_in(page, advisor)

    # When the advisor searches the surname from the top bar
    _search_from_the_top_bar(page, "韩")

    # Then the page says how many there are, shows the newest 25 and how to narrow
    expect(page.locator("#search-summary")).to_have_text("按 姓氏 查找,共 30 条结果。")
    section = page.locator("#customers-section")
    expect(section.get_by_role("heading")).to_have_text("客户(共 30 条,每页 25 条,由新到旧)")
    expect(section).to_contain_text("输入全名或名字(如 韩建国、建国)可缩小范围。")
    rows = page.locator("#customer-results tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("韩29号")
    expect(rows.last).to_contain_text("韩05号")
    screenshot(page, "search-many-hits-tablet")

    # When the advisor goes to the next page
    page.get_by_role("link", name="下一页").click()

    # Then the last 5 follow, the count stays, and the way back to all results is offered
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("韩04号")
    expect(rows.last).to_contain_text("韩00号")
    expect(section.get_by_role("heading")).to_contain_text("共 30 条")
    expect(page.get_by_role("link", name="返回全部结果")).to_be_visible()
    screenshot(page, "search-many-hits-page-2-tablet")

    # And back to the first page
    page.get_by_role("link", name="上一页").click()
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("韩29号")


def test_an_exact_plate_opens_the_vehicle_and_a_work_order_number_its_visit(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a car with two visits
    advisor = role_user("advisor", display_name="王顾问")
    vehicle = VehicleFactory(
        owner=CustomerFactory(name="林嘉怡"), plate="粤B8K2Q7", brand="丰田", model_name="凯美瑞"
    )
    first = WorkOrderFactory(
        vehicle=vehicle,
        number="WO20240115000001",
        opened_at=timezone.make_aware(dt.datetime(2024, 1, 15, 9, 30)),
    )
    WorkOrderFactory(
        vehicle=vehicle,
        number="WO20240720000002",
        opened_at=timezone.make_aware(dt.datetime(2024, 7, 20, 9, 30)),
    )
    page = new_page(TABLET)
    log_in(page, advisor)

    # When the advisor types the whole plate (lower case)
    _search_from_the_top_bar(page, "粤b8k2q7")

    # Then the vehicle opens directly, saying why
    expect(page).to_have_url(re.compile(rf"/archive/vehicles/{vehicle.pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text("“粤b8k2q7”只找到这一条记录,已直接打开。")
    screenshot(page, "search-exact-plate-tablet")

    # When the advisor types the last digits of the first visit's work-order number
    _search_from_the_top_bar(page, "115000001")

    # Then it is listed with a link to its work-order page, which opens
    result = page.locator("#work-order-results tbody tr")
    expect(result).to_have_count(1)
    result.get_by_role("link", name="WO20240115000001").click()
    expect(page).to_have_url(re.compile(rf"/workorders/{first.pk}/$"))
    expect(page.locator("h1")).to_contain_text("WO20240115000001")
    screenshot(page, "search-work-order-page-tablet")


def test_an_empty_box_and_a_bare_province_say_what_to_type(
    live_server, new_page, role_user, log_in, screenshot
):
    advisor = role_user("advisor", display_name="王顾问")
    VehicleFactory(plate="粤B12345")
    page = new_page(TABLET)
    log_in(page, advisor)

    # An empty query is not run: the page says what the box accepts
    page.locator("nav").get_by_role("searchbox").press("Enter")
    expect(page.locator("#search-prompt")).to_contain_text("请输入要查找的内容。可输入车牌(或部分)")
    expect(page.get_by_text("没有找到")).to_have_count(0)
    screenshot(page, "search-empty-tablet")

    # A bare province character explains that the rest of the plate is needed
    page.locator("#search-page-box").fill("粤")
    page.locator("#search-page-box").press("Enter")
    expect(page.locator("#search-hint")).to_have_text(
        re.compile("“粤”是车牌的省份简称:请再输入车牌的字母或数字,如 粤B12345 或 B123。")
    )
    screenshot(page, "search-province-tablet")


# --- 8: a fleet in lists --------------------------------------------------------------------


def test_a_customer_with_twelve_vehicles_shows_three_plates_and_plus_nine(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a company with 12 cars among other customers
    advisor = role_user("advisor", display_name="王顾问")
    for serial in range(5):
        VehicleFactory(owner=CustomerFactory(name=f"客户{serial}"))
    fleet = CustomerFactory(name="顺丰速运有限公司", kind=Customer.Kind.COMPANY)
    for n in range(12):
        VehicleFactory(owner=fleet, plate=f"粤B{n + 1:02d}0SF")
    page = new_page(TABLET)
    log_in(page, advisor)

    # When the advisor opens the customer list on a tablet
    page.get_by_role("button", name="档案").click()
    page.get_by_role("link", name="客户档案").click()

    # Then the fleet's row shows three plates and +9, and is no taller than the others
    row = page.locator("tbody tr", has_text="顺丰速运有限公司")
    expect(row.locator(".plates a")).to_have_text(["粤B010SF", "粤B020SF", "粤B030SF", "+9"])
    other = page.locator("tbody tr", has_text="客户0")
    assert row.bounding_box()["height"] == other.bounding_box()["height"]
    table = page.locator(".table-responsive").first
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth"), "the list scrolls sideways"
    screenshot(page, "customer-list-fleet-tablet")

    # When the advisor searches the company, the results show the same
    _search_from_the_top_bar(page, "顺丰速运")
    result = page.locator("#customer-results tbody tr")
    expect(result.locator(".plates a")).to_have_text(["粤B010SF", "粤B020SF", "粤B030SF", "+9"])

    # And +9 leads to the card, which lists all twelve
    result.get_by_role("link", name="+9").click()
    expect(page).to_have_url(re.compile(rf"/archive/customers/{fleet.pk}/$"))
    expect(page.locator(".card", has_text="车辆").locator(".list-group-item")).to_have_count(12)


# --- 9: personal data on request, logged -------------------------------------------------------


def test_the_advisor_reveals_a_mobile_and_the_manager_finds_it_in_the_log(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a customer with a mobile and an ID number
    advisor = role_user("advisor", display_name="王顾问")
    manager = role_user("manager", display_name="赵经理")
    customer = CustomerFactory(
        name="林嘉怡",
        mobile="13912345678",
        id_number=valid_id_number(35),
        birthday=dt.date(1985, 6, 15),
        address="广东省深圳市南山区科苑路15号",
    )
    VehicleFactory(owner=customer, plate="粤B8K2Q7")
    page = new_page(TABLET)
    log_in(page, advisor)

    # When the advisor opens the card, the numbers are masked and the birthday hidden
    page.goto(f"{live_server.url}/archive/customers/{customer.pk}/")
    expect(page.locator("#customer-mobile")).to_contain_text("139****5678")
    expect(page.locator("#customer-birthday")).to_have_text("****-**-**")
    expect(page.locator("#customer-address")).to_have_text("广东省深圳市南山区科苑路15号")
    screenshot(page, "customer-card-masked-tablet")

    # And clicks 显示 next to the mobile
    page.get_by_role("button", name="显示完整手机").click()

    # Then the whole number is shown as a link to call it, and the reveal is logged
    number = page.locator("#customer-mobile").get_by_role("link", name="13912345678")
    expect(number).to_have_attribute("href", "tel:13912345678")
    expect(page.get_by_role("button", name="显示完整手机")).to_have_count(0)
    reveal = PiiReveal.objects.get()
    assert (reveal.revealed_by, reveal.customer, reveal.field) == (advisor, customer, "mobile")
    assert reveal.page == f"/archive/customers/{customer.pk}/"

    # When the ID number is revealed too, its birthday shows with it
    page.get_by_role("button", name="显示完整身份证号").click()
    expect(page.locator("#customer-id-number")).to_have_text(valid_id_number(35))
    expect(page.locator("#customer-birthday")).to_have_text("1985-06-15")
    screenshot(page, "customer-card-revealed-tablet")

    # When the manager opens the reveal log from the menu
    manager_page = new_page(TABLET)
    log_in(manager_page, manager)
    manager_page.get_by_role("button", name="档案").click()
    manager_page.get_by_role("link", name="号码查看记录").click()

    # Then both reveals are listed, newest first, with who, whose, what and from where
    rows = manager_page.locator("#pii-reveals tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("王顾问")
    expect(rows.first).to_contain_text("林嘉怡")
    expect(rows.first).to_contain_text("身份证号")
    expect(rows.last).to_contain_text("手机")
    expect(rows.last).to_contain_text(f"/archive/customers/{customer.pk}/")
    expect(manager_page.locator("main")).not_to_contain_text("13912345678")

    # And can narrow it to one user
    manager_page.get_by_label("查看人").select_option(label="王顾问")
    manager_page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(2)
    manager_page.get_by_label("查看内容").select_option(label="手机")
    manager_page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    screenshot(manager_page, "pii-reveal-log-tablet")


def test_the_supervisor_sees_masked_numbers_without_birthday_or_street(
    live_server, new_page, role_user, log_in, screenshot
):
    supervisor = role_user("supervisor", display_name="陈主任")
    customer = CustomerFactory(
        name="林嘉怡",
        mobile="13912345678",
        id_number=valid_id_number(35),
        birthday=dt.date(1985, 6, 15),
        address="广东省深圳市南山区科苑路15号",
    )
    page = new_page(TABLET)
    log_in(page, supervisor)

    page.goto(f"{live_server.url}/archive/customers/{customer.pk}/")

    expect(page.locator("#customer-mobile")).to_have_text("139****5678")
    expect(page.locator("#customer-id-number")).to_have_text(
        f"440305********071{valid_id_number(35)[-1]}"
    )
    expect(page.locator("#customer-birthday")).to_have_text("****-**-**")
    expect(page.locator("#customer-address")).to_have_text("广东省深圳市南山区****")
    expect(page.get_by_role("button", name=re.compile("显示"))).to_have_count(0)
    screenshot(page, "customer-card-supervisor-tablet")
