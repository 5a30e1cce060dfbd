"""Issue 11, the care loop end to end in a real browser, each step by the role that owns it
(DOMAIN.md §5 and §6):

Day 1 — the callback clerk works the queue with 下一个回访: a satisfied customer (done),
an unhappy one (维修质量 2 and her own words: a problem on 问题处理, whose 快速处理表 the
clerk opens and escalates with 转为投诉 into a complaint), and one who does not answer.
The complaint supervisor judges the complaint valid and proposes the solution (cause,
department, person); the manager approves it; the supervisor records it carried out and
signed by the customer, which schedules the second callback for the next day.

Day 2 — the daily jobs build the new queue: the clerk reaches the customer who did not
answer yesterday, then works the complaint's second callback (二次回访问卷) through the
same queue and records the customer satisfied; the supervisor closes the complaint with an
evaluation; the manager finds it closed on the list, its page, the statistics and the
工作台 (no overdue complaint left).

The server's clock travels to a fixed Monday ahead of today (never back: Chromium keeps
the real clock and would drop cookies that expired in its past), 10:30 — inside the
default callback windows — and on to Tuesday. Screenshots: docs/screenshots/care-loop-*.png.
"""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.callbacks.models import Callback, CallItem, Problem
from apps.complaints.models import Complaint
from apps.core import daily_jobs
from tests.e2e.conftest import TABLET
from tests.e2e.test_call_screen import _answer_all
from tests.factories.callbacks import delivered_order
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _shot(page: Page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS / f"care-loop-{name}.png", full_page=True)


def _next_monday() -> dt.date:
    """The next Monday whose week is past the first seven days of a month: level-2 sampling
    (DOMAIN §5) draws from last month's callbacks in the first week, which would add a
    sampled call to Tuesday's queue when the ids happen to fall in the sample."""
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())  # 1 to 7 days ahead
    while (monday + dt.timedelta(days=1)).day <= 7 or monday.day <= 7:
        monday += dt.timedelta(days=7)
    return monday


def _open_menu(page: Page, menu: str, link: str) -> None:
    page.locator("nav").get_by_role("button", name=menu).click()
    page.locator("nav").get_by_role("link", name=link, exact=True).click()


def _next_call(page: Page, name: str) -> None:
    page.get_by_role("button", name="下一个回访").click()
    expect(page.locator("#call-item")).to_contain_text(name)


def _save_call(page: Page, name: str, outcome: str) -> None:
    page.locator("#call-outcome label", has_text=outcome).click()
    page.get_by_role("button", name="保存本次回访").click()
    expect(page.get_by_text(f"已保存:{name} · {outcome}。")).to_be_visible()


def _open_complaint(page: Page, number: str) -> None:
    _open_menu(page, "档案", "投诉")
    page.get_by_role("link", name=number).click()
    expect(page.locator("#complaint-header")).to_contain_text(number)


