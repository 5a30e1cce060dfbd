"""The technician's clock on a job (services_floor.job_start / job_pause / job_resume /
job_finish): the stretches and the worked time across pause and resume with a fixed clock,
the work order moved by the first start and the last finish, the unapproved-line block, one
job at a time, the self-check that keeps a job open, another's job refused, and two
presses of 开工 at once."""

import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.workorders import services as work_orders
from apps.workorders.models import LineStatus, StatusChange, WorkOrder, WorkOrderLine
from apps.workshop import services_dispatch
from apps.workshop import services_floor as floor
from apps.workshop.models import Check, CheckItem, Job, JobClock
from tests.factories.workorders import flow_user
from tests.factories.workshop import skill
from tests.workshop.floor import all_ticked, at, dispatched_order, job_for, technician

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
J = Job.Status


def _moves(order) -> list[str]:
    return list(
        StatusChange.objects.filter(work_order=order)
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def test_the_clock_counts_the_stretches_of_work_across_a_pause_for_parts():
    with time_machine.travel(at(8, 30), tick=False) as traveller:
        order = dispatched_order()
        tech = technician()
        job = job_for(order, tech)

        traveller.move_to(at(9, 0))
        floor.job_start(job=job, by=tech.user)
        traveller.move_to(at(9, 40))
        floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.PARTS, note="等机滤")
        traveller.move_to(at(10, 10))
        floor.job_resume(job=job, by=tech.user)
        traveller.move_to(at(10, 55))
        check = floor.job_finish(
            job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job)
        )

    job.refresh_from_db()
    # 09:00–09:40 and 10:10–10:55: 40 + 45 minutes; the half hour waiting for parts is not work.
    assert job.worked_seconds == 85 * 60
    assert (job.status, job.started_at, job.finished_at) == (J.FINISHED, at(9, 0), at(10, 55))
    assert list(
        JobClock.objects.filter(job=job).values_list("started_at", "ended_at", "end_reason")
    ) == [
        (at(9, 0), at(9, 40), "parts"),
        (at(10, 10), at(10, 55), "finish"),
    ]
    assert check.passed is True
    assert check.kind == CheckItem.Kind.SELF
    assert job.standard_hours == 1  # the order's one labour line of 1.00 h
    order.refresh_from_db()
    assert order.status == S.SELF_CHECKED
    assert _moves(order)[-2:] == ["start", "self_check"]
    assert all(
        line.done_at == at(10, 55) for line in order.lines.filter(status=LineStatus.APPROVED)
    )


def test_a_paused_job_keeps_its_reason_and_note_until_it_goes_on():
    with time_machine.travel(at(9), tick=False) as traveller:
        order = dispatched_order()
        tech = technician()
        job = job_for(order, tech)
        floor.job_start(job=job, by=tech.user)
        traveller.move_to(at(9, 20))

        floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.OTHER, note="路试排队")
        paused = Job.objects.get(pk=job.pk)
        floor.job_resume(job=job, by=tech.user)

    assert (paused.status, paused.pause_reason, paused.pause_note) == (
        J.PAUSED,
        "other",
        "路试排队",
    )
    assert paused.worked_seconds == 20 * 60
    job.refresh_from_db()
    assert (job.status, job.pause_reason, job.pause_note) == (J.IN_PROGRESS, "", "")
    assert JobClock.objects.filter(job=job, ended_at__isnull=True).count() == 1


@time_machine.travel(at(9), tick=False)
def test_a_pause_for_another_reason_needs_a_note_and_a_reason_must_be_one_of_the_list():
    order = dispatched_order()
    tech = technician()
    job = job_for(order, tech)
    floor.job_start(job=job, by=tech.user)

    with pytest.raises(ValidationError) as no_note:
        floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.OTHER, note=" ")
    with pytest.raises(ValidationError) as unknown:
        floor.job_pause(job=job, by=tech.user, reason="lunch")

    assert no_note.value.message_dict == {"note": ["暂停原因为“其他”时请填写说明。"]}
    assert unknown.value.message_dict == {"reason": ["请选择暂停原因。"]}
    assert Job.objects.get(pk=job.pk).status == J.IN_PROGRESS


