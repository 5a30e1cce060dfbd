"""The 工作台's care-loop panels: the callback clerk's day (the queue left, the calls done,
the reached rate) and the manager's month (satisfaction by department, open problems,
open and overdue complaints), each with its right figures in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.callbacks.models import Callback, CallItem, Problem
from apps.callbacks.selectors import clerk_day
from apps.callbacks.services import call_next, call_queue_build, call_record, callbacks_generate
from apps.complaints.models import Complaint
from apps.dashboard.views import care_panel
from tests.factories.accounts import UserFactory
from tests.factories.callbacks import ALL_FIVES, answered, delivered_order
from tests.factories.clock import local_datetime
from tests.factories.complaints import callback_3dc, complaint_in_state
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]
TODAY = dt.date(2026, 3, 11)  # a Wednesday
NOW = local_datetime(TODAY, 10)
S = Complaint.Status


def customers_in_todays_queue(count: int) -> None:
    for _ in range(count):
        delivered_order(dt.date(2026, 3, 7), vehicle=VehicleFactory(owner=CustomerFactory()))
    callbacks_generate(first=TODAY - dt.timedelta(days=10), last=TODAY)
    call_queue_build(on=TODAY)


def call(clerk, outcome: str, minutes: int) -> None:
    now = NOW + dt.timedelta(minutes=minutes)
    item = call_next(by=clerk, now=now)
    answers = {}
    if outcome == "reached":
        callback = item.callbacks.get()
        answers = {callback.pk: dict(ALL_FIVES)}
    call_record(item=item, by=clerk, outcome=outcome, answers=answers, now=now)


# --- the callback clerk ------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_clerk_sees_todays_queue_the_calls_done_and_the_reached_rate(role_client):
    # Given four customers to call today, of whom the clerks reached one, did not reach
    # one and are calling a third; and yesterday's calls, which do not count
    customers_in_todays_queue(4)
    clerk = UserFactory()
    call(clerk, "reached", 1)
    call(clerk, "no_answer", 2)
    call_next(by=UserFactory(), now=NOW + dt.timedelta(minutes=3))
    CallItem.objects.create(
        customer=CustomerFactory(), day=TODAY - dt.timedelta(days=1), due_on=TODAY, status="done"
    )

    day = clerk_day(now=NOW + dt.timedelta(minutes=5))

    # Then 2 are left (one waiting, one being called), 2 are done, 1 of 2 calls reached
    assert (day.queue, day.done, day.attempts, day.reached) == (2, 2, 2, 1)
    assert day.reached_rate == Decimal("50.0")
    body = html(role_client("callback").get(reverse("dashboard:home")))
    panel = body.split('id="home-clerk-day"')[1].split('id="home-')[0]
    assert 'id="clerk-queue">2<' in panel and 'id="clerk-done">2<' in panel
    assert "50.0%" in panel and "接通率(1/2)" in panel


@time_machine.travel(NOW, tick=False)
def test_before_the_first_call_the_reached_rate_is_a_dash(role_client):
    day = clerk_day(now=NOW)

    assert (day.queue, day.done, day.attempts, day.reached_rate) == (0, 0, 0, None)
    panel = html(role_client("callback").get(reverse("dashboard:home")))
    assert 'id="clerk-reached">—<' in panel


@time_machine.travel(NOW, tick=False)
def test_the_clerks_panel_takes_two_queries_however_many_calls(
    role_client, django_assert_max_num_queries, django_assert_num_queries
):
    client = role_client("callback")
    # archive figures (3), the latest visits, the late sales files; the clerk's day (2)
    budget = PAGE_QUERIES + 7
    with django_assert_num_queries(2):
        clerk_day(now=NOW)
    with django_assert_max_num_queries(budget):
        client.get(reverse("dashboard:home"))
    customers_in_todays_queue(5)
    clerk = UserFactory()
    for minutes, outcome in enumerate(("reached", "busy", "reached", "refused")):
        call(clerk, outcome, minutes)

    with django_assert_num_queries(2):
        clerk_day(now=NOW)
    with django_assert_max_num_queries(budget):
        client.get(reverse("dashboard:home"))


# --- the manager -------------------------------------------------------------------------------


def problem_of(callback: Callback) -> Problem:
    return Problem.objects.create(
        callback=callback, customer=callback.customer, what="维修质量 2 分", department="workshop"
    )


@time_machine.travel(local_datetime(dt.date(2026, 11, 20), 10), tick=False)
def test_the_manager_sees_this_months_satisfaction_open_problems_and_complaints(role_client):
    # Given this month's calls: 总体 5 4 2 (2 of 3 satisfied), 车间 5; last month's 总体 1
    for score in (5, 4, 2):
        answered(
            callback_3dc(),
            at=local_datetime(dt.date(2026, 11, 3), 10),
            scores={"overall": score},
        )
    answered(callback_3dc(), at=local_datetime(dt.date(2026, 11, 1), 0), scores={"speed_work": 5})
    answered(callback_3dc(), at=local_datetime(dt.date(2026, 10, 31), 23), scores={"overall": 1})
    # two open problems and one handled; complaints: one received today, one overdue
    # (investigating since 2 November), one closed
    first, second, handled = callback_3dc(), callback_3dc(), callback_3dc()
    problem_of(first), problem_of(second)
    Problem.objects.filter(pk=problem_of(handled).pk).update(status=Problem.Status.CLOSED)
    complaint_in_state(S.RECEIVED)
    with time_machine.travel(local_datetime(dt.date(2026, 11, 2), 10), tick=False):
        complaint_in_state(S.INVESTIGATING)
    complaint_in_state(S.CLOSED)

    care = care_panel(today=dt.date(2026, 11, 20))

    assert [
        (row.department, row.answers, row.satisfied, row.rate) for row in care["satisfaction"]
    ] == [
        ("workshop", 1, 1, Decimal("100.0")),
        ("overall", 3, 2, Decimal("66.7")),
    ]
    assert care["problems_open"] == 2
    assert care["complaints"] == {"open": 2, "overdue": 1}
    body = html(role_client("manager").get(reverse("dashboard:home")))
    panel = body.split('id="home-care"')[1].split('id="home-')[0]
    assert "<td>总体</td>" in panel and "66.7%" in panel and "<td>收银</td>" not in panel
    assert "待处理问题 <strong>2</strong>" in panel
    assert "处理中投诉 <strong>2</strong>" in panel and "逾期投诉 <strong>1</strong>" in panel


@time_machine.travel(local_datetime(dt.date(2026, 11, 20), 10), tick=False)
def test_the_managers_panel_takes_three_queries_however_much_data(
    role_client, django_assert_num_queries
):
    with django_assert_num_queries(3):
        care = care_panel(today=dt.date(2026, 11, 20))
    assert care["satisfaction"] == [] and care["complaints"] == {"open": 0, "overdue": 0}
    for score in (5, 3, 4, 1):
        callback = answered(
            callback_3dc(),
            at=local_datetime(dt.date(2026, 11, 10), 10),
            scores={"overall": score, "price": score, "visit": 5},
        )
        problem_of(callback)
        complaint_in_state(S.INVESTIGATING)

    with django_assert_num_queries(3):
        care = care_panel(today=dt.date(2026, 11, 20))
    assert care["problems_open"] == 4 and care["complaints"]["open"] == 4


def test_roles_without_the_care_loop_see_neither_panel(role_client):
    body = html(role_client("advisor").get(reverse("dashboard:home")))

    assert 'id="home-clerk-day"' not in body and 'id="home-care"' not in body
    clerk = html(role_client("callback").get(reverse("dashboard:home")))
    assert 'id="home-clerk-day"' in clerk and 'id="home-care"' not in clerk
