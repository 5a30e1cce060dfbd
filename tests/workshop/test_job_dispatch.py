"""job_dispatch, job_reassign, work_order_undispatch, job_cancel (workshop/services_dispatch.py):
dispatch by skill (refused, or confirmed and recorded), unapproved and taken lines refused,
the order's moves (dispatch when the last labour line gets a job, undispatch with the
reason), reassignment with a reason kept in JobAssignment rows."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.workorders import services
from apps.workorders.models import LineStatus, StatusChange, WorkOrder, WorkOrderLine
from apps.workshop import services_dispatch
from apps.workshop.models import Job, JobAssignment, JobLine
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import LabourOperationFactory, flow_user, order_in_state
from tests.factories.workshop import (
    BayFactory,
    TechnicianFactory,
    dispatched_order,
    labour_lines,
    skill,
    supervisor,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status


def _labour(description: str, hours: str, operation=None) -> services.NewLine:
    return services.NewLine(
        kind=WorkOrderLine.Kind.LABOUR,
        description=description,
        quantity=Decimal(hours),
        unit_price=Decimal("200.00"),
        labour_operation=operation,
    )


def _part() -> services.NewLine:
    return services.NewLine(
        kind=WorkOrderLine.Kind.PART,
        description="刹车片",
        quantity=Decimal(1),
        unit_price=Decimal("400.00"),
    )


def _brake_operation():
    """A labour operation that needs 机修 (Skill.operations)."""
    operation = LabourOperationFactory(name="更换刹车片(前)", standard_hours=Decimal("1.2"))
    skill("mechanical").operations.add(operation)
    return operation


@time_machine.travel(NOW, tick=False)
def test_dispatching_every_labour_line_moves_the_order_to_dispatched():
    boss = supervisor()
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2"), _part()])
    technician, bay = TechnicianFactory(), BayFactory()

    job = services_dispatch.job_dispatch(
        work_order=order, lines=labour_lines(order), technician=technician, bay=bay, by=boss
    )

    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    change = StatusChange.objects.get(work_order=order, transition="dispatch")
    assert change.by == boss
    assert job.technician == technician
    assert job.team == technician.team
    assert job.bay == bay
    assert job.status == Job.Status.ASSIGNED
    assert job.standard_hours == Decimal("1.20")
    assert job.assigned_at == NOW
    assert [line.description for line in job.lines.all()] == ["换刹车片"]
    [assignment] = JobAssignment.objects.filter(job=job)
    assert (assignment.technician, assignment.bay, assignment.by, assignment.reason) == (
        technician,
        bay,
        boss,
        "",
    )


@time_machine.travel(NOW, tick=False)
def test_a_partly_dispatched_order_stays_approved_until_its_last_labour_line_has_a_job():
    boss = supervisor()
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2"), _labour("四轮定位", "1")])
    first, second = labour_lines(order)

    services_dispatch.job_dispatch(
        work_order=order, lines=[first], technician=TechnicianFactory(), bay=None, by=boss
    )
    order.refresh_from_db()
    assert order.status == S.APPROVED

    services_dispatch.job_dispatch(
        work_order=order, lines=[second], technician=TechnicianFactory(), bay=None, by=boss
    )
    order.refresh_from_db()
    assert order.status == S.DISPATCHED


@time_machine.travel(NOW, tick=False)
def test_an_order_without_labour_lines_is_dispatched_as_one_job_of_all_its_lines():
    order = order_in_state(S.APPROVED, lines=[_part()])
    lines = list(order.lines.all())

    job = services_dispatch.job_dispatch(
        work_order=order, lines=lines, technician=TechnicianFactory(), bay=None, by=supervisor()
    )

    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert job.standard_hours == 0


@time_machine.travel(NOW, tick=False)
def test_a_technician_without_the_jobs_skill_is_refused_and_nothing_is_written():
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2", _brake_operation())])
    electrician = TechnicianFactory(skills=["electrical"])

    with pytest.raises(services_dispatch.SkillMismatch) as refused:
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=electrician,
            bay=None,
            by=supervisor(),
        )

    assert refused.value.messages[0] == f"技师{electrician}没有“机修”技能。"
    assert "技能不符,仍然派工" in refused.value.messages[-1]
    assert not Job.objects.exists()
    order.refresh_from_db()
    assert order.status == S.APPROVED


@time_machine.travel(NOW, tick=False)
def test_a_technician_with_the_skill_gets_the_job_and_the_job_keeps_the_skill():
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2", _brake_operation())])
    mechanic = TechnicianFactory(skills=["maintenance", "mechanical"])

    job = services_dispatch.job_dispatch(
        work_order=order, lines=labour_lines(order), technician=mechanic, bay=None, by=supervisor()
    )

    assert job.skill == skill("mechanical")
    assert JobAssignment.objects.get(job=job).reason == ""


@time_machine.travel(NOW, tick=False)
def test_a_confirmed_skill_mismatch_is_dispatched_and_recorded_on_the_assignment():
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2", _brake_operation())])
    electrician = TechnicianFactory(skills=["electrical"])

    job = services_dispatch.job_dispatch(
        work_order=order,
        lines=labour_lines(order),
        technician=electrician,
        bay=None,
        by=supervisor(),
        confirm_mismatch=True,
    )

    assert JobAssignment.objects.get(job=job).reason == (
        f"技能不符,主任确认派工:技师{electrician}没有“机修”技能。"
    )


@time_machine.travel(NOW, tick=False)
def test_a_bay_kept_for_another_kind_of_work_is_refused_unless_confirmed():
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2", _brake_operation())])
    mechanic = TechnicianFactory(skills=["mechanical"])
    paint_booth = BayFactory(code="P1", name="烤漆房", skill=skill("paint"))

    with pytest.raises(services_dispatch.SkillMismatch) as refused:
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=mechanic,
            bay=paint_booth,
            by=supervisor(),
        )

    assert refused.value.messages[0] == "工位P1为“喷漆”专用,本作业为“机修”。"
    assert not Job.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_supervisor_may_name_the_skill_of_a_line_typed_by_hand():
    order = order_in_state(S.APPROVED, lines=[_labour("底盘异响检查", "1")])
    mechanic = TechnicianFactory(skills=["mechanical"])

    with pytest.raises(services_dispatch.SkillMismatch):
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=mechanic,
            bay=None,
            by=supervisor(),
            skill=skill("diagnosis"),
        )
    job = services_dispatch.job_dispatch(
        work_order=order,
        lines=labour_lines(order),
        technician=mechanic,
        bay=None,
        by=supervisor(),
        skill=skill("mechanical"),
    )

    assert job.skill == skill("mechanical")


@time_machine.travel(NOW, tick=False)
def test_the_inferred_skill_is_the_one_with_the_most_hours():
    tyre = LabourOperationFactory(standard_hours=Decimal("1.0"))
    skill("tyre").operations.add(tyre)
    lines = [
        WorkOrderLine(kind="labour", quantity=Decimal("1.2"), labour_operation=_brake_operation()),
        WorkOrderLine(kind="labour", quantity=Decimal("1.0"), labour_operation=tyre),
        WorkOrderLine(kind="labour", quantity=Decimal("0.5"), labour_operation=tyre),
        WorkOrderLine(kind="part", quantity=Decimal("9"), labour_operation=None),
    ]

    assert services_dispatch.required_skill(lines) == skill("tyre")
    assert services_dispatch.required_skill(lines[:1]) == skill("mechanical")
    assert services_dispatch.required_skill(lines[3:]) is None


@time_machine.travel(NOW, tick=False)
def test_a_line_not_approved_by_the_customer_is_refused():
    by = flow_user()
    order = order_in_state(
        S.APPROVED, by=by, lines=[_labour("换刹车片", "1.2"), _part()], declined=1
    )
    [added] = services.work_order_add_lines(work_order=order, by=by, lines=[_labour("补胎", "0.5")])
    declined = order.lines.get(status=LineStatus.DECLINED)

    with pytest.raises(ValidationError) as refused:
        services_dispatch.job_dispatch(
            work_order=order,
            lines=[added, declined],
            technician=TechnicianFactory(),
            bay=None,
            by=supervisor(),
        )

    assert refused.value.message_dict["lines"] == [
        "客户未同意“刹车片”,不能派工。",
        "“补胎”尚未经客户确认,不能派工。",
    ]
    assert not Job.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_line_already_in_a_live_job_is_refused_naming_the_technician():
    order, job = dispatched_order(lines=[_labour("换刹车片", "1.2"), _labour("四轮定位", "1")])

    with pytest.raises(ValidationError) as refused:
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order)[:1],
            technician=TechnicianFactory(),
            bay=None,
            by=supervisor(),
        )

    assert refused.value.message_dict["lines"] == [
        f"“换刹车片”已派给{job.technician}(作业 {job.pk}),请刷新派工看板。"
    ]
    assert Job.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_database_refuses_a_second_live_job_for_a_line_whoever_writes_it():
    order, job = dispatched_order()
    other = Job.objects.create(
        work_order=order,
        team=job.team,
        technician=job.technician,
        assigned_by=job.assigned_by,
        assigned_at=NOW,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        JobLine.objects.create(job=other, line=job.lines.first())


@time_machine.travel(NOW, tick=False)
def test_a_user_without_the_dispatch_permission_is_refused(user_with_role):
    order = order_in_state(S.APPROVED)

    with pytest.raises(ValidationError, match="没有“派工”的权限"):
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=TechnicianFactory(),
            bay=None,
            by=user_with_role("advisor"),
        )
    assert not Job.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_draft_order_cannot_be_dispatched():
    order = order_in_state(S.DRAFT)

    with pytest.raises(ValidationError, match="工单当前为“草稿”,不能派工"):
        services_dispatch.job_dispatch(
            work_order=order,
            lines=list(order.lines.all()),
            technician=TechnicianFactory(),
            bay=None,
            by=supervisor(),
        )


@time_machine.travel(NOW, tick=False)
def test_an_added_item_approved_on_the_floor_gets_its_own_job_and_the_order_stays_in_progress():
    by = flow_user()
    order = order_in_state(S.IN_PROGRESS, by=by)
    [added] = services.work_order_add_lines(work_order=order, by=by, lines=[_labour("补胎", "0.5")])
    services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions={added.pk: True},
        decline_reasons={},
        method="phone",
        customer_name="王先生",
        phone_number="13912345678",
    )

    job = services_dispatch.job_dispatch(
        work_order=order, lines=[added], technician=TechnicianFactory(), bay=None, by=supervisor()
    )

    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert job.standard_hours == Decimal("0.50")


@time_machine.travel(NOW, tick=False)
def test_a_disabled_technician_or_bay_is_refused():
    order = order_in_state(S.APPROVED)
    absent = TechnicianFactory(active=False)
    closed = BayFactory(active=False)

    with pytest.raises(ValidationError, match="不在岗"):
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=absent,
            bay=None,
            by=supervisor(),
        )
    with pytest.raises(ValidationError, match="已停用"):
        services_dispatch.job_dispatch(
            work_order=order,
            lines=labour_lines(order),
            technician=TechnicianFactory(),
            bay=closed,
            by=supervisor(),
        )


# --- reassign -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_reassignment_moves_the_job_and_keeps_each_assignment_with_its_reason():
    boss = supervisor()
    first = TechnicianFactory()
    order, job = dispatched_order(technician=first, by=boss)
    second, bay = TechnicianFactory(), BayFactory()

    with time_machine.travel(NOW + dt.timedelta(minutes=20), tick=False):
        services_dispatch.job_reassign(
            job=job, technician=second, bay=bay, by=boss, reason="张师傅临时请假"
        )

    job.refresh_from_db()
    assert (job.technician, job.team, job.bay) == (second, second.team, bay)
    rows = list(JobAssignment.objects.filter(job=job).values_list("technician", "reason", "at"))
    assert rows == [
        (first.pk, "", NOW),
        (second.pk, "张师傅临时请假", NOW + dt.timedelta(minutes=20)),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_reassignment_needs_a_reason_and_changes_nothing_without_one():
    order, job = dispatched_order()
    before = job.technician

    with pytest.raises(ValidationError) as refused:
        services_dispatch.job_reassign(
            job=job, technician=TechnicianFactory(), bay=None, by=supervisor(), reason="  "
        )

    assert refused.value.message_dict == {"reason": ["改派必须填写原因。"]}
    job.refresh_from_db()
    assert job.technician == before
    assert JobAssignment.objects.filter(job=job).count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_job_being_worked_on_cannot_be_reassigned():
    order, job = dispatched_order()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.IN_PROGRESS)

    with pytest.raises(ValidationError, match="请技师先暂停后再改派"):
        services_dispatch.job_reassign(
            job=job, technician=TechnicianFactory(), bay=None, by=supervisor(), reason="换人"
        )


@time_machine.travel(NOW, tick=False)
def test_a_reassignment_checks_the_skill_too():
    mechanic = TechnicianFactory(skills=["mechanical"])
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2", _brake_operation())])
    order, job = dispatched_order(order=order, technician=mechanic)
    painter = TechnicianFactory(skills=["paint"])

    with pytest.raises(services_dispatch.SkillMismatch):
        services_dispatch.job_reassign(
            job=job, technician=painter, bay=None, by=supervisor(), reason="换人"
        )
    services_dispatch.job_reassign(
        job=job, technician=painter, bay=None, by=supervisor(), reason="换人", confirm_mismatch=True
    )

    assert JobAssignment.objects.filter(job=job).last().reason == (
        f"换人;技能不符,主任确认派工:技师{painter}没有“机修”技能。"
    )


# --- undispatch -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_undispatch_cancels_the_jobs_frees_the_lines_and_moves_the_order_back_with_the_reason():
    boss = supervisor()
    order, job = dispatched_order(by=boss)

    services_dispatch.work_order_undispatch(work_order=order, by=boss, reason="客户要求改天修")

    order.refresh_from_db()
    job.refresh_from_db()
    assert order.status == S.APPROVED
    change = StatusChange.objects.get(work_order=order, transition="undispatch")
    assert change.reason == "客户要求改天修"
    assert (job.status, job.cancel_reason) == (Job.Status.CANCELLED, "客户要求改天修")
    assert not JobLine.objects.filter(job=job, active=True).exists()
    # the lines are free: dispatched again
    again = services_dispatch.job_dispatch(
        work_order=order,
        lines=labour_lines(order),
        technician=TechnicianFactory(),
        bay=None,
        by=boss,
    )
    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert again.pk != job.pk


@time_machine.travel(NOW, tick=False)
def test_undispatch_needs_a_reason_and_refuses_once_work_started():
    order, job = dispatched_order()

    with pytest.raises(ValidationError, match="必须填写原因"):
        services_dispatch.work_order_undispatch(work_order=order, by=supervisor(), reason="")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.PAUSED)
    with pytest.raises(ValidationError, match="已有作业开工,不能撤销派工"):
        services_dispatch.work_order_undispatch(work_order=order, by=supervisor(), reason="改期")

    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert JobLine.objects.filter(job=job, active=True).count() == 2


@time_machine.travel(NOW, tick=False)
def test_cancelling_one_job_of_a_dispatched_order_moves_it_back_to_approved():
    boss = supervisor()
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片", "1.2"), _labour("四轮定位", "1")])
    first, second = labour_lines(order)
    job = services_dispatch.job_dispatch(
        work_order=order, lines=[first], technician=TechnicianFactory(), bay=None, by=boss
    )
    services_dispatch.job_dispatch(
        work_order=order, lines=[second], technician=TechnicianFactory(), bay=None, by=boss
    )

    services_dispatch.job_cancel(job=job, by=boss, reason="派错人")

    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert StatusChange.objects.get(work_order=order, transition="undispatch").reason == "派错人"
    assert list(services_dispatch.uncovered_lines(order)) == [first]
