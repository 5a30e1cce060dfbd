"""The complaint pages: the list with its filters (status, severity, overdue, closed) at
constant queries, the complaint's page with its timeline and the next steps each role
may take, the create form (from a customer, or prefilled from a callback), and the steps'
forms answering in Chinese."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from apps.callbacks.models import Problem
from apps.complaints.models import Complaint, Severity
from tests.factories.clock import SHANGHAI
from tests.factories.complaints import callback_3dc, complaint_in_state, new_complaint, person
from tests.factories.core import rules_in_cache
from tests.factories.customers import VehicleFactory
from tests.pages import PAGE_QUERIES, html

pytestmark = pytest.mark.django_db
S = Complaint.Status
FRIDAY = dt.datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)
TUESDAY = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def _numbers(response) -> list[str]:
    return [row.number for row in response.context["page"].rows]


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_filters_and_runs_the_same_queries_for_3_or_40(
    role_client, django_assert_num_queries, count
):
    worker = person("complaint")
    with time_machine.travel(FRIDAY, tick=False):
        for _ in range(count):
            new_complaint(by=worker)
        serious = complaint_in_state(S.INVESTIGATING, worker=worker, severity=Severity.SERIOUS)
        closed = complaint_in_state(S.CLOSED, worker=worker)
        invalid = complaint_in_state(S.INVALID, worker=worker)
    client = role_client("manager")
    rules_in_cache()

    with time_machine.travel(TUESDAY, tick=False):
        # the page of complaints with their customers, vehicles and handlers
        with django_assert_num_queries(PAGE_QUERIES + 1):
            response = client.get(reverse("complaints:list"), {"state": "overdue"})
        # Not acknowledged on Friday: overdue; the serious one was due on Monday.
        assert len(response.context["page"].rows) == min(count + 1, 25)
        assert serious.number in _numbers(
            client.get(reverse("complaints:list"), {"state": "overdue", "severity": "serious"})
        )
        assert "确认逾期" in html(response) and "解决逾期" in html(response)

        assert set(_numbers(client.get(reverse("complaints:list"), {"state": "closed"}))) == {
            closed.number,
            invalid.number,
        }
        assert _numbers(client.get(reverse("complaints:list"), {"status": "closed"})) == [
            closed.number
        ]
        assert _numbers(client.get(reverse("complaints:list"), {"severity": "serious"})) == [
            serious.number
        ]
        assert _numbers(
            client.get(reverse("complaints:list"), {"number": closed.number.lower()})
        ) == [closed.number]


@pytest.mark.parametrize("extra_steps", [0, 3])
@time_machine.travel(FRIDAY, tick=False)
def test_the_complaint_page_shows_the_timeline_at_constant_queries(
    role_client, django_assert_num_queries, extra_steps
):
    worker, manager = person("complaint", display_name="赵主管"), person("manager")
    complaint = complaint_in_state(S.PROPOSED, worker=worker, manager=manager)
    for _ in range(extra_steps):  # returned and proposed again
        from apps.complaints import services

        services.complaint_transition(
            complaint=complaint, name="reject_solution", by=manager, note="再议"
        )
        services.complaint_propose(
            complaint=complaint,
            by=worker,
            cause="机油加注过量",
            department="workshop",
            responsible_person="",
            solution="再次保养",
        )
    client = role_client("manager")
    rules_in_cache()

    # the complaint with its people and callbacks; its steps with who made them
    with django_assert_num_queries(PAGE_QUERIES + 2):
        response = client.get(reverse("complaints:detail", args=[complaint.pk]))

    page = html(response)
    timeline = page.split('id="complaint-timeline"')[1]
    assert len(re.findall(r'class="list-group-item"', timeline)) == 3 + 2 * extra_steps
    assert "受理投诉" in timeline and "提交处理方案" in timeline and "赵主管" in timeline
    # The manager decides the proposal.
    assert 'id="move-approve"' in page and 'id="move-reject_solution"' in page
    assert 'id="move-manager_close"' in page and 'id="proposal-form"' not in page


@time_machine.travel(FRIDAY, tick=False)
def test_each_role_sees_only_the_steps_it_may_take(role_client):
    complaint = new_complaint()
    url = reverse("complaints:detail", args=[complaint.pk])

    worker_page = html(role_client("complaint").get(url))
    assert 'id="move-judge_valid"' in worker_page and 'id="move-judge_invalid"' in worker_page
    assert 'id="move-manager_close"' not in worker_page
    clerk_page = html(role_client("callback").get(url))
    assert 'id="complaint-actions"' not in clerk_page
    manager_page = html(role_client("manager").get(url))
    assert 'id="move-manager_close"' in manager_page
    assert 'id="move-judge_valid"' not in manager_page


@time_machine.travel(FRIDAY, tick=False)
def test_the_create_form_is_prefilled_from_a_callback_and_receives_the_complaint(role_client):
    callback = callback_3dc()
    client = role_client("callback")
    url = reverse("complaints:create") + f"?callback={callback.pk}"

    form = client.get(url).context["form"]
    assert (form["channel"].value(), form["vehicle"].value(), form["work_order"].value()) == (
        "callback",
        callback.vehicle_id,
        callback.work_order_id,
    )
    response = client.post(
        url,
        {
            "channel": "phone",  # disabled on a callback's form: stays 回访
            "category": "attitude",
            "severity": "serious",
            "vehicle": callback.vehicle_id,
            "work_order": callback.work_order_id,
            "description": "前台接待态度差",
            "demand": "道歉",
        },
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == complaint.get_absolute_url()
    assert (complaint.channel, complaint.source_callback, complaint.severity) == (
        "callback",
        callback,
        "serious",
    )
    assert complaint.resolve_due_on == dt.date(2026, 11, 23)


@time_machine.travel(FRIDAY, tick=False)
def test_a_callbacks_problem_becomes_a_complaint_and_leaves_the_quick_handling_list(
    role_client,
):
    callback = callback_3dc()
    problem = Problem.objects.create(
        callback=callback, customer=callback.customer, what="维修质量 2 分", department="workshop"
    )
    client = role_client("callback")

    response = client.get(reverse("complaints:create_from_problem", args=[problem.pk]))
    url = response["Location"]
    form = client.get(url).context["form"]
    assert (form["channel"].value(), form["description"].value()) == ("callback", "维修质量 2 分")
    response = client.post(
        url,
        {
            "category": "repair_quality",
            "severity": "general",
            "vehicle": callback.vehicle_id,
            "work_order": callback.work_order_id,
            "description": "维修质量 2 分:异响未排除",
        },
    )

    complaint = Complaint.objects.get()
    assert response["Location"] == complaint.get_absolute_url()
    assert complaint.source_callback == callback
    problem.refresh_from_db()
    assert (problem.status, problem.complaint_id) == (Problem.Status.ESCALATED, complaint.pk)
    # A second complaint of the same problem is refused, and none is made.
    again = client.post(
        url, {"category": "repair_quality", "severity": "general", "description": "再次"}
    )
    assert again.status_code == 422
    assert "已处理或已转投诉" in again.content.decode()
    assert Complaint.objects.count() == 1


@time_machine.travel(FRIDAY, tick=False)
def test_the_create_form_answers_in_chinese(role_client):
    customer = VehicleFactory().owner
    client = role_client("complaint")
    url = reverse("complaints:create") + f"?customer={customer.pk}"

    response = client.post(url, {"channel": "maker", "category": "price", "severity": "general"})
    assert response.status_code == 422
    assert "请填写投诉内容" in html(response)
    response = client.post(
        url,
        {"channel": "maker", "category": "price", "severity": "general", "description": "收费高"},
    )
    assert response.status_code == 422
    assert "厂家 400 热线转来的投诉请填写厂家要求的完成时间。" in html(response)
    assert not Complaint.objects.exists()
    # Without a customer: where to start from.
    assert 'id="pick-customer"' in html(client.get(reverse("complaints:create")))
    # The customer's page links to the form.
    card = html(client.get(reverse("customers:customer_detail", args=[customer.pk])))
    assert f"{reverse('complaints:create')}?customer={customer.pk}" in card


@time_machine.travel(FRIDAY, tick=False)
def test_the_steps_forms_move_the_complaint_or_answer_in_chinese(role_client):
    complaint = new_complaint()
    client = role_client("complaint")
    detail = reverse("complaints:detail", args=[complaint.pk])
    transition = reverse("complaints:transition", args=[complaint.pk])

    response = client.post(transition, {"name": "judge_invalid", "note": ""})
    assert response.status_code == 422
    assert "“判定不成立”必须填写向客户的解释。" in html(response)
    response = client.post(transition, {"name": "judge_valid"})
    assert (response.status_code, response["Location"]) == (302, detail)
    response = client.post(reverse("complaints:propose", args=[complaint.pk]), {"cause": "x"})
    assert response.status_code == 422
    assert "请选择责任部门。" in html(response) and "请填写处理方案。" in html(response)
    response = client.post(transition, {"name": "approve"})
    assert response.status_code == 422
    assert "您没有“批准方案”的权限。" in html(response)
    assert Complaint.objects.get(pk=complaint.pk).status == S.INVESTIGATING


def test_the_home_page_lists_overdue_complaints_for_the_manager_and_the_handler(role_client):
    worker, other = person("complaint"), person("complaint")
    with time_machine.travel(FRIDAY, tick=False):
        mine = complaint_in_state(S.INVESTIGATING, worker=worker)
        theirs = complaint_in_state(S.INVESTIGATING, worker=other)
        unjudged = new_complaint(by=person("callback"))
        on_time = complaint_in_state(S.RESOLVED, worker=worker)
    with time_machine.travel(TUESDAY + dt.timedelta(days=2), tick=False):  # Thursday
        client = role_client("manager")  # logged in now: a session does not outlive days
        manager_home = html(client.get(reverse("dashboard:home")))
        client.force_login(worker)
        worker_home = html(client.get(reverse("dashboard:home")))
        client.force_login(person("callback"))
        clerk_home = html(client.get(reverse("dashboard:home")))

    panel = manager_home.split('id="home-complaints"')[1]
    for complaint in (mine, theirs, unjudged):
        assert complaint.number in panel
    assert on_time.number not in panel
    panel = worker_home.split('id="home-complaints"')[1]
    assert mine.number in panel and unjudged.number in panel
    assert theirs.number not in panel
    assert 'id="home-complaints"' not in clerk_home


@pytest.mark.parametrize("extra", [0, 10])
def test_the_statistics_count_by_category_department_and_cause_at_constant_queries(
    role_client, django_assert_num_queries, extra
):
    worker, manager = person("complaint"), person("manager")
    with time_machine.travel(FRIDAY, tick=False):
        complaint_in_state(S.CLOSED, worker=worker, manager=manager)  # 维修质量, 维修车间
        complaint_in_state(S.PROPOSED, worker=worker, category="price")
        complaint_in_state(S.INVALID, worker=worker, category="attitude")
        for _ in range(extra):
            new_complaint(by=worker, category="waiting")
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        new_complaint(by=worker)  # next month: outside 2026-11
        client = role_client("manager")
        rules_in_cache()
        # the counts; the causes
        with django_assert_num_queries(PAGE_QUERIES + 2):
            response = client.get(
                reverse("complaints:stats"),
                {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"},
            )

    stats = response.context["stats"]
    assert stats["totals"] == {
        "all": 3 + extra,
        "open": 1 + extra,
        "overdue": 1 + extra,  # by 2026-12-01: the proposal and the unjudged ones are late
        "invalid": 1,
        "closed": 1,
    }
    by_category = dict(stats["by_category"])
    assert (by_category["维修质量"], by_category["价格"], by_category["服务态度"]) == (1, 1, 1)
    assert by_category["等待时间"] == extra
    by_department = dict(stats["by_department"])
    assert by_department["维修车间"] == 2 and by_department["(尚未调查)"] == 1 + extra
    assert stats["by_cause"] == [("机油加注过量", 2)]
    assert "机油加注过量" in html(response)
