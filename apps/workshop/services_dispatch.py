"""Dispatch (派工, DOMAIN.md §3): the supervisor gives approved lines of a work order to a
technician (and so to the technician's team) at a bay, takes a job to another technician
with a reason, or takes the order's jobs back.

The work order's state follows the table of docs/WORKSHOP.md ("How the floor moves the
order"): the job that leaves no approved labour line of an approved order without a job
moves the order to 已派工 (`dispatch`); taking the jobs back moves it to 已确认
(`undispatch`, with the reason). Both through `workorders.services.work_order_transition`.

Concurrency: every service locks the work order's row first (`SELECT … FOR UPDATE`), so two
supervisors dispatching lines of one order take turns and the second sees what the first
wrote; the partial unique constraint `jobline_one_live_job_per_line` is the last word when
anything else writes JobLine rows.

Skills: a job needs one skill (`Job.skill`), given by the supervisor or inferred from its
labour lines' operations (`Skill.operations`, the skill with the most standard hours). A
technician who lacks it, or a bay kept for another kind of work, is refused with
`SkillMismatch` unless the supervisor confirms (`confirm_mismatch=True`); the confirmed
mismatch is written into the assignment row's reason, so the record shows who decided it.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.core.integrity import violated_constraint
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine
from apps.workorders.services import work_order_transition

from .models import Bay, Job, JobAssignment, JobLine, Skill, Technician

S = WorkOrder.Status
DISPATCH_PERMISSION = "workorders.dispatch_workorder"
# Orders that may get a job: waiting (已确认, partly dispatched ones included), and orders
# on the floor that got an added item approved after dispatch.
DISPATCHABLE_STATES = (S.APPROVED, S.DISPATCHED, S.IN_PROGRESS)
LIVE = (Job.Status.ASSIGNED, Job.Status.IN_PROGRESS, Job.Status.PAUSED)
# A job not started yet, or paused: it may change hands.
MOVABLE = (Job.Status.ASSIGNED, Job.Status.PAUSED)
ONE_LIVE_JOB = "jobline_one_live_job_per_line"
REASON_LENGTH = 200


class SkillMismatch(ValidationError):
    """The technician lacks the job's skill, or the bay is kept for other work: the
    supervisor may confirm and dispatch anyway (the view shows a confirmation box)."""


# --- reads the services share with the board ----------------------------------------------


def skills_by_operation(operation_ids) -> dict[int, list[Skill]]:
    """The skills each labour operation needs (Skill.operations), in one query."""
    found: dict[int, list[Skill]] = defaultdict(list)
    links = Skill.operations.through.objects.filter(
        labouroperation_id__in=set(operation_ids)
    ).select_related("skill")
    for link in links:
        found[link.labouroperation_id].append(link.skill)
    return found


def required_skill(lines, known: dict[int, list[Skill]] | None = None) -> Skill | None:
    """The skill a job of `lines` needs: of the skills their labour operations need
    (Skill.operations), the one with the most standard hours (ties: the skills' order);
    None when no line names an operation that needs one. One query, or none when `known`
    (skills_by_operation of the lines' operations) is given."""
    by_operation: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.kind == WorkOrderLine.Kind.LABOUR and line.labour_operation_id:
            by_operation[line.labour_operation_id] += line.quantity
    if not by_operation:
        return None
    if known is None:
        known = skills_by_operation(by_operation)
    hours: dict[int, Decimal] = defaultdict(Decimal)
    skills = {}
    for operation_id, operation_hours in by_operation.items():
        for skill in known.get(operation_id, ()):
            skills[skill.pk] = skill
            hours[skill.pk] += operation_hours
    if not skills:
        return None
    return min(skills.values(), key=lambda skill: (-hours[skill.pk], skill.order, skill.code))


def standard_hours(lines) -> Decimal:
    """A job's standard hours: the hours of its labour lines (a labour line's quantity)."""
    return sum(
        (line.quantity for line in lines if line.kind == WorkOrderLine.Kind.LABOUR), Decimal(0)
    )


def skill_mismatches(*, technician: Technician, skill: Skill | None, bay: Bay | None) -> list[str]:
    """What is wrong with giving work of `skill` to `technician` at `bay` (empty: nothing).
    `technician.skills` is read once (prefetched by the board)."""
    problems = []
    if skill is not None:
        held = {held.pk for held in technician.skills.all()}
        if skill.pk not in held:
            problems.append(f"技师{technician}没有“{skill.name}”技能。")
    if bay is not None and skill is not None and bay.skill_id not in (None, skill.pk):
        problems.append(f"工位{bay.code}为“{bay.skill.name}”专用,本作业为“{skill.name}”。")
    return problems


def uncovered_lines(work_order: WorkOrder):
    """The order's approved labour lines not done and in no live job: what dispatch still
    has to give out (a line whose job was cancelled counts as uncovered again)."""
    return WorkOrderLine.objects.filter(
        work_order=work_order,
        kind=WorkOrderLine.Kind.LABOUR,
        status=LineStatus.APPROVED,
        done_at__isnull=True,
    ).exclude(Exists(JobLine.objects.filter(line=OuterRef("pk"), active=True)))


def _fully_dispatched(work_order: WorkOrder) -> bool:
    """Every approved labour line has a live (or finished) job; an order with no labour
    line: some job holds its lines."""
    has_labour = WorkOrderLine.objects.filter(
        work_order=work_order, kind=WorkOrderLine.Kind.LABOUR, status=LineStatus.APPROVED
    ).exists()
    if has_labour:
        return not uncovered_lines(work_order).exists()
    return Job.objects.filter(work_order=work_order).exclude(status=Job.Status.CANCELLED).exists()


# --- checks ---------------------------------------------------------------------------------


def _check_dispatcher(by) -> None:
    if not by.has_perm(DISPATCH_PERMISSION):
        raise ValidationError("您没有“派工”的权限。")


def _locked_order(work_order: WorkOrder) -> WorkOrder:
    """The order's row, locked until the end of the transaction (the moves of one order
    take turns), with its status as it is now."""
    locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if locked.source == WorkOrder.Source.IMPORT:
        raise ValidationError("旧系统导入的工单只作为历史记录查看,不能操作。")
    return locked


def _check_people(technician: Technician, bay: Bay | None) -> None:
    if technician is None:
        raise ValidationError({"technician": "请选择技师。"})
    if not technician.active:
        raise ValidationError({"technician": f"技师{technician}已不在岗,不能派工。"})
    if not technician.team.active:
        raise ValidationError({"technician": f"班组{technician.team}已停用,不能派工。"})
    if bay is not None and not bay.active:
        raise ValidationError({"bay": f"工位{bay.code}已停用。"})


def _check_skills(*, technician, skill, bay, confirm_mismatch: bool) -> str:
    """Refuse a mismatch the supervisor did not confirm; a confirmed one comes back as the
    note the assignment row keeps."""
    problems = skill_mismatches(technician=technician, skill=skill, bay=bay)
    if problems and not confirm_mismatch:
        raise SkillMismatch(problems + ["如确需派工,请勾选“技能不符,仍然派工”后再提交。"])
    return ("技能不符,主任确认派工:" + "".join(problems))[:REASON_LENGTH] if problems else ""


def _lines_in_live_jobs(line_ids) -> list[str]:
    taken = JobLine.objects.filter(line_id__in=line_ids, active=True).select_related(
        "line", "job__technician__user"
    )
    return [
        f"“{link.line.description}”已派给{link.job.technician}(作业 {link.job_id}),请刷新派工看板。"
        for link in taken
    ]


def _dispatchable_lines(locked: WorkOrder, lines) -> list[WorkOrderLine]:
    """The lines as they are now (under the order's lock), each approved, not done and in
    no live job."""
    ids = {line.pk for line in lines}
    if not ids:
        raise ValidationError({"lines": "请选择要派工的项目。"})
    current = list(WorkOrderLine.objects.filter(pk__in=ids, work_order=locked).order_by("id"))
    if len(current) != len(ids):
        raise ValidationError({"lines": "所选项目不属于该工单,请刷新派工看板。"})
    problems = []
    for line in current:
        if line.status == LineStatus.DECLINED:
            problems.append(f"客户未同意“{line.description}”,不能派工。")
        elif line.status != LineStatus.APPROVED:
            problems.append(f"“{line.description}”尚未经客户确认,不能派工。")
        elif line.done_at is not None:
            problems.append(f"“{line.description}”已完工,不能再派工。")
    problems += _lines_in_live_jobs(ids)
    if problems:
        raise ValidationError({"lines": problems})
    return current


# --- the services -------------------------------------------------------------------------


def job_dispatch(
    *,
    work_order: WorkOrder,
    lines,
    technician: Technician,
    bay: Bay | None,
    by,
    skill: Skill | None = None,
    confirm_mismatch: bool = False,
) -> Job:
    """Give approved `lines` of `work_order` to `technician` (and their team) at `bay`.

    1. Lock the order; it must be 已确认, 已派工 or 维修中 (an added item approved on the floor).
    2. The lines as they are now: approved, not done, in no live job (else each refusal
       names the line, and the technician who has it).
    3. The skill (given, or inferred from the lines): a technician without it, or a bay kept
       for other work, is refused unless `confirm_mismatch` (the note goes on the record).
    4. The job, its lines and the first assignment row; the database's partial unique
       constraint refuses a line some other writer gave out meanwhile.
    5. When no approved labour line of an approved order is left without a job: the
       order's `dispatch` move.
    """
    _check_dispatcher(by)
    _check_people(technician, bay)
    with transaction.atomic():
        locked = _locked_order(work_order)
        if locked.status not in DISPATCHABLE_STATES:
            raise ValidationError(f"工单当前为“{locked.get_status_display()}”,不能派工。")
        current = _dispatchable_lines(locked, lines)
        skill = skill or required_skill(current)
        note = _check_skills(
            technician=technician, skill=skill, bay=bay, confirm_mismatch=confirm_mismatch
        )
        now = timezone.now()
        job = Job.objects.create(
            work_order=locked,
            team=technician.team,
            technician=technician,
            bay=bay,
            skill=skill,
            standard_hours=standard_hours(current),
            assigned_by=by,
            assigned_at=now,
        )
        try:
            with transaction.atomic():
                JobLine.objects.bulk_create([JobLine(job=job, line=line) for line in current])
        except IntegrityError as error:
            if violated_constraint(error) != ONE_LIVE_JOB:
                raise
            raise ValidationError(
                {"lines": _lines_in_live_jobs([line.pk for line in current]) or "项目已被派工。"}
            ) from None
        JobAssignment.objects.create(
            job=job, team=job.team, technician=technician, bay=bay, reason=note, by=by, at=now
        )
        if locked.status == S.APPROVED and _fully_dispatched(locked):
            work_order_transition(work_order=locked, name="dispatch", by=by)
    work_order.status = locked.status
    return job


def job_reassign(
    *,
    job: Job,
    technician: Technician,
    bay: Bay | None,
    by,
    reason: str,
    confirm_mismatch: bool = False,
) -> Job:
    """Take a job not started (or paused) to another technician or bay, with a reason.

    1. Lock the order, then the job: it must still be 待开工 or 暂停 (a job being worked on is
       paused by its technician first: the clock belongs to them).
    2. The same skill check as dispatch, on the job's skill.
    3. The job's technician, team and bay change; an assignment row keeps who, when, why.
    """
    _check_dispatcher(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "改派必须填写原因。"})
    _check_people(technician, bay)
    with transaction.atomic():
        _locked_order(job.work_order)
        locked = Job.objects.select_for_update(of=("self",)).select_related("skill").get(pk=job.pk)
        if locked.status not in MOVABLE:
            if locked.status == Job.Status.IN_PROGRESS:
                raise ValidationError("作业正在进行中,请技师先暂停后再改派。")
            raise ValidationError(f"作业{locked.get_status_display()},不能改派。")
        if locked.technician_id == technician.pk and locked.bay_id == (bay.pk if bay else None):
            raise ValidationError("技师和工位都没有变化。")
        note = _check_skills(
            technician=technician, skill=locked.skill, bay=bay, confirm_mismatch=confirm_mismatch
        )
        now = timezone.now()
        Job.objects.filter(pk=locked.pk).update(
            technician=technician, team=technician.team, bay=bay, updated_at=now
        )
        full_reason = f"{reason};{note}" if note else reason
        JobAssignment.objects.create(
            job=locked,
            team=technician.team,
            technician=technician,
            bay=bay,
            reason=full_reason[:REASON_LENGTH],
            by=by,
            at=now,
        )
    job.technician, job.team, job.bay = technician, technician.team, bay
    return job


def _cancel(jobs: list[Job], *, reason: str) -> None:
    ids = [job.pk for job in jobs]
    now = timezone.now()
    Job.objects.filter(pk__in=ids).update(
        status=Job.Status.CANCELLED, cancel_reason=reason, updated_at=now
    )
    JobLine.objects.filter(job_id__in=ids).update(active=False)


def _checked_reason(reason: str, label: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"“{label}”必须填写原因。"})
    return reason[:REASON_LENGTH]