@time_machine.travel(at(9), tick=False)
def test_only_the_first_job_started_moves_the_order_to_in_progress():
    order = dispatched_order(
        lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.LABOUR, description=text, quantity=1, unit_price=180
            )
            for text in ("更换刹车片", "四轮定位")
        ]
    )
    brakes, alignment = order.lines.order_by("id")
    first, second = technician(), technician()
    job_a = job_for(order, first, lines=[brakes])
    job_b = job_for(order, second, lines=[alignment])

    floor.job_start(job=job_a, by=first.user)
    floor.job_start(job=job_b, by=second.user)
    floor.job_finish(job=job_a, by=first.user, answers=all_ticked(CheckItem.Kind.SELF, job=job_a))
    order.refresh_from_db()
    after_first = order.status
    floor.job_finish(job=job_b, by=second.user, answers=all_ticked(CheckItem.Kind.SELF, job=job_b))
    order.refresh_from_db()

    assert after_first == S.IN_PROGRESS  # one job of two finished: not yet 自检
    assert order.status == S.SELF_CHECKED
    assert _moves(order).count("start") == 1


@time_machine.travel(at(9), tick=False)
def test_a_job_with_an_added_item_not_yet_approved_cannot_start_and_nothing_changes():
    order = dispatched_order()
    tech = technician()
    job = job_for(order, tech)
    item = floor.proposed_item_create(job=job, by=tech.user, description="雨刮片老化")
    floor.proposed_item_add_lines(
        item=item,
        by=order.advisor,
        new_lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.LABOUR, description="更换雨刮片", quantity=1, unit_price=80
            )
        ],
    )

    with pytest.raises(ValidationError) as refused:
        floor.job_start(job=job, by=tech.user)

    assert refused.value.messages == ["增项“更换雨刮片”尚未经客户确认,不能开工。"]
    job.refresh_from_db()
    order.refresh_from_db()
    assert (job.status, job.started_at, order.status) == (J.ASSIGNED, None, S.DISPATCHED)
    assert not JobClock.objects.filter(job=job).exists()


@time_machine.travel(at(9), tick=False)
def test_a_technician_works_on_one_job_at_a_time():
    tech = technician()
    running = job_for(dispatched_order(), tech)
    waiting = job_for(dispatched_order(), tech)
    floor.job_start(job=running, by=tech.user)

    with pytest.raises(ValidationError) as refused:
        floor.job_start(job=waiting, by=tech.user)

    assert refused.value.messages == [
        f"您正在进行工单 {running.work_order.number} 的作业,请先暂停或完工再开始另一项。"
    ]
    assert Job.objects.get(pk=waiting.pk).status == J.ASSIGNED
    floor.job_pause(job=running, by=tech.user, reason=Job.PauseReason.BREAK)
    floor.job_start(job=waiting, by=tech.user)  # with the first one paused, it may start
    assert Job.objects.get(pk=waiting.pk).status == J.IN_PROGRESS


@time_machine.travel(at(9), tick=False)
def test_the_moves_refuse_a_job_in_the_wrong_state():
    tech = technician()
    job = job_for(dispatched_order(), tech)

    with pytest.raises(ValidationError) as pause:
        floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.BREAK)
    with pytest.raises(ValidationError) as resume:
        floor.job_resume(job=job, by=tech.user)
    with pytest.raises(ValidationError) as finish:
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))
    floor.job_start(job=job, by=tech.user)
    with pytest.raises(ValidationError) as again:
        floor.job_start(job=job, by=tech.user)
    floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.BREAK)
    with pytest.raises(ValidationError) as paused_finish:
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))

    assert pause.value.messages == ["作业当前为“待开工”,不能暂停。"]
    assert resume.value.messages == ["作业当前为“待开工”,不能继续作业。"]
    assert finish.value.messages == ["作业当前为“待开工”,不能完工。"]
    assert again.value.messages == ["作业当前为“作业中”,不能开工。"]
    assert paused_finish.value.messages == ["作业暂停中,请先点“继续”再完工。"]


@time_machine.travel(at(9), tick=False)
def test_a_failed_self_check_is_recorded_and_the_job_stays_in_progress_with_its_clock_running():
    order = dispatched_order()
    tech = technician()
    job = job_for(order, tech)
    floor.job_start(job=job, by=tech.user)
    every = all_ticked(CheckItem.Kind.SELF, job=job)
    first = min(every.ok)
    missing = CheckItem.objects.get(pk=first).text

    check = floor.job_finish(
        job=job, by=tech.user, answers=floor.Answers(ok=every.ok - {first}, note="油位偏低,补加中")
    )

    assert check.passed is False
    assert check.reason == f"未合格:{missing}。油位偏低,补加中"
    assert [row["ok"] for row in check.answers].count(False) == 1
    job.refresh_from_db()
    order.refresh_from_db()
    assert (job.status, job.finished_at, order.status) == (J.IN_PROGRESS, None, S.IN_PROGRESS)
    assert JobClock.objects.filter(job=job, ended_at__isnull=True).count() == 1
    assert order.lines.filter(done_at__isnull=False).count() == 0
    assert Check.objects.filter(job=job).count() == 1


