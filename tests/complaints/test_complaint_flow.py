"""The complaint's closed loop (DOMAIN.md §6): received from any channel with its
deadlines by severity in working days, judged, investigated, proposed, approved by the
manager, carried out and signed, second callback, closed; every move a ComplaintStep (who,
when, what), every refused move a Chinese sentence that changes nothing."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.callbacks.models import Callback
from apps.complaints import selectors, services, transitions
from apps.complaints.models import Channel, Complaint, ComplaintStep, Severity
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.complaints import (
    PATH,
    callback_3dc,
    complaint_in_state,
    new_complaint,
    person,
    walk,
)
from tests.factories.customers import VehicleFactory

pytestmark = pytest.mark.django_db
S = Complaint.Status
FRIDAY = dt.datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)


def _steps(complaint) -> list[tuple]:
    return list(
        ComplaintStep.objects.filter(complaint=complaint)
        .order_by("id")
        .values_list("transition", "from_status", "to_status", "by_id")
    )


# --- receiving and the deadlines ----------------------------------------------------------------


@time_machine.travel(FRIDAY, tick=False)
def test_a_complaint_is_received_with_a_number_deadlines_and_its_first_step():
    clerk = person("callback")
    complaint = new_complaint(by=clerk)

    assert complaint.number == "TS2026110001"
    assert new_complaint(by=clerk).number == "TS2026110002"
    assert (complaint.status, complaint.received_by, complaint.owner) == (S.RECEIVED, clerk, None)
    assert complaint.complainant == complaint.customer.name
    # Acknowledged the same day; three working days over the weekend: Wednesday.
    assert complaint.acknowledge_due_on == dt.date(2026, 11, 20)
    assert complaint.resolve_due_on == dt.date(2026, 11, 25)
    assert _steps(complaint) == [("receive", "", S.RECEIVED, clerk.pk)]
    step = complaint.steps.get()
    assert step.at == FRIDAY
    assert "来电 · 维修质量 · 一般:保养后发动机异响" in step.note


@pytest.mark.parametrize(
    ("received", "severity", "due"),
    [
        # Friday: general 3 working days → Wednesday; serious 1 → Monday.
        (dt.date(2026, 11, 20), Severity.GENERAL, dt.date(2026, 11, 25)),
        (dt.date(2026, 11, 20), Severity.SERIOUS, dt.date(2026, 11, 23)),
        # Received on a Sunday: the working days count from Monday on.
        (dt.date(2026, 11, 22), Severity.GENERAL, dt.date(2026, 11, 25)),
        (dt.date(2026, 11, 22), Severity.SERIOUS, dt.date(2026, 11, 23)),
        # The day before National Day: Oct 1–7 off; Saturday Oct 10 is a 调休 working day.
        (dt.date(2026, 9, 30), Severity.GENERAL, dt.date(2026, 10, 10)),
        (dt.date(2026, 9, 30), Severity.SERIOUS, dt.date(2026, 10, 8)),
    ],
)
def test_the_resolve_deadline_counts_working_days_by_severity(received, severity, due):
    with time_machine.travel(local_datetime(received, 11), tick=False):
        complaint = new_complaint(severity=severity)

    assert complaint.acknowledge_due_on == received
    assert complaint.resolve_due_on == due


def test_the_deadlines_follow_the_settings():
    from apps.complaints.models import ComplaintSettings
    from apps.core.selectors import settings_row_for_edit
    from apps.core.settings import forget_cached

    row = settings_row_for_edit(ComplaintSettings)
    row.complaint_resolve_days, row.complaint_serious_resolve_days = 5, 2
    row.save()
    forget_cached()
    with time_machine.travel(FRIDAY, tick=False):
        general = new_complaint()
        serious = new_complaint(severity=Severity.SERIOUS)

    assert (general.resolve_due_on, serious.resolve_due_on) == (
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 24),
    )


@time_machine.travel(FRIDAY, tick=False)
def test_receiving_refuses_what_is_missing_in_chinese():
    customer = VehicleFactory().owner
    other = VehicleFactory()
    with pytest.raises(ValidationError) as refused:
        new_complaint(customer=customer, description="  ", vehicle=other)
    assert refused.value.message_dict == {
        "description": ["请填写投诉内容。"],
        "vehicle": ["这辆车不属于该客户。"],
    }
    with pytest.raises(ValidationError) as refused:
        new_complaint(customer=customer, channel=Channel.MAKER_HOTLINE)
    assert refused.value.messages == ["厂家 400 热线转来的投诉请填写厂家要求的完成时间。"]
    with pytest.raises(ValidationError) as refused:
        new_complaint(by=person("advisor"), customer=customer)
    assert refused.value.messages == ["您没有“登记投诉”的权限。"]
    assert not Complaint.objects.exists()


@time_machine.travel(FRIDAY, tick=False)
def test_a_complaint_raised_on_a_callback_takes_its_vehicle_work_order_and_channel():
    callback = callback_3dc()

    complaint = new_complaint(by=person("callback"), source_callback=callback)

    assert complaint.channel == Channel.CALLBACK
    assert (complaint.customer, complaint.vehicle, complaint.work_order) == (
        callback.customer,
        callback.vehicle,
        callback.work_order,
    )
    with pytest.raises(ValidationError) as refused:
        new_complaint(customer=VehicleFactory().owner, source_callback=callback)
    assert refused.value.message_dict == {"customer": ["来源回访不是这位客户的。"]}


# --- the moves ---------------------------------------------------------------------------------


@time_machine.travel(FRIDAY, tick=False)
def test_the_whole_loop_records_who_when_and_what_and_schedules_the_second_callback():
    worker, manager = person("complaint"), person("manager")
    callback = callback_3dc()
    complaint = new_complaint(by=person("callback"), source_callback=callback)

    for name in PATH[S.CLOSED]:
        walk(complaint, name, worker=worker, manager=manager)

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == S.CLOSED
    assert complaint.owner == worker  # the one who judged it valid
    assert (complaint.acknowledged_at, complaint.approved_at, complaint.resolved_at) == (
        FRIDAY,
        FRIDAY,
        FRIDAY,
    )
    assert complaint.closed_at == FRIDAY
    assert (complaint.approved_by, complaint.customer_signature) == (manager, "王先生")
    assert (complaint.cause, complaint.department, complaint.responsible_person) == (
        "机油加注过量",
        "workshop",
        "李技师",
    )
    assert complaint.evaluation == "客户满意"
    assert [step[:3] for step in _steps(complaint)] == [
        ("receive", "", S.RECEIVED),
        ("judge_valid", S.RECEIVED, S.INVESTIGATING),
        ("propose", S.INVESTIGATING, S.PROPOSED),
        ("approve", S.PROPOSED, S.APPROVED),
        ("resolve", S.APPROVED, S.RESOLVED),
        ("second_satisfied", S.RESOLVED, S.CLOSED),
    ]
    assert [step[3] for step in _steps(complaint)][1:] == [worker.pk, worker.pk, manager.pk] + [
        worker.pk
    ] * 2
    # The second callback: a child of the callback the complaint came from, opening the day
    # after the resolution and due within the callback settings' days (3).
    second = complaint.second_callback
    assert (second.kind, second.parent, second.customer) == (
        Callback.Kind.SECOND,
        callback,
        callback.customer,
    )
    assert (second.event_on, second.opens_on, second.due_on) == (
        dt.date(2026, 11, 20),
        dt.date(2026, 11, 21),
        dt.date(2026, 11, 23),
    )
    resolve_step = complaint.steps.get(transition="resolve")
    assert (
        resolve_step.note == "处理结果:已重新保养;客户签字:王先生;已安排二次回访(截止 2026-11-23)"
    )


@time_machine.travel(FRIDAY, tick=False)
def test_a_complaint_not_from_a_callback_has_no_callback_row_the_supervisor_calls_back():
    complaint = complaint_in_state(S.RESOLVED)

    assert complaint.second_callback is None
    assert not Callback.objects.filter(kind=Callback.Kind.SECOND).exists()


@time_machine.travel(FRIDAY, tick=False)
def test_not_valid_is_explained_and_closed_at_once():
    worker = person("complaint")
    complaint = new_complaint(by=worker)

    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, name="judge_invalid", by=worker)
    assert refused.value.message_dict == {"note": ["“判定不成立”必须填写向客户的解释。"]}

    services.complaint_transition(
        complaint=complaint, name="judge_invalid", by=worker, note="车辆已过保,已向客户说明"
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.invalid_reason, complaint.closed_at) == (
        S.INVALID,
        "车辆已过保,已向客户说明",
        FRIDAY,
    )
    assert not complaint.is_open


@time_machine.travel(FRIDAY, tick=False)
def test_the_manager_returns_a_solution_and_an_unhappy_second_callback_reopens_it():
    worker, manager = person("complaint"), person("manager")
    complaint = complaint_in_state(S.PROPOSED, worker=worker, manager=manager)

    services.complaint_transition(
        complaint=complaint, name="reject_solution", by=manager, note="补偿不足"
    )
    assert complaint.status == S.INVESTIGATING
    for name in ("propose", "approve", "resolve"):
        walk(complaint, name, worker=worker, manager=manager)
    services.complaint_transition(
        complaint=complaint, name="second_unsatisfied", by=worker, note="异响仍在"
    )

    complaint.refresh_from_db()
    assert complaint.status == S.INVESTIGATING
    notes = dict(complaint.steps.values_list("transition", "note"))
    assert (notes["reject_solution"], notes["second_unsatisfied"]) == ("补偿不足", "异响仍在")


@pytest.mark.parametrize("status", [s for s in S if s not in Complaint.FINISHED])
@time_machine.travel(FRIDAY, tick=False)
def test_the_manager_closes_any_open_complaint_only_with_a_written_reason(status):
    manager = person("manager")
    complaint = complaint_in_state(status, manager=manager)

    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, name="manager_close", by=manager)
    assert refused.value.message_dict == {"note": ["“经理关闭”必须填写关闭理由。"]}
    services.complaint_transition(
        complaint=complaint, name="manager_close", by=manager, note="客户已撤诉"
    )

    complaint.refresh_from_db()
    assert (complaint.status, complaint.closed_by_manager, complaint.evaluation) == (
        S.CLOSED,
        True,
        "客户已撤诉",
    )


def _attempt(complaint, name, by):
    if name in ("propose", "resolve", "second_satisfied"):
        manager = by
        return walk(complaint, name, worker=by, manager=manager)
    return services.complaint_transition(complaint=complaint, name=name, by=by, note="说明")


# Who may make each move: the complaint supervisor works them, the manager approves,
# returns and closes; the callback clerk only receives.
MAY = {
    "judge_valid": "complaint",
    "judge_invalid": "complaint",
    "propose": "complaint",
    "approve": "manager",
    "reject_solution": "manager",
    "resolve": "complaint",
    "second_satisfied": "complaint",
    "second_unsatisfied": "complaint",
    "manager_close": "manager",
}


@pytest.mark.parametrize("name", list(transitions.TRANSITIONS))
@pytest.mark.parametrize("status", list(S))
@time_machine.travel(FRIDAY, tick=False)
def test_each_move_goes_only_from_its_states_for_its_role(name, status):
    transition = transitions.TRANSITIONS[name]
    complaint = complaint_in_state(status)
    before = _steps(complaint)

    for role in ("callback", "complaint", "manager"):
        user = person(role)
        complaint = Complaint.objects.get(pk=complaint.pk)
        if role != MAY[name]:
            with pytest.raises(ValidationError) as refused:
                _attempt(complaint, name, user)
            assert refused.value.messages == [f"您没有“{transition.label}”的权限。"]
            continue
        if status in transition.sources:
            step = _attempt(complaint, name, user)
            assert (step.from_status, step.to_status, step.by) == (
                status,
                transition.target,
                user,
            )
            assert Complaint.objects.get(pk=complaint.pk).status == transition.target
        else:
            with pytest.raises(ValidationError) as refused:
                _attempt(complaint, name, user)
            assert refused.value.messages == [
                f"投诉当前为“{S(status).label}”,不能“{transition.label}”。"
            ]
            assert _steps(complaint) == before


@time_machine.travel(FRIDAY, tick=False)
def test_a_move_on_a_complaint_someone_else_moved_first_changes_nothing():
    worker = person("complaint")
    complaint = new_complaint(by=worker)
    seen = Complaint.objects.get(pk=complaint.pk)
    services.complaint_transition(complaint=complaint, name="judge_valid", by=worker)

    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=seen, name="judge_invalid", by=worker, note="x")
    assert refused.value.messages == ["投诉状态已被他人更新(当前:调查中),请刷新后再操作。"]
    assert Complaint.objects.get(pk=complaint.pk).status == S.INVESTIGATING


@time_machine.travel(FRIDAY, tick=False)
def test_the_forms_of_the_moves_refuse_empty_fields_in_chinese():
    worker, manager = person("complaint"), person("manager")
    complaint = complaint_in_state(S.INVESTIGATING, worker=worker)
    with pytest.raises(ValidationError) as refused:
        services.complaint_propose(
            complaint=complaint,
            by=worker,
            cause=" ",
            department="",
            responsible_person="",
            solution="",
        )
    assert refused.value.message_dict == {
        "cause": ["请填写投诉原因。"],
        "department": ["请选择责任部门。"],
        "solution": ["请填写处理方案。"],
    }
    walk(complaint, "propose", worker=worker, manager=manager)
    walk(complaint, "approve", worker=worker, manager=manager)
    with pytest.raises(ValidationError) as refused:
        services.complaint_resolve(
            complaint=complaint, by=worker, action_taken="", customer_signature=""
        )
    assert refused.value.message_dict == {
        "action_taken": ["请填写处理结果。"],
        "customer_signature": ["请填写签字确认的客户姓名。"],
    }
    walk(complaint, "resolve", worker=worker, manager=manager)
    with pytest.raises(ValidationError) as refused:
        services.complaint_close_satisfied(complaint=complaint, by=worker, evaluation=" ")
    # No linked second callback (received by phone): the close records the clerk's call.
    assert refused.value.message_dict == {
        "evaluation": ["请填写结案评价。"],
        "called_at": ["请填写二次回访的时间(客服回访客户的日期和时间)。"],
        "customer_satisfied": [
            "只有二次回访中客户表示满意才能以“客户满意”结案;客户仍不满意请选择"
            "“二次回访:客户仍不满意”。"
        ],
    }
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, name="resolve", by=worker)
    assert refused.value.messages == ["“方案已执行,客户签字确认”请在对应的表单中办理。"]


# --- overdue -----------------------------------------------------------------------------------


def _overdue_numbers(today) -> set[str]:
    return set(
        Complaint.objects.filter(selectors.overdue_q(today)).values_list("number", flat=True)
    )


def test_overdue_flags_the_missed_acknowledgement_and_the_missed_resolution():
    worker, manager = person("complaint"), person("manager")
    with time_machine.travel(FRIDAY, tick=False):
        waiting = new_complaint(by=worker)  # not judged: acknowledgement due today
        serious = complaint_in_state(S.INVESTIGATING, worker=worker, severity=Severity.SERIOUS)
        general = complaint_in_state(S.APPROVED, worker=worker, manager=manager)
        resolved = complaint_in_state(S.RESOLVED, worker=worker, manager=manager)
    friday, saturday = dt.date(2026, 11, 20), dt.date(2026, 11, 21)
    monday, tuesday, thursday = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 26)

    assert _overdue_numbers(friday) == set()
    assert _overdue_numbers(saturday) == {waiting.number}
    assert waiting.acknowledge_overdue(saturday) and not waiting.resolve_overdue(saturday)
    assert _overdue_numbers(monday) == {waiting.number}  # serious is due on Monday
    assert _overdue_numbers(tuesday) == {waiting.number, serious.number}
    assert _overdue_numbers(thursday) == {waiting.number, serious.number, general.number}
    assert not resolved.overdue(thursday)
    assert serious.overdue(tuesday) and not serious.acknowledge_overdue(tuesday)
    # The handler's: their own and the unassigned (not judged yet), earliest deadline first.
    assert [c.number for c in selectors.overdue_complaints(today=thursday, owner=worker)] == [
        serious.number,
        waiting.number,
        general.number,
    ]
    assert selectors.overdue_complaints(today=thursday, owner=person("complaint")) == [waiting]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_supervisors_judging_at_once_judge_once():
    import threading

    from django.db import connection

    worker = person("complaint")
    with time_machine.travel(FRIDAY, tick=False):
        complaint = new_complaint(by=worker)
    # Both load the complaint as received (what each one's page showed), then press.
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]
    names = ["judge_valid", "judge_invalid"]
    barrier = threading.Barrier(2)
    outcomes = []

    def press(copy, name):
        try:
            barrier.wait()
            services.complaint_transition(complaint=copy, name=name, by=worker, note="说明")
            outcomes.append(name)
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(copies, names, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    status = Complaint.objects.get(pk=complaint.pk).status
    winner = "judge_valid" if status == S.INVESTIGATING else "judge_invalid"
    assert sorted(outcomes) == sorted(
        [winner, f"投诉状态已被他人更新(当前:{S(status).label}),请刷新后再操作。"]
    )
    assert [step[0] for step in _steps(complaint)] == ["receive", winner]
