"""The call screen (回访界面, DOMAIN.md §5): each outcome of a call, the retry the next day,
unreachable after the settings' failed attempts on different days, the questionnaires
(versioned answers, conditional questions), problems from a low score or a stated
complaint, their quick handling (second callback) and escalation, two clerks never both
finishing one item, and the pages' query budgets."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.callbacks.models import (
    CallAnswer,
    CallAttempt,
    Callback,
    CallbackSettings,
    CallItem,
    Problem,
)
from apps.callbacks.selectors import escalate_url
from apps.callbacks.services import (
    StatedComplaint,
    call_next,
    call_queue_build,
    call_record,
    callbacks_generate,
    problem_handle,
    problem_mark_escalated,
)
from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers.models import Customer
from apps.workorders.models import WorkOrder
from tests.core.test_csp_templates import _problems as inline_code_problems
from tests.factories.accounts import UserFactory
from tests.factories.callbacks import ALL_FIVES, delivered_order, new_car_sale
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 11)  # a Wednesday
NOW = local_datetime(TODAY, 10)
SEVENTH = dt.date(2026, 3, 7)


def at(hour: int, minute: int = 0, on: dt.date = TODAY) -> dt.datetime:
    return local_datetime(on, hour).replace(minute=minute)


def customer_with_3dc(delivered_on=SEVENTH, **fields) -> Customer:
    customer = CustomerFactory(**fields)
    delivered_order(delivered_on, vehicle=VehicleFactory(owner=customer))
    return customer


def queue(on: dt.date = TODAY) -> None:
    callbacks_generate(first=on - dt.timedelta(days=10), last=on)
    call_queue_build(on=on)


def claim(clerk, now: dt.datetime = NOW) -> CallItem:
    item = call_next(by=clerk, now=now)
    assert item is not None
    return item


def the_callback(customer) -> Callback:
    return Callback.objects.get(customer=customer, kind=Callback.Kind.SERVICE_3DC)


@pytest.fixture
def clerk(db):
    return UserFactory()


# --- reached: the questionnaire and problems -----------------------------------------------


def test_a_satisfied_customer_closes_every_callback_of_the_item_with_its_answers(clerk):
    customer = customer_with_3dc()
    new_car_sale(dt.date(2026, 3, 2), owner=customer)  # its 7DC opens on 9 March
    queue()
    item = claim(clerk)
    threedc, sevendc = the_callback(customer), Callback.objects.get(kind="7dc")
    sales = {"delivery": 5, "explanation": 4, "salesperson": 5, "paperwork": 4, "overall": 5}

    attempt = call_record(
        item=item,
        by=clerk,
        outcome="reached",
        answers={
            threedc.pk: {**ALL_FIVES, "quoted": True, "words": "师傅很专业"},
            sevendc.pk: {**sales, "first_service": True},
        },
        note="客户很满意",
        now=at(10, 5),
    )

    item.refresh_from_db()
    assert (item.status, item.outcome, item.done_at) == ("done", "reached", at(10, 5))
    assert (attempt.by, attempt.outcome, attempt.at) == (clerk, "reached", at(10, 5))
    assert set(attempt.callbacks.all()) == {threedc, sevendc}
    for callback in (threedc, sevendc):
        callback.refresh_from_db()
        assert (callback.status, callback.outcome, callback.closed_by) == ("done", "reached", clerk)
        assert not callback.is_problem
    answers = {(a.code, a.version): a for a in CallAnswer.objects.filter(callback=threedc)}
    assert answers[("quality_repair", "3dc-v1")].score == 5
    assert answers[("quality_repair", "3dc-v1")].department == "workshop"
    assert answers[("quoted", "3dc-v1")].yes is True
    assert answers[("words", "3dc-v1")].text == "师傅很专业"
    assert ("quality_paint", "3dc-v1") not in answers  # no body or paint work: not asked
    assert CallAnswer.objects.get(callback=sevendc, code="explanation").score == 4
    assert not Problem.objects.exists()


def test_a_score_of_3_or_less_opens_a_problem_for_the_questions_department(clerk):
    customer = customer_with_3dc()
    queue()
    item = claim(clerk)
    callback = the_callback(customer)

    call_record(
        item=item,
        by=clerk,
        outcome="reached",
        answers={
            callback.pk: {
                **ALL_FIVES,
                "quality_repair": 3,
                "price": 1,
                "words": "异响没修好,价格也贵",
            }
        },
        now=at(10, 5),
    )

    callback.refresh_from_db()
    assert callback.is_problem and callback.status == "done"
    problems = {p.question: p for p in Problem.objects.all()}
    assert set(problems) == {"quality_repair", "price"}
    repair, price = problems["quality_repair"], problems["price"]
    assert (repair.department, repair.severity, repair.score) == ("workshop", "normal", 3)
    assert (price.department, price.severity) == ("parts", "serious")  # 1 point: serious
    assert "异响没修好" in repair.what  # the customer's own words kept
    assert repair.customer == customer and repair.status == "open"


def test_a_stated_complaint_opens_a_problem_even_when_every_score_is_high(clerk):
    customer = customer_with_3dc()
    queue()
    item = claim(clerk)
    callback = the_callback(customer)

    call_record(
        item=item,
        by=clerk,
        outcome="reached",
        answers={callback.pk: ALL_FIVES},
        complaints={callback.pk: StatedComplaint("前台让我等了很久", "front_desk", serious=True)},
        now=at(10, 5),
    )

    problem = Problem.objects.get()
    assert (problem.what, problem.department, problem.severity) == (
        "前台让我等了很久",
        "front_desk",
        "serious",
    )
    assert problem.question == "" and the_callback(customer).is_problem


def test_an_accident_repair_is_asked_about_the_paint_and_a_missing_score_is_refused(clerk):
    customer = CustomerFactory()
    delivered_order(SEVENTH, vehicle=VehicleFactory(owner=customer), kind=WorkOrder.Kind.ACCIDENT)
    queue()
    item = claim(clerk)
    callback = the_callback(customer)

    with pytest.raises(ValidationError, match="喷漆质量"):
        call_record(item=item, by=clerk, outcome="reached", answers={callback.pk: ALL_FIVES})

    call_record(
        item=item,
        by=clerk,
        outcome="reached",
        answers={callback.pk: {**ALL_FIVES, "quality_paint": 2}},
    )
    problem = Problem.objects.get()
    assert (problem.question, problem.department) == ("quality_paint", "body_paint")


# --- not reached: retry and unreachable ------------------------------------------------------


@pytest.mark.parametrize("outcome", ["no_answer", "busy", "wrong_number"])
def test_a_failed_call_counts_an_attempt_and_the_customer_is_queued_again_tomorrow(clerk, outcome):
    customer = customer_with_3dc()
    queue()
    item = claim(clerk)

    call_record(item=item, by=clerk, outcome=outcome, now=at(10, 5))

    callback = the_callback(customer)
    item.refresh_from_db()
    assert (callback.status, callback.attempts, callback.last_attempt_at) == ("open", 1, at(10, 5))
    assert (item.status, item.outcome) == ("done", outcome)
    assert CallAttempt.objects.get().outcome == outcome
    tomorrow = TODAY + dt.timedelta(days=1)
    call_queue_build(on=tomorrow)
    again = CallItem.objects.get(customer=customer, day=tomorrow)
    assert list(again.callbacks.all()) == [callback]


def test_after_three_failed_days_the_callback_is_closed_as_unreachable(clerk):
    customer = customer_with_3dc()
    for offset in range(3):
        on = TODAY + dt.timedelta(days=offset)
        queue(on)
        item = claim(clerk, at(10, on=on))
        callback = the_callback(customer)
        assert callback.status == "open"
        call_record(item=item, by=clerk, outcome="no_answer", now=at(10, 5, on=on))

    callback = the_callback(customer)
    assert (callback.status, callback.attempts, callback.outcome) == (
        "unreachable",
        3,
        "no_answer",
    )
    assert callback.closed_at == at(10, 5, on=TODAY + dt.timedelta(days=2))
    assert CallAttempt.objects.filter(customer=customer).count() == 3
    # failed calls are no contact: the weekly limit (2) did not keep the third day's call away
    call_queue_build(on=TODAY + dt.timedelta(days=3))
    assert not CallItem.objects.filter(day=TODAY + dt.timedelta(days=3)).exists()


def test_a_call_back_is_no_failed_attempt_and_the_attempts_are_a_setting(clerk):
    rules = current_settings(CallbackSettings)
    rules.callback_max_attempts = 2
    area_settings_save(rows=[rules], by=None)
    customer = customer_with_3dc()
    queue()
    item = claim(clerk)
    call_record(item=item, by=clerk, outcome="call_back", call_back_at=at(15), now=at(10, 5))
    item = claim(clerk, at(15, 1))
    call_record(item=item, by=clerk, outcome="busy", now=at(15, 2))
    callback = the_callback(customer)
    assert (callback.status, callback.attempts) == ("open", 1)

    tomorrow = TODAY + dt.timedelta(days=1)
    queue(tomorrow)
    call_record(item=claim(clerk, at(10, on=tomorrow)), by=clerk, outcome="no_answer")

    assert the_callback(customer).status == "unreachable"


# --- the customer answers but not the questions --------------------------------------------


def test_call_back_later_today_returns_the_item_to_the_queue_from_that_time(clerk):
    customer = customer_with_3dc()
    queue()
    item = claim(clerk)

    call_record(item=item, by=clerk, outcome="call_back", call_back_at=at(16), now=at(10, 5))

    item.refresh_from_db()
    assert (item.status, item.claimed_by, item.call_back_at) == ("waiting", None, at(16))
    assert call_next(by=clerk, now=at(15, 30)) is None  # not before the time asked for
    assert call_next(by=UserFactory(), now=at(16, 0)).pk == item.pk
    callback = the_callback(customer)
    assert (callback.status, callback.attempts, callback.call_back_at) == ("open", 0, at(16))


def test_call_back_another_day_waits_for_that_days_queue(clerk):
    customer = customer_with_3dc()
    queue()
    friday = dt.date(2026, 3, 13)
    call_record(
        item=claim(clerk), by=clerk, outcome="call_back", call_back_at=at(15, on=friday), now=NOW
    )

    call_queue_build(on=dt.date(2026, 3, 12))
    call_queue_build(on=friday)

    assert not CallItem.objects.filter(customer=customer, day=dt.date(2026, 3, 12)).exists()
    on_friday = CallItem.objects.get(customer=customer, day=friday)
    assert on_friday.call_back_at == at(15, on=friday)
    assert call_next(by=clerk, now=at(10, on=friday)) is None
    assert call_next(by=clerk, now=at(15, on=friday)).pk == on_friday.pk


def test_a_call_back_time_in_the_past_is_refused(clerk):
    customer_with_3dc()
    queue()
    with pytest.raises(ValidationError, match="约定回拨时间"):
        call_record(
            item=claim(clerk), by=clerk, outcome="call_back", call_back_at=at(9), now=at(10, 5)
        )
    assert not CallAttempt.objects.exists()


def test_a_refusal_closes_the_callbacks_without_answers(clerk):
    customer = customer_with_3dc()
    queue()

    call_record(item=claim(clerk), by=clerk, outcome="refused", note="客户说很忙不想回答")

    callback = the_callback(customer)
    assert (callback.status, callback.outcome) == ("done", "refused")
    assert callback.note == "客户说很忙不想回答"
    assert not CallAnswer.objects.exists() and not Problem.objects.exists()


def test_do_not_disturb_marks_the_customer_and_cancels_the_callbacks(clerk):
    customer = customer_with_3dc()
    queue()

    call_record(item=claim(clerk), by=clerk, outcome="do_not_disturb", now=at(10, 5))

    customer.refresh_from_db()
    assert customer.do_not_call
    assert the_callback(customer).status == "cancelled"
    delivered_order(dt.date(2026, 3, 9), vehicle=customer.vehicles.get())
    queue(TODAY + dt.timedelta(days=3))
    assert not CallItem.objects.filter(day=TODAY + dt.timedelta(days=3)).exists()


def test_only_the_clerk_holding_the_item_records_it_and_only_once(clerk):
    customer_with_3dc()
    queue()
    item = claim(clerk)

    with pytest.raises(ValidationError, match="不在您名下"):
        call_record(item=item, by=UserFactory(), outcome="no_answer")
    call_record(item=item, by=clerk, outcome="no_answer")
    with pytest.raises(ValidationError, match="不在您名下"):
        call_record(item=item, by=clerk, outcome="reached")
    assert CallAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_at_once_never_both_finish_one_item():
    # Given clerk A's claim expired, A saving the call just as B presses "next call" and
    # saves it too — and A's double tap on 保存
    with time_machine.travel(NOW, tick=False):
        customer_with_3dc()
        queue()
        first, second = UserFactory(), UserFactory()
        item = claim(first)
    later = at(10, 30)  # the 15 minutes' claim has expired
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def save(clerk, press_first: bool):
        try:
            barrier.wait()
            held = call_next(by=clerk, now=later) if press_first else item
            if held is None:
                outcomes.append("nothing")
                return
            call_record(item=held, by=clerk, outcome="no_answer", now=later)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(first, False)),
        threading.Thread(target=save, args=(first, False)),
        threading.Thread(target=save, args=(second, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Then exactly one call is recorded and the item is done once
    assert outcomes.count("saved") == 1, outcomes
    assert CallAttempt.objects.count() == 1
    assert Callback.objects.get().attempts == 1
    assert CallItem.objects.get().status == "done"


# --- problems -------------------------------------------------------------------------------


def problem_of_a_call(clerk, score: int = 2) -> Problem:
    customer = customer_with_3dc()
    queue()
    callback = the_callback(customer)
    call_record(
        item=claim(clerk),
        by=clerk,
        outcome="reached",
        answers={callback.pk: {**ALL_FIVES, "quality_repair": score}},
        now=at(10, 5),
    )
    return Problem.objects.get()


@time_machine.travel(at(11), tick=False)
def test_quick_handling_closes_the_problem_and_schedules_the_second_callback(clerk):
    problem = problem_of_a_call(clerk)
    manager = UserFactory()

    problem_handle(
        problem=problem,
        by=manager,
        department="workshop",
        responsible="李师傅",
        due_on=TODAY + dt.timedelta(days=1),
        action="约客户回店复查,紧固底盘螺栓",
        result="异响消除,客户认可",
    )

    problem.refresh_from_db()
    assert (problem.status, problem.handled_by) == ("closed", manager)
    assert problem.responsible == "李师傅"
    second = Callback.objects.get(kind="second")
    assert second.parent == problem.callback
    assert (second.opens_on, second.due_on) == (TODAY + dt.timedelta(days=1), dt.date(2026, 3, 14))
    with pytest.raises(ValidationError, match="已处理"):
        problem_handle(
            problem=problem,
            by=manager,
            department="workshop",
            responsible="李师傅",
            due_on=None,
            action="再次处理",
            result="—",
        )


def test_the_second_callback_waits_until_every_problem_of_the_callback_is_handled(clerk):
    customer = customer_with_3dc()
    queue()
    callback = the_callback(customer)
    call_record(
        item=claim(clerk),
        by=clerk,
        outcome="reached",
        answers={callback.pk: {**ALL_FIVES, "quality_repair": 2, "price": 3}},
    )
    repair, price = Problem.objects.order_by("id")
    handle = {"department": "workshop", "responsible": "李", "due_on": None}

    problem_handle(problem=repair, by=clerk, action="复查", result="已解决", **handle)
    assert not Callback.objects.filter(kind="second").exists()
    problem_handle(problem=price, by=clerk, action="解释价格", result="客户理解", **handle)
    assert Callback.objects.filter(kind="second", parent=callback).count() == 1


def test_escalation_marks_the_problem_once_and_not_after_it_was_handled(clerk):
    problem = problem_of_a_call(clerk, score=1)

    problem_mark_escalated(problem=problem, complaint_id=42, by=clerk)
    problem_mark_escalated(problem=problem, complaint_id=42, by=clerk)  # idempotent

    problem.refresh_from_db()
    assert (problem.status, problem.complaint_id, problem.handled_by) == ("escalated", 42, clerk)
    with pytest.raises(ValidationError):
        problem_mark_escalated(problem=problem, complaint_id=43, by=clerk)
    with pytest.raises(ValidationError):
        problem_handle(
            problem=problem,
            by=clerk,
            department="workshop",
            responsible="李",
            due_on=None,
            action="x",
            result="y",
        )


def test_open_problems_link_to_the_complaints_page(clerk, role_client, settings_row):
    problem = problem_of_a_call(clerk)
    url = reverse("complaints:create_from_problem", args=[problem.pk])

    assert escalate_url(problem) == url
    page = role_client("complaint").get(reverse("callbacks:problem_list")).content.decode()
    assert url in page and "转投诉" in page
    escalated = problem_mark_escalated(problem=problem, complaint_id=7, by=clerk)
    assert escalate_url(escalated) is None


# --- the pages ------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_clerk_works_a_call_on_the_page(role_client, settings_row):
    customer = customer_with_3dc(name="王建国", mobile="13912345678")
    queue()
    client = role_client("callback")
    screen = client.post(reverse("callbacks:queue_next")).url
    page = client.get(screen).content.decode()
    assert "3DC 维修回访问卷" in page and "139****5678" in page and "13912345678" not in page
    assert "维修质量满意吗?" in page and "喷漆质量" not in page
    assert inline_code_problems(page) == []  # CSP: no inline scripts or handlers
    callback = the_callback(customer)
    form = {f"cb{callback.pk}_{code}": score for code, score in ALL_FIVES.items()}

    # reached without the scores: the page again, in Chinese
    refused = client.post(screen, {"outcome": "reached"})
    assert refused.status_code == 200
    assert "请为“维修质量满意吗?”打分。" in refused.content.decode()

    done = client.post(
        screen,
        {**form, f"cb{callback.pk}_quality_wash": 2, "outcome": "reached", "note": "洗车不干净"},
    )

    assert done.status_code == 302, done.content.decode()[-3000:]
    assert done.url == reverse("callbacks:queue")
    assert the_callback(customer).status == "done"
    problem = Problem.objects.get()
    assert problem.department == "wash"
    listed = role_client("manager").get(reverse("callbacks:problem_list")).content.decode()
    assert "车辆清洁程度满意吗? 2 分" in listed and "快速处理" in listed


@time_machine.travel(NOW, tick=False)
def test_another_clerks_call_screen_sends_back_to_the_queue(role_client, settings_row):
    customer_with_3dc()
    queue()
    item = claim(UserFactory())

    response = role_client("callback").get(reverse("callbacks:call_screen", args=[item.pk]))

    assert response.status_code == 302 and response.url == reverse("callbacks:queue")


@time_machine.travel(at(11), tick=False)
def test_the_quick_handling_form_closes_the_problem(role_client, settings_row, clerk):
    problem = problem_of_a_call(clerk)
    client = role_client("callback")
    url = reverse("callbacks:problem_handle", args=[problem.pk])

    empty = client.post(url, {"department": "workshop"})
    assert empty.status_code == 200 and "请填写处理措施。" in empty.content.decode()
    done = client.post(
        url,
        {
            "department": "workshop",
            "responsible": "李师傅",
            "due_on": "2026-03-12",
            "action": "复查并紧固",
            "result": "客户满意",
        },
    )

    assert done.status_code == 302
    problem.refresh_from_db()
    assert problem.status == "closed" and problem.result == "客户满意"
    open_list = client.get(reverse("callbacks:problem_list")).content.decode()
    assert "没有符合条件的问题" in open_list


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_the_call_screen_takes_the_same_queries_for_few_and_many_reasons_and_calls(
    client, user_with_role, settings_row
):
    clerk = user_with_role("callback")
    client.force_login(clerk)
    counts = []
    for reasons in (1, 5):
        customer = CustomerFactory()
        vehicle = VehicleFactory(owner=customer)
        for _ in range(reasons):
            delivered_order(dt.date(2026, 3, 7), vehicle=vehicle)
        queue()
        item = claim(clerk)
        for n in range(reasons):  # earlier calls of this customer
            CallAttempt.objects.create(
                item=item, customer=customer, by=clerk, at=at(9, n), outcome="busy"
            )
        counts.append(_count_queries(client, reverse("callbacks:call_screen", args=[item.pk])))
        call_record(item=item, by=clerk, outcome="refused", now=NOW)
    assert counts[0] == counts[1]


def test_the_problem_list_takes_the_same_queries_for_few_and_many(role_client, settings_row, clerk):
    client = role_client("manager")
    problem = problem_of_a_call(clerk)
    counts = [_count_queries(client, reverse("callbacks:problem_list"))]
    for n in range(5):
        Problem.objects.create(
            callback=problem.callback,
            customer=problem.customer,
            what=f"问题 {n}",
            department="front_desk",
        )
    counts.append(_count_queries(client, reverse("callbacks:problem_list")))
    assert counts[0] == counts[1]