def test_the_care_loop_from_the_first_call_to_the_closed_complaint(
    live_server, new_page, role_user, log_in
):
    monday = _next_monday()
    tuesday = monday + dt.timedelta(days=1)
    # Three repairs delivered 5, 4 and 3 days before Monday: their 3DC are due Monday,
    # Tuesday and Wednesday, so 下一个回访 offers them in this order.
    happy = CustomerFactory(name="王建国", mobile="13912345678")
    delivered_order(monday - dt.timedelta(days=5), vehicle=VehicleFactory(owner=happy))
    unhappy = CustomerFactory(name="李秀英", mobile="13800001111")
    delivered_order(monday - dt.timedelta(days=4), vehicle=VehicleFactory(owner=unhappy))
    absent = CustomerFactory(name="张伟", mobile="13700002222")
    delivered_order(monday - dt.timedelta(days=3), vehicle=VehicleFactory(owner=absent))
    clerk = role_user("callback", display_name="何客服")
    supervisor = role_user("complaint", display_name="吴主管")
    manager = role_user("manager", display_name="郑经理")

    with time_machine.travel(local_datetime(monday, 10).replace(minute=30), tick=True):
        daily_jobs.jobs_catch_up(today=monday)  # as beat runs them in the night

        # 1a. The clerk's first call: a satisfied customer, every score 5
        page = new_page(TABLET)
        log_in(page, clerk)
        page.locator("#main-menu").get_by_role("link", name="回访拨打").click()
        expect(page.locator("#queue-figures")).to_contain_text("3")
        _next_call(page, "王建国")
        _answer_all(page, "5")
        page.get_by_label("客户意见(原话记录)").fill("师傅很专业,服务很好")
        _shot(page, "01-satisfied-call")
        _save_call(page, "王建国", "已接通")
        done = Callback.objects.get(customer=happy)
        assert done.status == Callback.Status.DONE
        assert done.answers.get(code="reminded").yes is True  # the last button clicked

        # 1b. The next: the repair quality 2, in her own words → a problem for the workshop
        _next_call(page, "李秀英")
        _answer_all(page, "4", low={"维修质量": "2"})
        page.get_by_label("客户意见(原话记录)").fill("修完以后异响还在,很不满意")
        _shot(page, "02-unhappy-call")
        _save_call(page, "李秀英", "已接通")
        problem = Problem.objects.get()
        assert (problem.customer, problem.score) == (unhappy, 2)

        # 1c. The next: no answer; then the queue is empty for today
        _next_call(page, "张伟")
        _save_call(page, "张伟", "无人接听")
        page.get_by_role("button", name="下一个回访").click()
        expect(page.get_by_text("今天的回访队列已全部领取。")).to_be_visible()

        # The clerk opens the problem's 快速处理表 and escalates it: 转为投诉
        _open_menu(page, "档案", "问题处理")
        row = page.locator(f"#problem-{problem.pk}")
        expect(row).to_contain_text("客户原话:修完以后异响还在,很不满意")
        row.get_by_role("link", name="快速处理").click()
        expect(page.get_by_role("heading", name="快速处理表")).to_be_visible()
        expect(page.locator("#problem")).to_contain_text("维修质量满意吗? 2 分")
        _shot(page, "03-quick-handling-form")
        page.get_by_role("link", name="转为投诉").click()
        expect(page.locator("#source-problem")).to_contain_text("维修质量满意吗? 2 分")
        form = page.locator("#complaint-form")
        expect(form.get_by_label("投诉渠道")).to_be_disabled()
        form.get_by_label("投诉类别").select_option(label="维修质量")
        form.get_by_label("客户诉求").fill("免费检查并彻底修好")
        _shot(page, "04-complaint-received")
        form.get_by_role("button", name="受理投诉").click()
        expect(page.locator("#complaint-header")).to_contain_text("已受理")
        complaint = Complaint.objects.get()
        assert complaint.source_callback == problem.callback
        problem.refresh_from_db()
        assert (problem.status, problem.complaint_id) == (Problem.Status.ESCALATED, complaint.pk)

        # 2. The supervisor judges it valid, investigates and proposes the solution
        boss = new_page(TABLET)
        log_in(boss, supervisor)
        _open_complaint(boss, complaint.number)
        boss.locator("#move-judge_valid").get_by_role("textbox").fill("已致电客户致歉,约定到店")
        boss.get_by_role("button", name="判定成立,开始调查").click()
        expect(boss.locator("#complaint-header")).to_contain_text("调查中")
        proposal = boss.locator("#proposal-form")
        proposal.get_by_label("投诉原因").fill("排气管吊胶老化未更换,导致异响")
        proposal.get_by_label("责任部门").select_option(label="维修车间")
        proposal.get_by_label("责任人").fill("李技师")
        proposal.get_by_label("处理方案").fill("免费更换吊胶并复查底盘,赠送一次精洗")
        proposal.get_by_role("button", name="提交处理方案").click()
        expect(boss.locator("#complaint-header")).to_contain_text("方案待批")

        # The manager approves it
        chief = new_page(TABLET)
        log_in(chief, manager)
        _open_complaint(chief, complaint.number)
        chief.get_by_role("button", name="批准方案").click()
        expect(chief.locator("#complaint-header")).to_contain_text("方案已批准")

        # Carried out, the customer signs: the second callback is scheduled for tomorrow
        boss.reload()
        resolution = boss.locator("#resolution-form")
        resolution.get_by_label("处理结果").fill("已更换吊胶,试车无异响,客户确认")
        resolution.get_by_label("客户签字确认").fill("李秀英")
        resolution.get_by_role("button", name="方案已执行,客户签字确认").click()
        expect(boss.locator("#complaint-header")).to_contain_text("待二次回访")
        second = Callback.objects.get(kind=Callback.Kind.SECOND, parent=complaint.source_callback)
        assert second.opens_on == tuesday
        expect(boss.locator("#second-callback")).to_contain_text(f"{second.due_on:%Y-%m-%d}")
        _shot(boss, "05-complaint-resolved")

    with time_machine.travel(local_datetime(tuesday, 10).replace(minute=30), tick=True):
        daily_jobs.jobs_catch_up(today=tuesday)

        # 1c (the next day). The customer who did not answer comes back and is reached
        page = new_page(TABLET)
        log_in(page, clerk)
        page.locator("#main-menu").get_by_role("link", name="回访拨打").click()
        expect(page.locator("#queue-figures")).to_contain_text("2")
        _next_call(page, "张伟")
        expect(page.locator("#history")).to_contain_text("无人接听")
        _answer_all(page, "5")
        _shot(page, "06-reached-next-day")
        _save_call(page, "张伟", "已接通")
        assert Callback.objects.get(customer=absent).status == Callback.Status.DONE

        # 2 (the second callback). Through the same queue: the customer is satisfied
        _next_call(page, "李秀英")
        expect(page.locator(f"#reason-{second.pk}")).to_contain_text("二次回访")
        expect(page.locator(f"#reason-{second.pk}")).to_contain_text(
            f"客户反映的问题已于 {monday:%Y-%m-%d} 处理完毕"
        )
        link = page.locator("#history").get_by_role("link", name="查看投诉")
        expect(link).to_have_attribute("href", complaint.get_absolute_url())
        expect(page.locator(".questionnaire")).to_contain_text("二次回访问卷")
        _answer_all(page, "5")
        page.get_by_label("客户意见(原话记录)").fill("问题解决了,处理得很及时")
        _shot(page, "07-second-callback")
        _save_call(page, "李秀英", "已接通")
        second.refresh_from_db()
        assert (second.status, second.is_problem) == (Callback.Status.DONE, False)
        left = CallItem.objects.filter(day=tuesday).exclude(status=CallItem.Status.DONE)
        assert not left.exists()

        # The supervisor sees the second callback done and closes with an evaluation
        boss = new_page(TABLET)
        log_in(boss, supervisor)
        _open_complaint(boss, complaint.number)
        expect(boss.locator("#second-callback")).to_contain_text("已回访")
        answers = boss.locator("#second-callback-answers")
        expect(answers).to_contain_text("对处理过程满意吗? 5 分")
        expect(answers).to_contain_text("问题解决了,处理得很及时")
        evaluation = boss.locator("#evaluation-form")
        evaluation.get_by_label("结案评价").fill("客户对处理结果满意,表示会继续来店保养")
        evaluation.get_by_role("button", name="二次回访:客户满意,结案").click()
        expect(boss.locator("#complaint-header")).to_contain_text("已结案")
        timeline = boss.locator("#complaint-timeline")
        steps = ("受理投诉", "判定成立", "提交处理方案", "批准方案", "客户签字确认", "客户满意")
        for step in steps:
            expect(timeline).to_contain_text(step)
        expect(timeline).to_contain_text("郑经理")
        _shot(boss, "08-complaint-closed")

        # 3. The manager sees it closed: the 工作台, the list, its page, the statistics
        chief = new_page(TABLET)
        log_in(chief, manager)
        panel = chief.locator("#home-complaints")
        expect(panel).to_contain_text("没有逾期的投诉。")
        expect(panel).not_to_contain_text(complaint.number)
        _shot(chief, "09-manager-home")
        _open_menu(chief, "档案", "投诉")
        row = chief.locator("#complaints tbody tr").filter(has_text=complaint.number)
        expect(row).to_contain_text("已结案")
        expect(row).to_contain_text("吴主管")
        _shot(chief, "10-manager-list")
        row.get_by_role("link", name=complaint.number).click()
        expect(chief.locator("#complaint-header")).to_contain_text("已结案")
        expect(chief.locator("#complaint-actions")).to_have_count(0)
        expect(chief.locator("#complaint-facts")).to_contain_text("客户对处理结果满意")
        _shot(chief, "11-manager-detail")
        _open_menu(chief, "档案", "投诉")
        chief.get_by_role("link", name="投诉统计").click()
        chief.locator("#period-selector").get_by_label("期间").select_option(label="本周")
        chief.locator("#period-selector").get_by_role("button", name="查看").click()
        expect(chief.locator("#period-shown")).to_contain_text(f"{monday:%Y-%m-%d}")
        totals = chief.locator("#stats-totals")
        expect(totals).to_contain_text("受理 1")
        expect(totals).to_contain_text("处理中 0")
        expect(totals).to_contain_text("逾期 0")
        expect(totals).to_contain_text("已结案 1")
        expect(chief.locator("#stats-category tr", has_text="维修质量")).to_contain_text("1")
        expect(chief.locator("#stats-department tr", has_text="维修车间")).to_contain_text("1")
        expect(chief.locator("#stats-cause")).to_contain_text("排气管吊胶老化")
        _shot(chief, "12-manager-stats")
        # Satisfaction of the two days (DOMAIN §5): 车间 scored speed of work and repair
        # quality on three 3DC calls — 5/5, 4/2, 5/5 — five of six 4 or 5: 83.3 %.
        _open_menu(chief, "档案", "满意度统计")
        selector = chief.locator("#period-selector")
        selector.get_by_label("期间").select_option(label="自定义")
        selector.get_by_label("开始日期").fill(f"{monday:%Y-%m-%d}")
        selector.get_by_label("结束日期").fill(f"{tuesday:%Y-%m-%d}")
        selector.get_by_role("button", name="查看").click()
        workshop = chief.locator("#satisfaction-table tr[data-department='workshop']")
        expect(workshop).to_contain_text("83.3%")
        expect(workshop.locator("td").nth(1)).to_have_text("6")
        _shot(chief, "13-manager-satisfaction")
    assert Complaint.objects.get().status == Complaint.Status.CLOSED
