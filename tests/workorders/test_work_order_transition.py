"""work_order_transition: every move of the table allowed for the role that holds its
permission, refused for a role without it, refused by its guard, refused without a reason
where one is needed; two presses at once (real threads) record one move; imported orders
stay read-only."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.workorders import services
from apps.workorders.models import (
    Approval,
    LineStatus,
    OldParts,
    Payment,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)
from apps.workorders.transitions import TRANSITIONS
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import WorkOrderFactory, flow_user, order_in_state

NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status

# (transition, the state it starts from, a role holding its permission)
PLAIN_MOVES = [
    ("dispatch", S.APPROVED, "supervisor"),
    ("start", S.DISPATCHED, "technician"),
    ("self_check", S.IN_PROGRESS, "technician"),
    ("team_check", S.SELF_CHECKED, "supervisor"),
    ("final_qc", S.TEAM_CHECKED, "qc"),
    ("wash", S.QC_PASSED, "technician"),
    ("ready", S.QC_PASSED, "qc"),
    ("ready", S.WASHED, "qc"),
    ("back_to_draft", S.APPROVED, "advisor"),
    ("undispatch", S.DISPATCHED, "supervisor"),
    ("rework", S.SELF_CHECKED, "supervisor"),
    ("rework", S.TEAM_CHECKED, "qc"),
    ("rework", S.QC_PASSED, "qc"),
    ("rework", S.WASHED, "qc"),
    ("rework", S.READY, "advisor"),
    ("cancel", S.DRAFT, "advisor"),
    ("cancel", S.APPROVED, "advisor"),
    ("cancel", S.IN_PROGRESS, "advisor"),
    ("cancel", S.READY, "advisor"),
]


def _ready_for(name: str, order: WorkOrder, by) -> None:
    """What the workshop does before the move (lines done before 自检, QC'd before 终检)."""
    approved = order.lines.filter(status=LineStatus.APPROVED)
    if name == "self_check":
        for line in approved:
            services.line_mark_done(line=line, by=by)
    if name == "final_qc":
        for line in approved:
            services.line_qc_pass(line=line, by=by)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "role"), PLAIN_MOVES)
@time_machine.travel(NOW, tick=False)
def test_every_move_is_allowed_to_its_role_and_recorded(name, source, role, user_with_role):
    setup = flow_user()
    order = order_in_state(source, by=setup)
    _ready_for(name, order, setup)
    user = user_with_role(role)
    reason = "客户要求" if TRANSITIONS[name].needs_reason else ""

    change = services.work_order_transition(work_order=order, name=name, by=user, reason=reason)

    target = TRANSITIONS[name].target
    assert WorkOrder.objects.get(pk=order.pk).status == target
    assert (change.transition, change.from_status, change.to_status, change.by, change.at) == (
        name,
        source,
        target,
        user,
        NOW,
    )
    assert change.reason == reason
    assert order.status_changes.filter(by=user).count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_moves_made_by_their_own_services_are_recorded_too(user_with_role):
    advisor = user_with_role("advisor")
    # approve: the customer's approval of the estimate
    draft = order_in_state(S.DRAFT)
    services.work_order_record_approval(
        work_order=draft,
        by=advisor,
        decisions={line.pk: True for line in draft.lines.all()},
        method=Approval.Method.PHONE,
        customer_name="张伟",
        phone_number="13800000000",
    )
    # deliver and settle: the advisor's forms
    ready = order_in_state(S.READY)
    services.work_order_internal_check(work_order=ready, by=advisor, old_parts=OldParts.LEFT)
    services.work_order_deliver(work_order=ready, by=advisor, callback_told=True)
    services.work_order_settle(
        work_order=ready,
        by=advisor,
        payments=[services.NewPayment(Payment.Method.WECHAT, ready.customer_paid_amount)],
    )

    assert list(
        StatusChange.objects.filter(by=advisor)
        .order_by("id")
        .values_list("work_order", "transition", "from_status", "to_status")
    ) == [
        (draft.pk, "approve", S.DRAFT, S.APPROVED),
        (ready.pk, "deliver", S.READY, S.DELIVERED),
        (ready.pk, "settle", S.DELIVERED, S.SETTLED),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["approve", "deliver", "settle"])
