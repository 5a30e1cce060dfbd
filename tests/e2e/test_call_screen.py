"""The callback clerk's call screen (回访界面) in a real browser on a tablet: next call, a
satisfied customer answered, next call, an unhappy one (a low score) → a problem on 问题处理.

Browser tests keep the real clock: the data count back from today, and the callback windows
are set to the whole day (as test_call_queue_page.py does).
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.callbacks.models import Callback, Problem
from apps.core import daily_jobs
from tests.e2e.conftest import TABLET
from tests.e2e.test_call_queue_page import _whole_day_windows
from tests.factories.callbacks import delivered_order
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _answer_all(page, score: str, low: dict[str, str] | None = None) -> None:
    low = low or {}
    for question in page.locator(".questionnaire .question").all():
        buttons = question.locator(".btn-group")
        if buttons.count() == 0:
            continue
        text = question.inner_text()
        labels = [label.inner_text() for label in buttons.locator("label").all()]
        if labels[0] == "5":
            chosen = next((s for key, s in low.items() if key in text), score)
            buttons.locator("label", has_text=chosen).first.click()
        else:
            buttons.locator("label", has_text="是").first.click()


def test_a_clerk_works_a_satisfied_and_an_unhappy_call(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given two customers with a repair delivered three days ago (one of them four days)
    _whole_day_windows()
    today = timezone.localdate()
    happy = CustomerFactory(name="王建国", mobile="13912345678")
    delivered_order(today - dt.timedelta(days=4), vehicle=VehicleFactory(owner=happy))
    unhappy = CustomerFactory(name="李秀英", mobile="13800001111")
    delivered_order(today - dt.timedelta(days=3), vehicle=VehicleFactory(owner=unhappy))
    daily_jobs.jobs_catch_up(today=today)
    clerk = role_user("callback", display_name="何客服")
    page = new_page(TABLET)
    log_in(page, clerk)

    # When the clerk presses 下一个回访: the call screen of the most urgent customer
    page.locator("#main-menu").get_by_role("link", name="回访拨打").click()
    page.get_by_role("button", name="下一个回访").click()
    expect(page.locator("#call-item")).to_contain_text("王建国")
    expect(page.locator("#call-item")).to_contain_text("139****5678")
    expect(page.locator(".questionnaire")).to_contain_text("3DC 维修回访问卷")

    # The clerk reveals the number (logged), records 5 everywhere and saves
    page.get_by_role("button", name="显示完整手机").click()
    expect(page.locator("#call-item a[href='tel:13912345678']")).to_be_visible()
    _answer_all(page, "5")
    page.get_by_label("客户意见(原话记录)").fill("服务很好")
    page.locator("label", has_text="已接通").click()
    screenshot(page, "call-screen-tablet")
    page.get_by_role("button", name="保存本次回访").click()
    expect(page.get_by_text("已保存:王建国 · 已接通。")).to_be_visible()
    assert Callback.objects.get(customer=happy).status == "done"
    assert not Problem.objects.exists()

    # Next call: the unhappy customer gives the repair quality 2
    page.get_by_role("button", name="下一个回访").click()
    expect(page.locator("#call-item")).to_contain_text("李秀英")
    _answer_all(page, "4", low={"维修质量": "2"})
    page.get_by_label("客户意见(原话记录)").fill("异响还在")
    page.locator("label", has_text="已接通").click()
    page.get_by_role("button", name="保存本次回访").click()
    expect(page.get_by_text("已保存:李秀英 · 已接通。")).to_be_visible()

    # Then a problem waits on 问题处理 for the workshop
    problem = Problem.objects.get()
    assert (problem.customer, problem.department, problem.score) == (unhappy, "workshop", 2)
    page.locator("nav").get_by_role("button", name="档案").click()  # 问题处理 is in 档案
    page.locator("nav").get_by_role("link", name="问题处理").click()
    row = page.locator(f"#problem-{problem.pk}")
    expect(row).to_contain_text("李秀英")
    expect(row).to_contain_text("维修质量满意吗? 2 分")
    expect(row).to_contain_text("异响还在")
    expect(row).to_contain_text("车间")
    screenshot(page, "problem-list-tablet")
