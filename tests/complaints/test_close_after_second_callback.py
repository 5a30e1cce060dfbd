"""A complaint closes as "customer satisfied" only when its second callback (二次回访) records
the customer satisfied (DOMAIN.md §6): the linked callback reached with no score below 4,
nothing unsolved and no problem; without a linked callback the close form records the
clerk's call (when, and that the customer said so). The manager's close with a written
reason stays open whatever the second callback found."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.callbacks.models import Callback
from apps.complaints import services
from apps.complaints.models import Complaint
from tests.factories.callbacks import answered, completed, second_call
from tests.factories.clock import SHANGHAI
from tests.factories.complaints import callback_3dc, complaint_in_state, person
from tests.pages import html

pytestmark = pytest.mark.django_db
S = Complaint.Status
FRIDAY = dt.datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)
NOT_DONE = (
    "二次回访尚未完成:请客服专员在“回访拨打”中接通客户并记录回访结果后再以“客户满意”结案"
    "(无法联系客户时,可由经理填写理由关闭)。"
)
UNHAPPY = (
    "二次回访记录客户仍不满意(有低于 4 分的评分或问题未解决),不能以“客户满意”结案:"
    "请选择“二次回访:客户仍不满意”继续处理,或由经理填写理由关闭。"
)


@pytest.fixture
def people(db):
    return person("complaint"), person("manager")


def resolved_from_a_callback(people) -> Complaint:
    worker, manager = people
    complaint = complaint_in_state(
        S.RESOLVED, worker=worker, manager=manager, source_callback=callback_3dc()
    )
    assert complaint.second_callback.kind == Callback.Kind.SECOND
    return complaint


def close(complaint, by, **fields):
    fresh = Complaint.objects.get(pk=complaint.pk)
    return services.complaint_close_satisfied(
        complaint=fresh, by=by, evaluation="客户满意", **fields
    )


def refusal(complaint, by, **fields) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        close(complaint, by, **fields)
    assert Complaint.objects.get(pk=complaint.pk).status == S.RESOLVED
    return refused.value.messages


@time_machine.travel(FRIDAY, tick=False)
def test_a_second_callback_not_made_yet_blocks_the_satisfied_close(people):
    complaint = resolved_from_a_callback(people)

    assert refusal(complaint, people[0]) == [NOT_DONE]
    # Even the form's own record of a call does not stand in for the linked callback
    assert refusal(complaint, people[0], called_at=FRIDAY, customer_satisfied=True) == [NOT_DONE]


@pytest.mark.parametrize("status", [Callback.Status.UNREACHABLE, Callback.Status.CANCELLED])
@time_machine.travel(FRIDAY, tick=False)
def test_a_second_callback_that_never_reached_the_customer_blocks_it(people, status):
    complaint = resolved_from_a_callback(people)
    completed(complaint.second_callback, at=FRIDAY, status=status)

    assert refusal(complaint, people[0]) == [NOT_DONE]


@time_machine.travel(FRIDAY, tick=False)
def test_a_refused_second_callback_has_no_answer_and_blocks_it(people):
    complaint = resolved_from_a_callback(people)
    Callback.objects.filter(pk=complaint.second_callback_id).update(
        status=Callback.Status.DONE, outcome="refused", closed_at=FRIDAY
    )

    assert refusal(complaint, people[0]) == [NOT_DONE]


@pytest.mark.parametrize(
    ("scores", "yes", "is_problem"),
    [
        ({"handling": 2}, {"solved": False}, True),  # what the call screen records
        ({"handling": 5}, {"solved": False}, False),  # "not solved", however scored
        ({"handling": 3}, {"solved": True}, False),  # a score below 4
    ],
)
@time_machine.travel(FRIDAY, tick=False)
def test_a_second_callback_that_found_the_customer_unhappy_blocks_it(
    people, scores, yes, is_problem
):
    worker, _manager = people
    complaint = resolved_from_a_callback(people)
    answered(complaint.second_callback, at=FRIDAY, scores=scores, yes=yes, is_problem=is_problem)

    assert refusal(complaint, worker) == [UNHAPPY]
    # the way on: still unhappy, back to the investigation
    services.complaint_transition(
        complaint=Complaint.objects.get(pk=complaint.pk),
        name="second_unsatisfied",
        by=worker,
        note="异响仍在",
    )
    assert Complaint.objects.get(pk=complaint.pk).status == S.INVESTIGATING


@time_machine.travel(FRIDAY, tick=False)
def test_a_second_callback_that_found_the_customer_satisfied_closes_it(people):
    worker, _manager = people
    complaint = resolved_from_a_callback(people)
    second_call(complaint.second_callback, at=FRIDAY, satisfied=True)

    step = close(complaint, worker)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.closed_at, complaint.closed_by_manager) == (
        S.CLOSED,
        FRIDAY,
        False,
    )
    assert step.note == "客户满意;评价:客户满意"


@time_machine.travel(FRIDAY, tick=False)
def test_the_manager_still_closes_it_with_a_written_reason(people):
    _worker, manager = people
    complaint = resolved_from_a_callback(people)  # the second callback not made

    services.complaint_transition(
        complaint=Complaint.objects.get(pk=complaint.pk),
        name="manager_close",
        by=manager,
        note="客户出国,无法联系",
    )

    complaint.refresh_from_db()
    assert (complaint.status, complaint.closed_by_manager) == (S.CLOSED, True)


# --- no linked callback: the close form records the clerk's call ----------------------------


@time_machine.travel(FRIDAY, tick=False)
def test_without_a_linked_callback_the_close_records_the_clerks_call(people):
    worker, manager = people
    complaint = complaint_in_state(S.RESOLVED, worker=worker, manager=manager)  # by phone
    assert complaint.second_callback_id is None
    called = FRIDAY  # the call was made after the resolution (also FRIDAY, 16:00)

    with pytest.raises(ValidationError) as refused:
        close(complaint, worker, called_at=called, customer_satisfied=False)
    assert refused.value.message_dict == {
        "customer_satisfied": [
            "只有二次回访中客户表示满意才能以“客户满意”结案;客户仍不满意请选择"
            "“二次回访:客户仍不满意”。"
        ]
    }
    with pytest.raises(ValidationError) as refused:
        close(complaint, worker, called_at=FRIDAY + dt.timedelta(hours=1), customer_satisfied=True)
    assert refused.value.message_dict == {
        "called_at": ["二次回访时间应在方案执行之后、不晚于现在。"]
    }

    step = close(complaint, worker, called_at=called, customer_satisfied=True)

    assert Complaint.objects.get(pk=complaint.pk).status == S.CLOSED
    assert step.note == f"二次回访 2026-11-20 16:00({worker}):客户满意;评价:客户满意"


# --- the page ----------------------------------------------------------------------------------


@time_machine.travel(FRIDAY, tick=False)
def test_the_page_says_why_the_satisfied_close_waits_and_refuses_the_post(people, client):
    worker, _manager = people
    complaint = resolved_from_a_callback(people)
    client.force_login(worker)
    url = reverse("complaints:detail", args=[complaint.pk])

    page = html(client.get(url))
    form = page.split('id="evaluation-form"')[1].split("</form>")[0]
    assert NOT_DONE in form
    assert "disabled>二次回访:客户满意,结案</button>" in form
    assert "二次回访时间" not in form  # the linked callback is the record, not the form

    response = client.post(reverse("complaints:close", args=[complaint.pk]), {"evaluation": "好"})
    assert response.status_code == 422
    assert NOT_DONE in html(response)

    second_call(complaint.second_callback, at=FRIDAY)
    form = html(client.get(url)).split('id="evaluation-form"')[1].split("</form>")[0]
    assert NOT_DONE not in form and "disabled" not in form
    response = client.post(reverse("complaints:close", args=[complaint.pk]), {"evaluation": "好"})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == S.CLOSED


@time_machine.travel(FRIDAY, tick=False)
def test_without_a_linked_callback_the_page_asks_when_the_clerk_called(people, client):
    worker, manager = people
    complaint = complaint_in_state(S.RESOLVED, worker=worker, manager=manager)
    client.force_login(worker)
    url = reverse("complaints:close", args=[complaint.pk])

    response = client.post(url, {"evaluation": "好"})
    body = html(response)
    assert response.status_code == 422
    assert "请填写二次回访的时间(客服回访客户的日期和时间)。" in body
    assert "只有二次回访中客户表示满意才能以“客户满意”结案" in body

    response = client.post(
        url, {"evaluation": "好", "called_at": "2026-11-20T15:00", "customer_satisfied": "on"}
    )
    # 15:00 is before the resolution (16:00): refused; 16:00 is right
    assert response.status_code == 422
    assert "二次回访时间应在方案执行之后、不晚于现在。" in html(response)
    response = client.post(
        url, {"evaluation": "好", "called_at": "2026-11-20T16:00", "customer_satisfied": "on"}
    )
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == S.CLOSED
