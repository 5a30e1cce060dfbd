"""The administrator's settings pages in a real browser: the rules by area, and the
working-day calendar entered from the State Council's notice.

serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.core.calendar import working_day_after
from apps.core.settings import current_settings
from apps.customers.models import ArchiveSettings
from tests.e2e.conftest import TABLET

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_administrator_fixes_a_wrong_rule_in_its_section_and_saves(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given the administrator on the settings page
    admin = role_user("admin", display_name="赵管理")
    page = new_page()
    log_in(page, admin)
    page.get_by_role("link", name="经销商设置", exact=True).click()
    expect(page.get_by_role("heading", name="回访规则")).to_be_visible()
    archive = page.get_by_role("region", name="客户档案规则")

    # When a search limit below the minimum is saved
    archive.get_by_label("搜索结果每页条数").fill("5")
    page.get_by_role("button", name="保存设置").click()

    # Then its section says why in Chinese, and nothing is saved
    expect(page.locator(".alert-danger").first).to_contain_text("设置未保存")
    expect(page.get_by_role("region", name="客户档案规则")).to_contain_text("不能小于 10。")
    screenshot(page, "settings-error")
    assert current_settings(ArchiveSettings).search_result_limit == 25

    # When it is corrected and saved
    page.get_by_role("region", name="客户档案规则").get_by_label("搜索结果每页条数").fill("80")
    page.get_by_role("button", name="保存设置").click()

    # Then it is in force at once
    expect(page.locator(".alert-success")).to_contain_text("经销商设置已保存")
    assert current_settings(ArchiveSettings).search_result_limit == 80
    screenshot(page, "settings")


def test_administrator_enters_next_years_national_day_on_a_tablet(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given the administrator, on a tablet, opening 2027 from the working-day calendar
    admin = role_user("admin", display_name="赵管理")
    page = new_page(TABLET)
    log_in(page, admin)
    page.goto(f"{live_server.url}/settings/calendar/")
    screenshot(page, "calendar-list-tablet")
    page.goto(f"{live_server.url}/settings/calendar/2027/")
    expect(page.locator(".alert-warning")).to_contain_text("2027 年尚未录入")

    # When the package's guessed National Day (1-5 October) is corrected to 1-7 October and
    # the make-up Saturday 9 October is added on a blank line
    national_day = page.locator("tbody tr").filter(has=page.locator("input[value='2027-10-01']"))
    national_day.get_by_label("结束日期").fill("2027-10-07")
    blank = page.locator("tbody tr").filter(has=page.locator("input[value='']")).first
    blank.get_by_label("名称").fill("国庆节调休上班")
    blank.get_by_label("类型").select_option(label="调休上班")
    blank.get_by_label("开始日期").fill("2027-10-09")
    page.get_by_label("依据").fill("国办发明电〔2026〕1号")
    screenshot(page, "calendar-year-tablet")
    page.get_by_role("button", name="保存 2027 年放假安排").click()

    # Then the year is entered and deadlines follow it
    expect(page.locator(".alert-success")).to_contain_text("2027 年放假安排已保存")
    expect(page.locator("main")).to_contain_text("已录入")
    assert working_day_after(dt.date(2027, 9, 30), 1) == dt.date(2027, 10, 8)
    assert working_day_after(dt.date(2027, 10, 8), 1) == dt.date(2027, 10, 9)
