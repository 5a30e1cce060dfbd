"""The floor after dispatch (DOMAIN.md §3; issue 9 points 5 and 6): the technician's clock
on a job (start, pause with a reason, resume, finish after the self-check), the added items
technicians propose and the advisor turns into lines or declines, and the checks after the
work (team lead, final QC, wash) that move the work order along its states.

The work order's status changes only through `workorders.services.work_order_transition`
(the first job started: `start`; every job finished: `self_check`; the checks: `team_check`,
`final_qc`, `wash`, `ready`, or `rework` with the reason). The workshop's own rows record
the detail: the job's status and clock (`JobClock`, one open stretch per job), the checks
(`Check`, one row per failing job when a check fails) and the proposals.

Every service owns its transaction, takes keyword-only arguments with `by` the acting
user, and refuses with a Chinese ValidationError. Rows are locked in one order, the work
order first, then the technician, then the job, so two services never wait on each other.
Design: docs/WORKSHOP.md.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.settings import current_settings
from apps.core.uploads import JPEG, PNG, WEBP, decoded_image
from apps.workorders import services as work_orders
from apps.workorders.models import (
    LineStatus,
    ServiceSettings,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)
from apps.workorders.transitions import NEEDS_LINES_DONE, TRANSITIONS, refusals

from .models import Check, CheckItem, Job, JobClock, JobLine, ProposedItem, Technician
from .services_dispatch import standard_hours

S = WorkOrder.Status
J = Job.Status
W = "workorders."
LIVE = (J.ASSIGNED, J.IN_PROGRESS, J.PAUSED)  # a job still to be worked on
FINISH = "finish"  # JobClock.end_reason of the stretch that ended with the job


# --- who may act ---------------------------------------------------------------------------


def _refuse_unless(user, permission: str, label: str) -> None:
    if not user.has_perm(permission):
        raise ValidationError(f"您没有“{label}”的权限。")


def is_own_job(job: Job, user) -> bool:
    """A technician acts on (and sees) only the jobs dispatched to them."""
    return job.technician.user_id == user.pk


def _own_job(job: Job, by) -> None:
    _refuse_unless(by, W + "work_workorder", "开工/完工")
    if not is_own_job(job, by):
        raise ValidationError("这不是派给您的作业。")


def leads_order(work_order: WorkOrder, user) -> bool:
    """The team lead of a team with a job on the order, or a workshop supervisor (who may
    dispatch) standing in for the lead."""
    if user.has_perm(W + "dispatch_workorder"):
        return True
    return (
        Job.objects.filter(work_order=work_order, team__lead=user)
        .exclude(status=J.CANCELLED)
        .exists()
    )


# --- locks and small reads ---------------------------------------------------------------


def _lock_order(work_order_id: int) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=work_order_id)


def _lock_job(job: Job) -> Job:
    return Job.objects.select_for_update().select_related("technician").get(pk=job.pk)


def _lock_own_job(job: Job, by) -> Job:
    """The job's row locked, still the technician's: a supervisor may have reassigned it
    since the page was loaded."""
    locked = _lock_job(job)
    if not is_own_job(locked, by):
        raise ValidationError("该作业已改派给其他技师,请刷新页面。")
    return locked


def _job_lines(job: Job) -> list[WorkOrderLine]:
    return list(
        WorkOrderLine.objects.filter(job_lines__job=job, job_lines__active=True).order_by("id")
    )


def _refuse_lines_not_approved(lines: list[WorkOrderLine]) -> None:
    """A line the customer has not approved (an added item waiting for the customer, 增项)
    blocks the job: no work on it may be recorded (DOMAIN §3)."""
    for line in lines:
        if line.status == LineStatus.PROPOSED:
            if line.is_added:
                raise ValidationError(f"增项“{line.description}”尚未经客户确认,不能开工。")
            raise ValidationError(f"“{line.description}”尚未经客户确认,不能开工。")


def _refuse_status(job: Job, allowed: tuple[str, ...], action: str) -> None:
    if job.status not in allowed:
        raise ValidationError(f"作业当前为“{job.get_status_display()}”,不能{action}。")


# --- the clock -------------------------------------------------------------------------------


def _clock_on(job: Job, by, *, allowed: tuple[str, ...], action: str) -> Job:
    """Start or resume a job (inside the caller's transaction).

    1. Lock the work order, the technician and the job (in that order).
    2. Refuse: not the job's state; a line not approved; the order not dispatched or in
       progress; another job of the technician's in progress (one job at a time).
    3. The first job started of a dispatched order moves it dispatched → in_progress.
    4. The job in progress, and one open clock stretch (a database constraint keeps it one).
    """
    order = _lock_order(job.work_order_id)
    Technician.objects.select_for_update().filter(pk=job.technician_id).get()
    locked = _lock_own_job(job, by)
    _refuse_status(locked, allowed, action)
    _refuse_lines_not_approved(_job_lines(locked))
    if order.status not in (S.DISPATCHED, S.IN_PROGRESS):
        raise ValidationError(
            f"工单 {order.number} 当前为“{order.get_status_display()}”,不能开工。"
        )
    running = (
        Job.objects.filter(technician_id=locked.technician_id, status=J.IN_PROGRESS)
        .select_related("work_order")
        .first()
    )
    if running is not None:
        raise ValidationError(
            f"您正在进行工单 {running.work_order.number} 的作业,请先暂停或完工再开始另一项。"
        )
    if order.status == S.DISPATCHED:
        work_orders.work_order_transition(work_order=order, name="start", by=by)
    now = timezone.now()
    locked.status = J.IN_PROGRESS
    locked.started_at = locked.started_at or now
    locked.pause_reason, locked.pause_note = "", ""
    locked.save(update_fields=["status", "started_at", "pause_reason", "pause_note", "updated_at"])
    JobClock.objects.create(job=locked, technician_id=locked.technician_id, started_at=now)
    return locked


def _clock_off(job: Job, *, end_reason: str, now) -> int:
    """Close the job's open stretch; add its seconds to the job's cache. Returns them."""
    stretch = JobClock.objects.select_for_update().get(job=job, ended_at__isnull=True)
    seconds = max(0, int((now - stretch.started_at).total_seconds()))
    stretch.ended_at, stretch.end_reason = now, end_reason
    stretch.save(update_fields=["ended_at", "end_reason"])
    job.worked_seconds += seconds
    return seconds


def job_start(*, job: Job, by) -> Job:
    """开工: the technician starts a job dispatched to them (see `_clock_on`)."""
    _own_job(job, by)
    with transaction.atomic():
        return _clock_on(job, by, allowed=(J.ASSIGNED,), action="开工")


def job_resume(*, job: Job, by) -> Job:
    """继续: a paused job goes on (parts arrived, the customer approved, back from a break)."""
    _own_job(job, by)
    with transaction.atomic():
        return _clock_on(job, by, allowed=(J.PAUSED,), action="继续作业")


def job_pause(*, job: Job, by, reason: str, note: str = "") -> Job:
    """暂停 with a reason (waiting for parts, for the customer's approval, a break, other +
    a note): the open stretch closes with the reason and its time goes to worked_seconds."""
    _own_job(job, by)
    if reason not in Job.PauseReason.values:
        raise ValidationError({"reason": "请选择暂停原因。"})
    note = note.strip()
    if reason == Job.PauseReason.OTHER and not note:
        raise ValidationError({"note": "暂停原因为“其他”时请填写说明。"})
    with transaction.atomic():
        locked = _lock_own_job(job, by)
        _refuse_status(locked, (J.IN_PROGRESS,), "暂停")
        _clock_off(locked, end_reason=reason, now=timezone.now())
        locked.status = J.PAUSED
        locked.pause_reason, locked.pause_note = reason, note[:200]
        locked.save(
            update_fields=["status", "pause_reason", "pause_note", "worked_seconds", "updated_at"]
        )
    return locked


# --- checklists ------------------------------------------------------------------------------


def job_skill_ids(job: Job) -> set[int]:
    """The kind of work of a job: the skill it was dispatched for (`Job.skill`, given or
    inferred from its lines' operations by services_dispatch); none for general work."""
    return {job.skill_id} if job.skill_id else set()


def checklist(kind: str, skill_ids: Iterable[int]) -> list[CheckItem]:
    """The items of a kind of check that apply to work of `skill_ids`: those for every job
    (no skill) and those of each of the skills, in the managers' order."""
    return list(
        CheckItem.objects.filter(kind=kind, active=True)
        .filter(Q(skill__isnull=True) | Q(skill__in=list(skill_ids)))
        .select_related("skill")
        .order_by("order", "id")
    )


def order_skill_ids(work_order: WorkOrder) -> set[int]:
    """The kinds of work of an order: the skills of its jobs (not cancelled)."""
    return set(
        Job.objects.filter(work_order=work_order, skill__isnull=False)
        .exclude(status=J.CANCELLED)
        .values_list("skill_id", flat=True)
    )


@dataclass(frozen=True)
class Answers:
    """A checklist as answered: the items ticked 合格, and a note."""

    ok: frozenset[int]
    note: str = ""

    def rows(self, items: list[CheckItem]) -> list[dict]:
        return [{"item": item.pk, "text": item.text, "ok": item.pk in self.ok} for item in items]

    def failed(self, items: list[CheckItem]) -> list[str]:
        return [item.text for item in items if item.pk not in self.ok]


# --- finishing a job -------------------------------------------------------------------------


def job_standard_hours(lines: list[WorkOrderLine]) -> Decimal:
    """The hours sold for a job when it is finished: those of its approved lines (the
    dispatch's rule, services_dispatch.standard_hours), added items the customer approved
    on the floor included, declined ones not."""
    return standard_hours([line for line in lines if line.status == LineStatus.APPROVED])


def job_finish(*, job: Job, by, answers: Answers) -> Check:
    """完工: the technician's self-check, then the job is finished (DOMAIN §3).

    1. Lock the order and the job; the job must be in progress with every line approved.
    2. The self-check is recorded (kind self, the job's checklist: `job_skill_ids`). An item
       not ticked fails it: the job stays in progress, the clock running, until fixed.
    3. Passed: the open stretch closes, the job is finished with its standard hours (its
       approved labour lines, added items included), its approved lines are marked done.
    4. When every job of the order is finished (and nothing waits for the customer), the
       parts no job held are done with the work (`parts_with_the_work`) and the order
       moves in_progress → self_checked.
    Returns the Check (`passed` tells which way it went).
    """
    _own_job(job, by)
    with transaction.atomic():
        order = _lock_order(job.work_order_id)
        locked = _lock_own_job(job, by)
        if locked.status == J.PAUSED:
            raise ValidationError("作业暂停中,请先点“继续”再完工。")
        _refuse_status(locked, (J.IN_PROGRESS,), "完工")
        lines = _job_lines(locked)
        _refuse_lines_not_approved(lines)
        items = checklist(CheckItem.Kind.SELF, job_skill_ids(locked))
        failed = answers.failed(items)
        now = timezone.now()
        check = Check.objects.create(
            work_order=order,
            job=locked,
            kind=CheckItem.Kind.SELF,
            passed=not failed,
            answers=answers.rows(items),
            reason=("未合格:" + "、".join(failed) + (f"。{answers.note}" if answers.note else ""))[
                :300
            ]
            if failed
            else answers.note[:300],
            by=by,
            at=now,
        )
        if failed:
            return check
        _clock_off(locked, end_reason=FINISH, now=now)
        locked.status, locked.finished_at = J.FINISHED, now
        locked.standard_hours = job_standard_hours(lines)
        locked.save(
            update_fields=[
                "status",
                "finished_at",
                "standard_hours",
                "worked_seconds",
                "updated_at",
            ]
        )
        for line in lines:
            if line.status == LineStatus.APPROVED and line.done_at is None:
                work_orders.line_mark_done(line=line, by=by)
        _self_check_when_all_finished(order, by)
    return check


def parts_with_the_work(order: WorkOrder) -> list[WorkOrderLine]:
    """The approved parts and materials no job held, once every approved labour line is
    done: dispatch gives out labour lines (an order without labour gives all its lines to
    one job), the parts are fitted with that work, so they are done with it."""
    undone = list(
        WorkOrderLine.objects.filter(
            work_order=order, status=LineStatus.APPROVED, done_at__isnull=True
        ).order_by("id")
    )
    if any(line.kind == WorkOrderLine.Kind.LABOUR for line in undone):
        return []
    return undone


def _self_check_refusals(order: WorkOrder) -> list[str]:
    """Why the order cannot move to 自检 now (empty: it can)."""
    jobs = Job.objects.filter(work_order=order).exclude(status=J.CANCELLED)
    if not jobs.filter(status=J.FINISHED).exists():
        return ["工单还没有已完工的作业。"]
    open_jobs = jobs.exclude(status=J.FINISHED).count()
    if open_jobs:
        return [f"还有 {open_jobs} 项作业未完工。"]
    if order.status != S.IN_PROGRESS:
        return [f"工单当前为“{order.get_status_display()}”。"]
    blocked = refusals(TRANSITIONS["self_check"], order)
    if parts_with_the_work(order):  # done with the move (_self_check)
        blocked = [refusal for refusal in blocked if refusal != NEEDS_LINES_DONE.refusal]
    return blocked


def _self_check(order: WorkOrder, by) -> StatusChange:
    for line in parts_with_the_work(order):
        work_orders.line_mark_done(line=line, by=by)
    return work_orders.work_order_transition(work_order=order, name="self_check", by=by)


def _self_check_when_all_finished(order: WorkOrder, by) -> StatusChange | None:
    if _self_check_refusals(order):
        return None
    return _self_check(order, by)


def self_check_refusals(work_order: WorkOrder) -> list[str]:
    """For the team lead's queue: why an order whose jobs are done is not yet 自检."""
    return _self_check_refusals(work_order)


def work_order_self_check(*, work_order: WorkOrder, by) -> StatusChange:
    """Move an order to 自检 once its jobs are finished, when that did not happen with the
    last job (an added item was still waiting for the customer then, and was declined
    since): the lead of one of its teams presses it from the queue."""
    _refuse_unless(by, W + "work_workorder", "自检完成")
    with transaction.atomic():
        order = _lock_order(work_order.pk)
        if not leads_order(order, by):
            raise ValidationError("只有该工单作业班组的班组长可以提交自检。")
        blocked = _self_check_refusals(order)
        if blocked:
            raise ValidationError(blocked)
        return _self_check(order, by)


# --- proposed added items ------------------------------------------------------------------

PROPOSAL_PHOTO_BROKEN = "只能上传 PNG、JPEG 或 WebP 照片(按文件内容识别),文件须完整。"


def proposed_item_create(
    *, job: Job, by, description: str, note: str = "", photo=None
) -> ProposedItem:
    """A technician proposes an added item (增项) seen on the car: a short description, a
    note and a photo (PNG / JPEG / WebP by content, at most 10 MB, private storage). It
    waits for the advisor, who adds it to the order for the customer's approval or
    declines it."""
    _own_job(job, by)
    description = description.strip()
    if not description:
        raise ValidationError({"description": "请填写建议项目。"})
    data, kind = b"", None
    if photo is not None:
        if photo.size > work_orders.PHOTO_MAX_BYTES:
            raise ValidationError({"photo": "照片不能超过 10 MB。"})
        photo.seek(0)
        data = photo.read()
        try:
            kind, _image = decoded_image(
                data,
                kinds=(PNG, JPEG, WEBP),
                too_large=f"照片不能超过 {work_orders.PHOTO_MAX_SIDE}×"
                f"{work_orders.PHOTO_MAX_SIDE} 像素。",
                broken=PROPOSAL_PHOTO_BROKEN,
                max_side=work_orders.PHOTO_MAX_SIDE,
            )
        except ValidationError as error:
            raise ValidationError({"photo": error.messages}) from None
    with transaction.atomic():
        locked = _lock_own_job(job, by)
        _refuse_status(locked, LIVE, "提出增项")
        item = ProposedItem(
            job=locked,
            work_order_id=locked.work_order_id,
            proposed_by_id=locked.technician_id,
            description=description[:200],
            note=note.strip(),
        )
        if kind is not None:
            item.photo.save(f"{uuid.uuid4().hex}.{kind.extension}", ContentFile(data), save=False)
        item.save()
    return item


def _lock_proposal(item: ProposedItem) -> ProposedItem:
    locked = ProposedItem.objects.select_for_update().get(pk=item.pk)
    if locked.status != ProposedItem.Status.PROPOSED:
        raise ValidationError(f"该增项建议已处理({locked.get_status_display()})。")
    return locked


def proposed_item_add_lines(
    *,
    item: ProposedItem,
    by,
    new_lines: list[work_orders.NewLine] = (),
    existing: Iterable[WorkOrderLine] = (),
) -> list[WorkOrderLine]:
    """The advisor turns a proposal into lines of the order: new lines
    (`work_order_add_lines`), and/or added items already on the order (from the catalogue
    box) that no other proposal took. They are proposed lines (增项): the customer approves
    or declines them through the order's approval form. They join the proposing job while
    it is not finished, which then cannot go on until the customer has decided."""
    _refuse_unless(by, W + "change_workorder", "添加增项")
    existing = list(existing)
    if not new_lines and not existing:
        raise ValidationError("请填写一个项目,或选择已添加的增项。")
    with transaction.atomic():
        order = _lock_order(item.work_order_id)
        locked = _lock_proposal(item)
        taken = set(
            ProposedItem.lines.through.objects.filter(
                workorderline__in=[line.pk for line in existing]
            ).values_list("workorderline_id", flat=True)
        )
        for line in existing:
            fresh = WorkOrderLine.objects.get(pk=line.pk)
            if fresh.work_order_id != order.pk or fresh.status != LineStatus.PROPOSED:
                raise ValidationError(f"“{fresh.description}”不是本工单待客户确认的项目。")
            if fresh.pk in taken:
                raise ValidationError(f"“{fresh.description}”已属于另一条增项建议。")
        lines = list(existing)
        if new_lines:
            lines += work_orders.work_order_add_lines(work_order=order, by=by, lines=new_lines)
        locked.lines.add(*lines)
        locked.status = ProposedItem.Status.ADDED
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        job = Job.objects.select_for_update().get(pk=locked.job_id)
        if job.status in LIVE:
            in_a_job = set(
                JobLine.objects.filter(line__in=lines, active=True).values_list(
                    "line_id", flat=True
                )
            )
            JobLine.objects.bulk_create(
                [JobLine(job=job, line=line) for line in lines if line.pk not in in_a_job]
            )
    return lines


def proposed_item_decline(*, item: ProposedItem, by, reason: str) -> ProposedItem:
    """The advisor does not take the proposal to the customer, with the reason."""
    _refuse_unless(by, W + "change_workorder", "处理增项")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写不采纳的原因。"})
    with transaction.atomic():
        locked = _lock_proposal(item)
        locked.status = ProposedItem.Status.DECLINED
        locked.decline_reason = reason[:200]
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked.save(
            update_fields=["status", "decline_reason", "decided_by", "decided_at", "updated_at"]
        )
    return locked


# --- the checks after the work ---------------------------------------------------------------


def _failing_jobs(order: WorkOrder, job_ids: Iterable[int]) -> list[Job]:
    """The finished jobs a failed check sends back; an order with one finished job needs
    no choice."""
    finished = list(
        Job.objects.select_for_update().filter(work_order=order, status=J.FINISHED).order_by("id")
    )
    chosen = {int(pk) for pk in job_ids}
    if not chosen and len(finished) == 1:
        return finished
    picked = [job for job in finished if job.pk in chosen]
    if not picked or len(picked) != len(chosen):
        raise ValidationError({"jobs": "请选择需要返工的作业。"})
    return picked


def _send_back(
    order: WorkOrder, *, kind: str, by, answers: Answers, items, reason: str, job_ids, now
) -> list[Check]:
    """A failed team or final check: one Check per failing job, the order back to 维修中
    (transition rework, with the reason), and each failing job reopened as rework."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "不合格须填写原因(返工内容)。"})
    jobs = _failing_jobs(order, job_ids)
    checks = Check.objects.bulk_create(
        [
            Check(
                work_order=order,
                job=job,
                technician_id=job.technician_id,
                team_id=job.team_id,
                kind=kind,
                passed=False,
                answers=answers.rows(items),
                reason=reason[:300],
                by=by,
                at=now,
            )
            for job in jobs
        ]
    )
    label = dict(CheckItem.Kind.choices)[kind]
    work_orders.work_order_transition(
        work_order=order, name="rework", by=by, reason=f"{label}不合格:{reason}"
    )
    Job.objects.filter(pk__in=[job.pk for job in jobs]).update(
        status=J.ASSIGNED,
        is_rework=True,
        finished_at=None,
        pause_reason="",
        pause_note="",
        updated_at=now,
    )
    return checks


def _passed_check(order: WorkOrder, *, kind: str, by, answers: Answers, items, now) -> Check:
    failed = answers.failed(items)
    if failed:
        raise ValidationError(
            "还有检查项未勾选合格:" + "、".join(failed) + "。不合格请选择“不合格,返工”。"
        )
    return Check.objects.create(
        work_order=order,
        kind=kind,
        passed=True,
        answers=answers.rows(items),
        reason=answers.note[:300],
        by=by,
        at=now,
    )


def team_check(
    *,
    work_order: WorkOrder,
    by,
    answers: Answers,
    passed: bool,
    reason: str = "",
    job_ids: Iterable[int] = (),
) -> list[Check]:
    """班组长检验 of a self-checked order, by the lead of a team with a job on it (or the
    workshop supervisor standing in): passed → team_check (→ 班组长检验); failed → the
    failing jobs back as rework with the reason (→ 维修中). Returns the Check rows."""
    _refuse_unless(by, W + "inspect_workorder", "班组长检验")
    with transaction.atomic():
        order = _lock_order(work_order.pk)
        if not leads_order(order, by):
            raise ValidationError("只有该工单作业班组的班组长可以检验。")
        if order.status != S.SELF_CHECKED:
            raise ValidationError(f"工单当前为“{order.get_status_display()}”,不能进行班组长检验。")
        items = checklist(CheckItem.Kind.TEAM, order_skill_ids(order))
        now = timezone.now()
        if not passed:
            return _send_back(
                order,
                kind=CheckItem.Kind.TEAM,
                by=by,
                answers=answers,
                items=items,
                reason=reason,
                job_ids=job_ids,
                now=now,
            )
        check = _passed_check(
            order, kind=CheckItem.Kind.TEAM, by=by, answers=answers, items=items, now=now
        )
        work_orders.work_order_transition(work_order=order, name="team_check", by=by)
    return [check]


def final_check(
    *,
    work_order: WorkOrder,
    by,
    answers: Answers,
    passed: bool,
    reason: str = "",
    job_ids: Iterable[int] = (),
) -> list[Check]:
    """终检 of every order (100%), by a QC inspector, with the checklist of the order's kinds
    of work. Passed: each approved line QC-passed, final_qc (→ 终检), then → 待交车 unless
    the settings send cars to the wash first (then the order waits for 洗车). Failed: the
    failing jobs back as rework with the reason (→ 维修中)."""
    _refuse_unless(by, W + "qc_workorder", "终检")
    with transaction.atomic():
        order = _lock_order(work_order.pk)
        if order.status != S.TEAM_CHECKED:
            raise ValidationError(f"工单当前为“{order.get_status_display()}”,不能终检。")
        items = checklist(CheckItem.Kind.FINAL, order_skill_ids(order))
        now = timezone.now()
        if not passed:
            return _send_back(
                order,
                kind=CheckItem.Kind.FINAL,
                by=by,
                answers=answers,
                items=items,
                reason=reason,
                job_ids=job_ids,
                now=now,
            )
        check = _passed_check(
            order, kind=CheckItem.Kind.FINAL, by=by, answers=answers, items=items, now=now
        )
        for line in WorkOrderLine.objects.filter(
            work_order=order, status=LineStatus.APPROVED, qc_passed_at__isnull=True
        ).order_by("id"):
            work_orders.line_qc_pass(line=line, by=by)
        work_orders.work_order_transition(work_order=order, name="final_qc", by=by)
        if not current_settings(ServiceSettings).wash_step:
            work_orders.work_order_transition(work_order=order, name="ready", by=by)
    return [check]


def work_order_wash_done(*, work_order: WorkOrder, by) -> StatusChange:
    """洗车完成, recorded by a technician who worked on the order (終检 → 洗车)."""
    _refuse_unless(by, W + "work_workorder", "洗车完成")
    with transaction.atomic():
        order = _lock_order(work_order.pk)
        worked = (
            Job.objects.filter(work_order=order, technician__user=by)
            .exclude(status=J.CANCELLED)
            .exists()
        )
        if not worked:
            raise ValidationError("只有该工单的作业技师可以登记洗车。")
        if order.status != S.QC_PASSED:
            raise ValidationError(f"工单当前为“{order.get_status_display()}”,不能登记洗车。")
        return work_orders.work_order_transition(work_order=order, name="wash", by=by)


def work_order_release(*, work_order: WorkOrder, by) -> StatusChange:
    """The inspector releases a washed car to the advisor (→ 待交车); with the wash step
    off, a car that passed the final QC (the final check releases it at once then)."""
    _refuse_unless(by, W + "qc_workorder", "待交车")
    with transaction.atomic():
        order = _lock_order(work_order.pk)
        if order.status == S.QC_PASSED and current_settings(ServiceSettings).wash_step:
            raise ValidationError("该车还未洗车,洗车完成后才能交给服务顾问。")
        if order.status not in (S.QC_PASSED, S.WASHED):
            raise ValidationError(f"工单当前为“{order.get_status_display()}”,不能转为待交车。")
        return work_orders.work_order_transition(work_order=order, name="ready", by=by)
