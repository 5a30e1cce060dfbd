"""Keyset lists and the 工作台 in a real browser: the late sales files most overdue first
with their total, paged forwards and back; the customer list in creation order; and the
plain word on what is coming for the roles whose module is not built yet.

Dates are relative to today, so the tests hold on any day. See test_browser_flows.py for
serialized_rollback.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import TABLET
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_callback_clerk_pages_the_late_sales_files_most_overdue_first(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given 27 late sales files, created in no order of their due day (two working days
    # after a delivery 7..33 days ago), and one delivered today, not due yet
    today = timezone.localdate()
    files = []
    for serial in range(27):
        overdue = 3 + (serial * 7) % 27  # 3..29, each once
        vehicle = VehicleFactory(plate=f"粤B{overdue:02d}LAT")
        files.append(
            SalesFileFactory(vehicle=vehicle, delivered_on=today - dt.timedelta(overdue + 4))
        )
    SalesFileFactory(delivered_on=today)
    most_overdue_first = sorted(files, key=lambda f: (f.documents_due_on, f.pk))
    page = new_page(TABLET)
    log_in(page, role_user("callback", display_name="何客服"))

    # When the clerk opens the sales files
    page.locator("nav").get_by_role("button", name="档案").click()
    page.locator("nav").get_by_role("link", name="销售档案").click()

    # Then the late ones come first by days overdue, and the page says how many there are
    expect(page.locator("#salesfile-total")).to_have_text("共 27 份逾期未交齐,逾期最久的在前。")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text(most_overdue_first[0].vehicle.plate)
    expect(rows.nth(24)).to_contain_text(most_overdue_first[24].vehicle.plate)
    expect(page.get_by_role("navigation", name="翻页")).to_contain_text("每页 25 条,逾期最久的在前")
    screenshot(page, "sales-files-late-tablet")

    # When the clerk turns to the next page, and back
    page.get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(most_overdue_first[25].vehicle.plate)
    expect(page.locator("#salesfile-total")).to_contain_text("共 27 份")
    page.get_by_role("link", name="上一页").click()

    # Then the first page is back as it was
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text(most_overdue_first[0].vehicle.plate)


def test_the_customer_list_is_in_creation_order_newest_first(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given customers whose records were created out of id order (as imported ones are)
    today = timezone.localdate()
    for serial in range(26):
        days_ago = (serial * 11) % 26
        CustomerFactory(
            name=f"建档{days_ago:02d}", created_at=local_datetime(today - dt.timedelta(days_ago))
        )
    page = new_page(TABLET)
    log_in(page, role_user("advisor"))

    # When the advisor opens the customer list
    page.locator("nav").get_by_role("button", name="档案").click()
    page.locator("nav").get_by_role("link", name="客户档案").click()

    # Then the newest record comes first, the oldest is on the next page
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("建档00")
    expect(rows.first).to_contain_text(today.isoformat())
    expect(rows.nth(24)).to_contain_text("建档24")
    expect(page.get_by_role("navigation", name="翻页")).to_contain_text("按建档时间由新到旧")
    screenshot(page, "customer-list-tablet")
    page.get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("建档25")


@pytest.mark.parametrize(
    ("role", "panel", "link"),
    [
        ("technician", "#home-floor", "我的作业"),
        ("qc", "#home-floor", "终检"),
        ("parts", "#home-waiting-issue", "全部"),
    ],
)
def test_the_floor_and_parts_roles_land_on_their_own_panels(
    live_server, new_page, role_user, log_in, screenshot, role, panel, link
):
    # Given a user of a floor or parts role, on a tablet
    page = new_page(TABLET)

    # When they log in
    log_in(page, role_user(role))

    # Then the 工作台 shows their own work, one tap from its page
    expect(page.locator(panel)).to_be_visible()
    expect(page.locator(panel).get_by_role("link", name=link)).to_be_visible()
    screenshot(page, f"home-{role}-tablet")