@time_machine.travel(NOW, tick=False)
def test_moves_with_their_own_service_are_refused_as_a_plain_button(name):
    source = {"approve": S.DRAFT, "deliver": S.READY, "settle": S.DELIVERED}[name]
    order = order_in_state(source)

    with pytest.raises(ValidationError) as refused:
        services.work_order_transition(work_order=order, name=name, by=flow_user())

    assert refused.value.messages == [f"“{TRANSITIONS[name].label}”请在对应的表单中办理。"]
    assert WorkOrder.objects.get(pk=order.pk).status == source


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "_role"), PLAIN_MOVES)
@time_machine.travel(NOW, tick=False)
def test_every_move_is_refused_to_a_role_without_its_permission(
    name, source, _role, user_with_role
):
    setup = flow_user()
    order = order_in_state(source, by=setup)
    _ready_for(name, order, setup)
    changes = StatusChange.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.work_order_transition(
            work_order=order, name=name, by=user_with_role("callback"), reason="原因"
        )

    assert refused.value.messages == [f"您没有“{TRANSITIONS[name].label}”的权限。"]
    assert WorkOrder.objects.get(pk=order.pk).status == source
    assert StatusChange.objects.count() == changes


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_guards_refuse_and_nothing_is_written():
    by = flow_user()
    in_progress = order_in_state(S.IN_PROGRESS, by=by)
    team_checked = order_in_state(S.TEAM_CHECKED, by=by)
    WorkOrderLine.objects.filter(work_order=team_checked).update(qc_passed_at=None)
    changes = StatusChange.objects.count()

    cases = [
        (in_progress, "self_check", "还有客户已确认的项目未完工。"),
        (team_checked, "final_qc", "还有已确认的项目未完工或未通过质检。"),
    ]
    for order, name, refusal in cases:
        with pytest.raises(ValidationError) as refused:
            services.work_order_transition(work_order=order, name=name, by=by)
        assert refused.value.messages == [refusal]

    # an added item waiting for the customer blocks 自检 and 待交车
    for line in in_progress.lines.all():
        services.line_mark_done(line=line, by=by)
    services.work_order_add_lines(
        work_order=in_progress,
        by=by,
        lines=[services.NewLine(kind="part", description="空调滤", quantity=1, unit_price=80)],
    )
    with pytest.raises(ValidationError) as refused:
        services.work_order_transition(work_order=in_progress, name="self_check", by=by)
    assert refused.value.messages == ["还有增项等待客户确认,确认或删除后再继续。"]

    assert StatusChange.objects.count() == changes
    assert [
        WorkOrder.objects.get(pk=in_progress.pk).status,
        WorkOrder.objects.get(pk=team_checked.pk).status,
    ] == [S.IN_PROGRESS, S.TEAM_CHECKED]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_move_from_another_state_is_refused():
    order = order_in_state(S.DRAFT)

    with pytest.raises(ValidationError) as refused:
        services.work_order_transition(work_order=order, name="start", by=flow_user())

    assert refused.value.messages == ["工单当前为“草稿”,不能“开工”。"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("back_to_draft", S.APPROVED),
        ("undispatch", S.DISPATCHED),
        ("rework", S.READY),
        ("cancel", S.IN_PROGRESS),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_going_back_or_cancelling_without_a_reason_is_refused(name, source):
    order = order_in_state(source)
    changes = StatusChange.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.work_order_transition(work_order=order, name=name, by=flow_user(), reason="  ")

    assert refused.value.message_dict == {"reason": [f"“{TRANSITIONS[name].label}”必须填写原因。"]}
    assert WorkOrder.objects.get(pk=order.pk).status == source
    assert StatusChange.objects.count() == changes


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_delivered_order_cannot_be_cancelled():
    order = order_in_state(S.DELIVERED)

    with pytest.raises(ValidationError) as refused:
        services.work_order_cancel(work_order=order, by=flow_user(), reason="客户要求")

    assert refused.value.messages == ["工单当前为“已交车”,不能“取消工单”。"]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_imported_order_is_read_only_history():
    order = WorkOrderFactory(source=WorkOrder.Source.IMPORT, status=S.READY)

    with pytest.raises(ValidationError) as refused:
        services.work_order_cancel(work_order=order, by=flow_user(), reason="测试")

    assert refused.value.messages == ["旧系统导入的工单只作为历史记录查看,不能操作。"]
    assert StatusChange.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOW, tick=False)
def test_two_people_pressing_the_same_button_record_one_move():
    # Given an approved order that two supervisors have open on their screens
    order = order_in_state(S.APPROVED)
    supervisors = [flow_user(), flow_user()]
    barrier = threading.Barrier(2)
    won, refusals, errors = [], [], []

    def press(user):
        try:
            seen = WorkOrder.objects.get(pk=order.pk)  # each loaded the page before
            barrier.wait(timeout=10)
            won.append(services.work_order_transition(work_order=seen, name="dispatch", by=user))
        except ValidationError as error:
            refusals.append(error.messages)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # When both press 派工 at the same moment (two threads, two connections)
    threads = [threading.Thread(target=press, args=(user,)) for user in supervisors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one wins, the other is told, and one move is recorded
    assert errors == []
    assert len(won) == 1
    assert refusals == [["工单状态已被他人更新(当前:已派工),请刷新后再操作。"]]
    assert list(
        StatusChange.objects.filter(work_order=order, transition="dispatch").values_list(
            "by", flat=True
        )
    ) == [won[0].by_id]
    assert WorkOrder.objects.get(pk=order.pk).status == S.DISPATCHED
