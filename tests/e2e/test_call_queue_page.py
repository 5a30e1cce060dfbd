"""The callback clerk's 回访拨打 and the manager's 定时任务 in a real browser on a tablet.

Browser tests keep the real clock (tests/core/test_tests_pin_dates.py): the data count back
from today, and the callback windows are set to the whole day so that "next call" answers
whatever the hour the test runs at.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.callbacks.models import CallbackSettings, CallItem
from apps.core import daily_jobs
from apps.core.models import JobRun
from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from tests.e2e.conftest import TABLET
from tests.factories.callbacks import delivered_order, new_car_sale
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _whole_day_windows() -> None:
    rules = current_settings(CallbackSettings)
    rules.callback_window1_start, rules.callback_window1_end = dt.time(0), dt.time(0, 0, 1)
    rules.callback_window2_start = dt.time(0, 0, 1)
    rules.callback_window2_end = dt.time(23, 59, 59, 999999)
    area_settings_save(rows=[rules], by=None)


def test_a_clerk_presses_next_call_and_gets_the_customers_reasons_in_one_item(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a customer with a repair delivered three days ago and a new car delivered 11
    # days ago (its 7DC due yesterday), another customer with a repair, and the daily jobs
    # run
    _whole_day_windows()
    today = timezone.localdate()
    customer = CustomerFactory(name="王建国", mobile="13912345678")
    vehicle = VehicleFactory(owner=customer, plate="粤B12345")
    delivered_order(today - dt.timedelta(days=3), vehicle=vehicle)
    new_car_sale(today - dt.timedelta(days=11), owner=customer)
    delivered_order(today - dt.timedelta(days=4))
    daily_jobs.jobs_catch_up(today=today)  # the last week's daily jobs, as beat runs them
    clerk = role_user("callback", display_name="何客服")
    page = new_page(TABLET)
    log_in(page, clerk)

    # When the clerk opens 回访拨打 and presses 下一个回访
    page.locator("#main-menu").get_by_role("link", name="回访拨打").click()
    expect(page.locator("#queue-figures")).to_contain_text("2")
    page.get_by_role("button", name="下一个回访").click()

    # Then the most urgent customer's call shows both reasons, the phone masked
    item = page.locator("#call-item")
    expect(item).to_contain_text("王建国")
    expect(item).to_contain_text("139****5678")
    expect(item).to_contain_text("3DC 维修回访")
    expect(item).to_contain_text("7DC 新车回访")
    expect(item).to_contain_text("已逾期")  # the 7DC was due yesterday
    screenshot(page, "call-queue-tablet")
    held = CallItem.objects.get(customer=customer, day=today)
    assert (held.status, held.claimed_by_id) == ("claimed", clerk.pk)

    # When the clerk gives it back, the queue offers it again
    page.get_by_role("button", name="放回队列").click()
    expect(page.get_by_role("button", name="下一个回访")).to_be_visible()
    assert CallItem.objects.get(customer=customer, day=today).status == "waiting"


def test_the_manager_sees_each_jobs_recent_dates(
    live_server, new_page, role_user, log_in, screenshot
):
    today = timezone.localdate()
    delivered_order(today - dt.timedelta(days=3))
    for back in (2, 1, 0):
        daily_jobs.jobs_catch_up(today=today - dt.timedelta(days=back))
    JobRun.objects.filter(
        job="callbacks-build-queue", business_date=today - dt.timedelta(days=1)
    ).update(
        status=JobRun.Status.FAILED,
        attempts=1,
        result={},
        error="OperationalError: 数据库连接中断",
    )
    page = new_page(TABLET)
    log_in(page, role_user("manager", display_name="郭经理"))

    page.get_by_role("link", name="定时任务").click()

    section = page.locator("#job-callbacks-generate")
    expect(section).to_contain_text("生成回访任务")
    expect(section).to_contain_text("3DC 维修回访 1")
    queue = page.locator("#job-callbacks-build-queue")
    expect(queue).to_contain_text("失败(第 1 次)")
    expect(queue).to_contain_text("数据库连接中断")
    expect(page.locator("#job-customers-recompute-segments")).to_contain_text("已完成")
    screenshot(page, "job-runs-tablet")
