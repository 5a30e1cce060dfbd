"""Issue 11 point 6 in the browser: a complaint's closed loop. The callback clerk receives
a complaint raised on a 3DC call (the form prefilled from the callback); the complaint
supervisor judges it valid and proposes a solution; the manager approves it; the
supervisor records it carried out and signed (the second callback is scheduled), then the
satisfied close waits for the second callback; the clerk's call finds the customer satisfied
and the supervisor closes it with an evaluation; the manager finds it among the
closed ones of the list.

Screenshots in var/screenshots/ (complaint-*.png). Browser tests keep the real clock.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.callbacks.models import Callback
from apps.complaints.models import Complaint
from tests.e2e.conftest import TABLET
from tests.factories.callbacks import second_call
from tests.factories.complaints import callback_3dc

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_complaint_from_a_callback_goes_through_every_step_to_closed(
    live_server, new_page, role_user, log_in, screenshot
):
    callback = callback_3dc(timezone.localdate() - dt.timedelta(days=3))
    clerk = role_user("callback", display_name="周回访")
    supervisor = role_user("complaint", display_name="吴主管")
    manager = role_user("manager", display_name="郑经理")

    # The clerk receives the complaint raised on the call
    page = new_page(TABLET)
    log_in(page, clerk)
    page.goto(f"{live_server.url}/complaints/new/?callback={callback.pk}")
    expect(page.locator("#source-callback")).to_contain_text("3DC 维修回访")
    form = page.locator("#complaint-form")
    expect(form.get_by_label("投诉渠道")).to_be_disabled()
    form.get_by_label("投诉类别").select_option(label="维修质量")
    form.get_by_label("严重程度").select_option(label="重大")
    form.get_by_label("投诉内容").fill("保养后发动机异响,回访时客户非常不满")
    form.get_by_label("客户诉求").fill("免费检查并修好,要求道歉")
    screenshot(page, "complaint-create")
    form.get_by_role("button", name="受理投诉").click()
    expect(page.locator("#complaint-header")).to_contain_text("已受理")
    complaint = Complaint.objects.get()
    expect(page.locator("#complaint-header")).to_contain_text(complaint.number)
    expect(page.locator("#complaint-actions")).to_have_count(0)  # the clerk only receives

    # The supervisor judges it valid and proposes a solution
    page = new_page(TABLET)
    log_in(page, supervisor)
    page.get_by_role("button", name="档案").click()
    page.get_by_role("link", name="投诉", exact=True).click()
    page.get_by_role("link", name=complaint.number).click()
    page.locator("#move-judge_valid").get_by_role("textbox").fill("已致电客户致歉,约定明日到店")
    page.get_by_role("button", name="判定成立,开始调查").click()
    expect(page.locator("#complaint-header")).to_contain_text("调查中")
    proposal = page.locator("#proposal-form")
    proposal.get_by_label("投诉原因").fill("机油加注过量导致异响")
    proposal.get_by_label("责任部门").select_option(label="维修车间")
    proposal.get_by_label("责任人").fill("李技师")
    proposal.get_by_label("处理方案").fill("免费重新保养,赠送一次精洗")
    proposal.get_by_role("button", name="提交处理方案").click()
    expect(page.locator("#complaint-header")).to_contain_text("方案待批")

    # The manager approves the solution
    manager_page = new_page(TABLET)
    log_in(manager_page, manager)
    manager_page.goto(f"{live_server.url}{complaint.get_absolute_url()}")
    manager_page.get_by_role("button", name="批准方案").click()
    expect(manager_page.locator("#complaint-header")).to_contain_text("方案已批准")

    # Carried out, the customer signs: the second callback is scheduled
    page.reload()
    resolution = page.locator("#resolution-form")
    resolution.get_by_label("处理结果").fill("已重新保养,异响消除,客户试车确认")
    resolution.get_by_label("客户签字确认").fill("王先生")
    resolution.get_by_role("button", name="方案已执行,客户签字确认").click()
    expect(page.locator("#complaint-header")).to_contain_text("待二次回访")
    second = Callback.objects.get(kind=Callback.Kind.SECOND, parent=callback)
    expect(page.locator("#second-callback")).to_contain_text(f"{second.due_on:%Y-%m-%d}")
    screenshot(page, "complaint-resolved")

    # The second callback: not made yet, the satisfied close waits for it
    expect(page.locator("#evaluation-blocked")).to_contain_text("二次回访尚未完成")
    # The clerk reaches the customer, who is satisfied (the call screen's record): closed
    # with an evaluation
    second_call(second, at=timezone.now())
    page.reload()
    evaluation = page.locator("#evaluation-form")
    evaluation.get_by_label("结案评价").fill("客户对处理结果满意,表示会继续来店保养")
    evaluation.get_by_role("button", name="二次回访:客户满意,结案").click()
    expect(page.locator("#complaint-header")).to_contain_text("已结案")
    timeline = page.locator("#complaint-timeline")
    for step in ("受理投诉", "判定成立", "提交处理方案", "批准方案", "客户签字确认", "客户满意"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("郑经理")
    screenshot(page, "complaint-closed")

    # The manager sees it among the closed ones
    manager_page.goto(f"{live_server.url}/complaints/?state=closed")
    row = manager_page.locator("#complaints tbody tr").filter(has_text=complaint.number)
    expect(row).to_contain_text("已结案")
    expect(row).to_contain_text("吴主管")
    screenshot(manager_page, "complaint-list-closed")
    assert Complaint.objects.get().status == Complaint.Status.CLOSED
