"""The checks after the work (services_floor.team_check / final_check / work_order_wash_done
/ work_order_release / work_order_self_check): each passes and fails, a failure sends the
failing job back as rework with the reason and the loop comes round again; who may check;
the wash step on and off; the order's lines QC-passed by the final check."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.workorders import services as work_orders
from apps.workorders.models import LineStatus, StatusChange, WorkOrder, WorkOrderLine
from apps.workshop import services_floor as floor
from apps.workshop.models import Check, CheckItem, Job
from tests.workshop.floor import (
    all_ticked,
    at,
    dispatched_order,
    job_for,
    role_user,
    set_wash_step,
    team,
    technician,
)

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
J = Job.Status
K = CheckItem.Kind


def _finished(order, tech, **job_kwargs) -> Job:
    job = job_for(order, tech, **job_kwargs)
    floor.job_start(job=job, by=tech.user)
    floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))
    return job


@pytest.fixture
def crew():
    """A team with its lead, one technician of it, a QC inspector."""
    lead = role_user("technician", display_name="张组长")
    tech = technician(team_=team("机修一组", lead=lead), display_name="王师傅")
    return {"lead": lead, "tech": tech, "qc": role_user("qc", display_name="冯质检")}


@pytest.fixture
def self_checked(crew):
    with time_machine.travel(at(9), tick=False):
        order = dispatched_order()
        job = _finished(order, crew["tech"])
    order.refresh_from_db()
    assert order.status == S.SELF_CHECKED
    return order, job


def _moves(order) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(work_order=order)
        .order_by("at", "id")
        .values_list("transition", "reason")
    )


@time_machine.travel(at(11), tick=False)
def test_the_team_lead_passes_the_check_and_the_order_is_team_checked(crew, self_checked):
    order, _job = self_checked

    (check,) = floor.team_check(
        work_order=order, by=crew["lead"], answers=all_ticked(K.TEAM, order=order), passed=True
    )

    order.refresh_from_db()
    assert order.status == S.TEAM_CHECKED
    assert (check.kind, check.passed, check.job, check.by) == (K.TEAM, True, None, crew["lead"])
    assert all(row["ok"] for row in check.answers)
    assert len(check.answers) == len(floor.checklist(K.TEAM, floor.order_skill_ids(order)))


@time_machine.travel(at(11), tick=False)
def test_a_failed_team_check_sends_the_job_back_as_rework_with_the_reason(crew, self_checked):
    order, job = self_checked

    (check,) = floor.team_check(
        work_order=order,
        by=crew["lead"],
        answers=floor.Answers(ok=frozenset()),
        passed=False,
        reason="放油螺栓力矩不足",
    )

    order.refresh_from_db()
    job.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert _moves(order)[-1] == ("rework", "班组长检验不合格:放油螺栓力矩不足")
    assert (check.passed, check.job, check.reason) == (False, job, "放油螺栓力矩不足")
    assert (job.status, job.is_rework, job.finished_at) == (J.ASSIGNED, True, None)


@time_machine.travel(at(11), tick=False)
def test_a_check_refuses_a_pass_with_an_item_not_ticked_and_a_failure_without_a_reason(
    crew, self_checked
):
    order, _job = self_checked
    every = all_ticked(K.TEAM, order=order)

    with pytest.raises(ValidationError) as unticked:
        floor.team_check(
            work_order=order,
            by=crew["lead"],
            answers=floor.Answers(ok=every.ok - {min(every.ok)}),
            passed=True,
        )
    with pytest.raises(ValidationError) as no_reason:
        floor.team_check(
            work_order=order, by=crew["lead"], answers=every, passed=False, reason="  "
        )

    assert unticked.value.messages[0].startswith("还有检查项未勾选合格:")
    assert no_reason.value.message_dict == {"reason": ["不合格须填写原因(返工内容)。"]}
    order.refresh_from_db()
    assert order.status == S.SELF_CHECKED
    assert not Check.objects.filter(kind=K.TEAM).exists()


@time_machine.travel(at(11), tick=False)
def test_only_a_lead_of_the_orders_teams_or_the_supervisor_checks(crew, self_checked):
    order, _job = self_checked
    other_lead = role_user("technician")
    team("钣金组", lead=other_lead)
    answers = all_ticked(K.TEAM, order=order)

    with pytest.raises(ValidationError) as not_the_lead:
        floor.team_check(work_order=order, by=other_lead, answers=answers, passed=True)
    with pytest.raises(ValidationError) as a_technician:
        floor.team_check(work_order=order, by=crew["tech"].user, answers=answers, passed=True)
    with pytest.raises(ValidationError) as an_advisor:
        floor.team_check(work_order=order, by=role_user("advisor"), answers=answers, passed=True)
    floor.team_check(work_order=order, by=role_user("supervisor"), answers=answers, passed=True)

    assert not_the_lead.value.messages == ["只有该工单作业班组的班组长可以检验。"]
    assert a_technician.value.messages == ["只有该工单作业班组的班组长可以检验。"]
    assert an_advisor.value.messages == ["您没有“班组长检验”的权限。"]
    order.refresh_from_db()
    assert order.status == S.TEAM_CHECKED


@time_machine.travel(at(11), tick=False)
def test_the_final_check_passes_every_approved_line_and_waits_for_the_wash(crew, self_checked):
    order, _job = self_checked
    floor.team_check(
        work_order=order, by=crew["lead"], answers=all_ticked(K.TEAM, order=order), passed=True
    )

    (check,) = floor.final_check(
        work_order=order, by=crew["qc"], answers=all_ticked(K.FINAL, order=order), passed=True
    )

    order.refresh_from_db()
    assert order.status == S.QC_PASSED  # the wash step is on by default
    assert (check.kind, check.passed, check.by) == (K.FINAL, True, crew["qc"])
    approved = order.lines.filter(status=LineStatus.APPROVED)
    assert [line.qc_passed_by for line in approved] == [crew["qc"]] * approved.count()

    with pytest.raises(ValidationError) as unwashed:
        floor.work_order_release(work_order=order, by=crew["qc"])
    with pytest.raises(ValidationError) as not_theirs:
        floor.work_order_wash_done(work_order=order, by=technician().user)
    floor.work_order_wash_done(work_order=order, by=crew["tech"].user)
    floor.work_order_release(work_order=order, by=crew["qc"])

    assert unwashed.value.messages == ["该车还未洗车,洗车完成后才能交给服务顾问。"]
    assert not_theirs.value.messages == ["只有该工单的作业技师可以登记洗车。"]
    order.refresh_from_db()
    assert order.status == S.READY
    assert [move for move, _reason in _moves(order)][-4:] == [
        "team_check",
        "final_qc",
        "wash",
        "ready",
    ]


@time_machine.travel(at(11), tick=False)
def test_without_the_wash_step_the_final_check_hands_the_car_over_at_once(crew, self_checked):
    order, _job = self_checked
    set_wash_step(False)
    floor.team_check(
        work_order=order, by=crew["lead"], answers=all_ticked(K.TEAM, order=order), passed=True
    )

    floor.final_check(
        work_order=order, by=crew["qc"], answers=all_ticked(K.FINAL, order=order), passed=True
    )

    order.refresh_from_db()
    assert order.status == S.READY
    assert [move for move, _reason in _moves(order)][-2:] == ["final_qc", "ready"]


def test_the_rework_loop_final_qc_fails_once_and_passes_the_rework(crew):
    """Team check passed, final QC failed (back to the technician as rework), the rework
    finished and self-checked, the team check and the final QC passed."""
    tech, lead, qc = crew["tech"], crew["lead"], crew["qc"]
    with time_machine.travel(at(9), tick=False) as traveller:
        order = dispatched_order()
        job = _finished(order, tech)
        traveller.move_to(at(10))
        floor.team_check(
            work_order=order, by=lead, answers=all_ticked(K.TEAM, order=order), passed=True
        )
        traveller.move_to(at(10, 30))
        floor.final_check(
            work_order=order,
            by=qc,
            answers=floor.Answers(ok=frozenset()),
            passed=False,
            reason="仪表保养提示未复位",
        )
        order.refresh_from_db()
        reopened = Job.objects.get(pk=job.pk)
        lines_after_failure = list(order.lines.values_list("qc_passed_at", flat=True))

        traveller.move_to(at(11))
        floor.job_start(job=job, by=tech.user)
        traveller.move_to(at(11, 15))
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))
        traveller.move_to(at(11, 30))
        floor.team_check(
            work_order=order, by=lead, answers=all_ticked(K.TEAM, order=order), passed=True
        )
        floor.final_check(
            work_order=order, by=qc, answers=all_ticked(K.FINAL, order=order), passed=True
        )

    assert (order.status, reopened.status, reopened.is_rework) == (S.IN_PROGRESS, J.ASSIGNED, True)
    assert lines_after_failure == [None, None]  # rework clears the lines' QC passes
    order.refresh_from_db()
    job.refresh_from_db()
    assert order.status == S.QC_PASSED
    assert (job.status, job.is_rework, job.finished_at) == (J.FINISHED, True, at(11, 15))
    # The first pass started and finished at 09:00 on the test's clock; the rework 11:00–11:15.
    assert job.worked_seconds == 15 * 60
    assert [move for move, _reason in _moves(order)] == [
        "approve",
        "dispatch",
        "start",
        "self_check",
        "team_check",
        "rework",
        "self_check",
        "team_check",
        "final_qc",
    ]
    failed = Check.objects.get(kind=K.FINAL, passed=False)
    assert (failed.job, failed.reason, failed.by) == (job, "仪表保养提示未复位", qc)


@time_machine.travel(at(9), tick=False)
def test_a_failed_check_sends_back_only_the_jobs_chosen(crew):
    first, second = crew["tech"], technician(team_=crew["tech"].team)
    order = dispatched_order(
        lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.LABOUR, description=text, quantity=1, unit_price=180
            )
            for text in ("更换刹车片", "四轮定位")
        ]
    )
    brakes, alignment = order.lines.order_by("id")
    job_a = job_for(order, first, lines=[brakes])
    job_b = job_for(order, second, lines=[alignment])
    for job, tech in ((job_a, first), (job_b, second)):
        floor.job_start(job=job, by=tech.user)
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))
    order.refresh_from_db()

    with pytest.raises(ValidationError) as unchosen:
        floor.team_check(
            work_order=order,
            by=crew["lead"],
            answers=floor.Answers(ok=frozenset()),
            passed=False,
            reason="定位数据超差",
        )
    floor.team_check(
        work_order=order,
        by=crew["lead"],
        answers=floor.Answers(ok=frozenset()),
        passed=False,
        reason="定位数据超差",
        job_ids=[job_b.pk],
    )

    assert unchosen.value.message_dict == {"jobs": ["请选择需要返工的作业。"]}
    assert Job.objects.get(pk=job_a.pk).status == J.FINISHED
    assert Job.objects.get(pk=job_b.pk).status == J.ASSIGNED
    assert list(Check.objects.filter(passed=False).values_list("job", flat=True)) == [job_b.pk]


@time_machine.travel(at(9), tick=False)
def test_an_order_whose_last_job_finished_with_an_added_item_waiting_moves_to_self_check_later(
    crew,
):
    order = dispatched_order()
    tech = crew["tech"]
    job = job_for(order, tech)
    floor.job_start(job=job, by=tech.user)
    (added,) = work_orders.work_order_add_lines(
        work_order=order,
        by=order.advisor,
        lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.PART, description="雨刮片", quantity=2, unit_price=40
            )
        ],
    )
    floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))
    order.refresh_from_db()
    waiting = (order.status, floor.self_check_refusals(order))
    work_orders.work_order_record_approval(
        work_order=order,
        by=order.advisor,
        decisions={added.pk: False},
        method="phone",
        customer_name=order.customer.name,
        phone_number=order.customer.mobile,
    )

    with pytest.raises(ValidationError) as not_the_lead:
        floor.work_order_self_check(work_order=order, by=technician().user)
    floor.work_order_self_check(work_order=order, by=crew["lead"])

    assert waiting == (S.IN_PROGRESS, ["还有增项等待客户确认,确认或删除后再继续。"])
    assert not_the_lead.value.messages == ["只有该工单作业班组的班组长可以提交自检。"]
    order.refresh_from_db()
    assert order.status == S.SELF_CHECKED