@time_machine.travel(at(9), tick=False)
def test_the_self_check_follows_the_kind_of_work_the_job_was_dispatched_for():
    maintenance = job_for(dispatched_order(), technician(), skill=skill("maintenance"))
    ev = job_for(dispatched_order(), technician(skills=("ev_hv",)), skill=skill("ev_hv"))
    general_work = job_for(dispatched_order(), technician())

    general = {item.text for item in floor.checklist(CheckItem.Kind.SELF, [])}

    def texts(job):
        return {
            item.text for item in floor.checklist(CheckItem.Kind.SELF, floor.job_skill_ids(job))
        }

    assert general == {"委托项目全部完成", "更换件安装牢固,无漏装", "工具、旧件、垃圾已清出车内"}
    assert texts(maintenance) - general == {"机油、滤芯已更换,油位正确", "保养灯已复位"}
    assert texts(ev) - general == {"高压断电/上电流程按规范执行"}
    assert texts(general_work) == general


@time_machine.travel(at(9), tick=False)
def test_another_technicians_job_is_refused_and_left_as_it_was():
    owner, other = technician(), technician()
    job = job_for(dispatched_order(), owner)

    with pytest.raises(ValidationError) as start:
        floor.job_start(job=job, by=other.user)
    floor.job_start(job=job, by=owner.user)
    with pytest.raises(ValidationError) as pause:
        floor.job_pause(job=job, by=other.user, reason=Job.PauseReason.BREAK)
    with pytest.raises(ValidationError) as finish:
        floor.job_finish(job=job, by=other.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))

    for refused in (start, pause, finish):
        assert refused.value.messages == ["这不是派给您的作业。"]
    job.refresh_from_db()
    assert job.status == J.IN_PROGRESS
    assert JobClock.objects.filter(job=job).count() == 1


@time_machine.travel(at(9), tick=False)
def test_the_database_keeps_one_open_stretch_per_job():
    tech = technician()
    job = job_for(dispatched_order(), tech)
    floor.job_start(job=job, by=tech.user)

    with pytest.raises(IntegrityError), transaction.atomic():
        JobClock.objects.create(job=job, technician=tech, started_at=at(9, 5))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(at(9))
def test_two_presses_of_start_at_once_open_one_stretch_and_one_order_move():
    order = dispatched_order()
    tech = technician()
    job = job_for(order, tech)
    barrier = threading.Barrier(2)
    outcomes = []

    def press():
        try:
            barrier.wait()
            floor.job_start(job=Job.objects.get(pk=job.pk), by=tech.user)
            outcomes.append("started")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["started", "作业当前为“作业中”,不能开工。"]
    assert JobClock.objects.filter(job=job).count() == 1
    assert _moves(order).count("start") == 1


@time_machine.travel(at(9), tick=False)
def test_the_parts_dispatch_left_out_are_done_with_the_last_labour_and_the_order_self_checked():
    order = dispatched_order()  # one labour line and one part (dispatch gives out labour)
    labour = order.lines.get(kind=WorkOrderLine.Kind.LABOUR)
    part = order.lines.get(kind=WorkOrderLine.Kind.PART)
    tech = technician()
    job = job_for(order, tech, lines=[labour])
    floor.job_start(job=job, by=tech.user)

    floor.job_finish(job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))

    order.refresh_from_db()
    part.refresh_from_db()
    assert order.status == S.SELF_CHECKED
    assert (part.done_at, part.done_by) == (at(9), tech.user)


@time_machine.travel(at(9), tick=False)
def test_a_job_reassigned_since_the_page_was_loaded_is_refused_to_its_former_technician():
    former, new = technician(), technician()
    job = job_for(dispatched_order(), former)
    loaded = Job.objects.select_related("technician").get(pk=job.pk)  # the page as it was
    services_dispatch.job_reassign(
        job=job,
        technician=new,
        bay=None,
        by=flow_user(),
        reason="王师傅请假",
        confirm_mismatch=True,
    )

    with pytest.raises(ValidationError) as refused:
        floor.job_start(job=loaded, by=former.user)

    assert refused.value.messages == ["该作业已改派给其他技师,请刷新页面。"]
    assert Job.objects.get(pk=job.pk).status == J.ASSIGNED