def work_order_undispatch(*, work_order: WorkOrder, by, reason: str) -> list[Job]:
    """Take back every job of an order before work starts, with a reason.

    1. Lock the order: 已派工, or 已确认 with some jobs given out (partly dispatched).
    2. Its live jobs must all be 待开工 (a started job is the technician's to finish).
    3. The jobs are cancelled with the reason (their lines free again); a 已派工 order moves
       back to 已确认 (`undispatch`, with the reason).
    """
    _check_dispatcher(by)
    reason = _checked_reason(reason, "撤销派工")
    with transaction.atomic():
        locked = _locked_order(work_order)
        if locked.status not in (S.APPROVED, S.DISPATCHED):
            raise ValidationError(f"工单当前为“{locked.get_status_display()}”,不能撤销派工。")
        jobs = list(Job.objects.filter(work_order=locked, status__in=LIVE))
        if any(job.status != Job.Status.ASSIGNED for job in jobs):
            raise ValidationError("已有作业开工,不能撤销派工。")
        if not jobs:
            raise ValidationError("该工单没有可撤销的派工。")
        _cancel(jobs, reason=reason)
        if locked.status == S.DISPATCHED:
            work_order_transition(work_order=locked, name="undispatch", by=by, reason=reason)
    work_order.status = locked.status
    return jobs


def job_cancel(*, job: Job, by, reason: str) -> Job:
    """Take back one job not started, with a reason (its lines go back to the board).
    When the order was 已派工 and now has an approved labour line without a job, it moves
    back to 已确认 (`undispatch`, with the reason)."""
    _check_dispatcher(by)
    reason = _checked_reason(reason, "撤销派工")
    with transaction.atomic():
        locked_order = _locked_order(job.work_order)
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status != Job.Status.ASSIGNED:
            raise ValidationError(f"作业{locked.get_status_display()},不能撤销。")
        _cancel([locked], reason=reason)
        if locked_order.status == S.DISPATCHED and not _fully_dispatched(locked_order):
            work_order_transition(work_order=locked_order, name="undispatch", by=by, reason=reason)
    job.status, job.cancel_reason = Job.Status.CANCELLED, reason
    return job
