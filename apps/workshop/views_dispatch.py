"""The supervisor's dispatch board (派工看板) and its actions: dispatch lines of an order,
reassign a job with a reason, take back one job or the whole order's.

HTTP, permissions and forms only. A refused action shows the board again (422) with the
card it came from open, its values kept and the service's sentences on it; a skill
mismatch adds the "技能不符,仍然派工" box. A done action redirects to the card.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.http import require_perm
from apps.workorders.models import WorkOrder, WorkOrderLine

from . import selectors_dispatch, services_dispatch
from .forms_dispatch import DispatchForm, ReasonForm, ReassignForm
from .models import Job, Skill

DISPATCH = "workorders.dispatch_workorder"


@dataclass
class Failed:
    """The card whose action was refused: which, what was posted, why."""

    key: str  # "order-12", "reassign-7", "cancel-7", "undispatch-12"
    errors: list[str]
    confirm: bool = False  # a skill mismatch: offer the confirmation box
    technician: int | None = None
    bay: int | None = None
    skill: int | None = None
    lines: list[int] = field(default_factory=list)
    reason: str = ""
    shown: bool = True  # on its card (else on top of the page)


def _hours(value) -> str:
    """Hours as the board writes them: 1.5, 2, 0."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class OptionRows(list):
    """(value, label, flagged) rows of a board select, with the memo of their rendered
    <option>s (templatetags.dispatch_tags.options): a page renders each list once per choice."""

    def __init__(self, rows=()):
        super().__init__(rows)
        self.rendered = {}


def _option_rows(choices):
    """(value, label, mismatch) for the board's technician selects: who, whether they lack
    the skill (first, where a narrow select still shows it), team, hours to do and left."""
    return OptionRows(
        (
            choice.technician.pk,
            f"{choice.technician}{'(无此技能)' if choice.mismatch else ''}"
            f" · {choice.technician.team} · 待做{_hours(choice.technician.load.left)}h"
            f" 余{_hours(choice.technician.load.shift_left)}h",
            choice.mismatch,
        )
        for choice in choices
    )


def _board(request, *, failed: Failed | None = None, status: int = 200):
    now = timezone.now()
    pages = selectors_dispatch.dispatch_board_pages(
        waiting_page=request.GET.get("waiting_page"),
        dispatched_page=request.GET.get("dispatched_page"),
    )
    orders, dispatched = list(pages.waiting), list(pages.dispatched)
    technicians = selectors_dispatch.dispatch_technicians(now=now)
    bays = selectors_dispatch.dispatch_bays()
    skills = list(Skill.objects.order_by("order", "code"))
    options_by_skill = {}

    def technician_options(skill):
        key = skill.pk if skill else None
        if key not in options_by_skill:
            choices = selectors_dispatch.technician_choices(technicians, skill)
            options_by_skill[key] = _option_rows(choices)
        return options_by_skill[key]

    keys = set()
    for order in orders + dispatched:
        order.key, order.undispatch_key = f"order-{order.pk}", f"undispatch-{order.pk}"
        order.technician_options = technician_options(order.skill)
        for line in order.lines_waiting:
            line.is_labour = line.kind == WorkOrderLine.Kind.LABOUR
        order.is_overdue = order.promised_at is not None and order.promised_at < now
        for job in order.live_jobs:
            job.reassign_key, job.cancel_key = f"reassign-{job.pk}", f"cancel-{job.pk}"
            job.can_reassign = job.status in services_dispatch.MOVABLE
            job.can_cancel = job.status == Job.Status.ASSIGNED
            job.technician_options = technician_options(job.skill)
        order.can_undispatch = bool(order.live_jobs) and all(
            job.status == Job.Status.ASSIGNED for job in order.live_jobs
        )
        keys |= {order.key, order.undispatch_key}
        keys |= {key for job in order.live_jobs for key in (job.reassign_key, job.cancel_key)}
    if failed is not None:
        # A refusal about a card the board no longer shows goes on top of the page.
        failed.shown = failed.key in keys
    return render(
        request,
        "workshop/dispatch_board.html",
        {
            "orders": orders,
            "dispatched": dispatched,
            "pages": pages,
            "technicians": technicians,
            "bay_options": _bay_options(bays),
            "skill_options": OptionRows((skill.pk, skill.name, False) for skill in skills),
            "failed": failed,
            "now": now,
        },
        status=status,
    )


@require_perm(DISPATCH)
def dispatch_board(request):
    return _board(request)


def _errors(form, error: ValidationError | None = None) -> list[str]:
    found = [str(message) for messages_ in form.errors.values() for message in messages_]
    if error is not None:
        found += error.messages
    return found


def _back_to(order_pk: int) -> str:
    return f"{reverse('workshop:dispatch_board')}#order-{order_pk}"


@require_POST
@require_perm(DISPATCH)
def dispatch(request, pk):
    order = get_object_or_404(WorkOrder, pk=pk)
    queue = {o.pk: o for o in selectors_dispatch.dispatch_queue(pk=order.pk)}
    waiting = queue[order.pk].lines_waiting if order.pk in queue else []
    technicians = selectors_dispatch.dispatch_technicians(now=timezone.now())
    bays = selectors_dispatch.dispatch_bays()
    skills = list(Skill.objects.all())
    form = DispatchForm(
        request.POST, lines=waiting, technicians=technicians, bays=bays, skills=skills
    )
    failed = Failed(
        key=f"order-{order.pk}",
        errors=[],
        technician=_int(request.POST.get("technician")),
        bay=_int(request.POST.get("bay")),
        skill=_int(request.POST.get("skill")),
        lines=[_int(value) for value in request.POST.getlist("lines")],
    )
    if not waiting:
        failed.errors = ["该工单没有待派工的项目,请刷新派工看板。"]
        return _board(request, failed=failed, status=422)
    if not form.is_valid():
        failed.errors = _errors(form)
        return _board(request, failed=failed, status=422)
    data = form.cleaned_data
    chosen = {line.pk: line for line in waiting}
    try:
        job = services_dispatch.job_dispatch(
            work_order=order,
            lines=[chosen[pk] for pk in data["lines"]],
            technician=_by_pk(technicians, data["technician"]),
            bay=_by_pk(bays, data["bay"]),
            skill=_by_pk(skills, data["skill"]),
            by=request.user,
            confirm_mismatch=data["confirm_mismatch"],
        )
    except ValidationError as error:
        failed.errors = error.messages
        failed.confirm = isinstance(error, services_dispatch.SkillMismatch)
        return _board(request, failed=failed, status=422)
    messages.success(request, f"已派工:{order.number} → {job.technician}")
    return redirect(_back_to(order.pk))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _by_pk(rows, pk):
    if pk is None:
        return None
    return next((row for row in rows if row.pk == pk), None)


def _bay_options(bays) -> OptionRows:
    return OptionRows(
        (bay.pk, str(bay) + (f" · {bay.skill}" if bay.skill_id else ""), False) for bay in bays
    )


@require_http_methods(["GET", "POST"])
@require_perm(DISPATCH)
def job_reassign(request, pk):
    """GET: the job's reassign form (the board reads it when the job's row opens, so a
    busy board does not render a technician list per job); POST: reassign."""
    job = get_object_or_404(Job.objects.select_related("work_order", "skill"), pk=pk)
    technicians = selectors_dispatch.dispatch_technicians(now=timezone.now())
    bays = selectors_dispatch.dispatch_bays()
    if request.method == "GET":
        job.reassign_key = f"reassign-{job.pk}"
        job.technician_options = _option_rows(
            selectors_dispatch.technician_choices(technicians, job.skill)
        )
        return render(
            request,
            "workshop/partials/job_reassign_form.html",
            {"job": job, "bay_options": _bay_options(bays), "failed": None},
        )
    form = ReassignForm(request.POST, technicians=technicians, bays=bays)
    failed = Failed(
        key=f"reassign-{job.pk}",
        errors=[],
        technician=_int(request.POST.get("technician")),
        bay=_int(request.POST.get("bay")),
        reason=request.POST.get("reason", ""),
    )
    if not form.is_valid():
        failed.errors = _errors(form)
        return _board(request, failed=failed, status=422)
    data = form.cleaned_data
    try:
        services_dispatch.job_reassign(
            job=job,
            technician=_by_pk(technicians, data["technician"]),
            bay=_by_pk(bays, data["bay"]),
            by=request.user,
            reason=data["reason"],
            confirm_mismatch=data["confirm_mismatch"],
        )
    except ValidationError as error:
        failed.errors = error.messages
        failed.confirm = isinstance(error, services_dispatch.SkillMismatch)
        return _board(request, failed=failed, status=422)
    messages.success(request, f"已改派:{job.work_order.number} → {job.technician}")
    return redirect(_back_to(job.work_order_id))


@require_POST
@require_perm(DISPATCH)
def job_cancel(request, pk):
    job = get_object_or_404(Job.objects.select_related("work_order"), pk=pk)
    form = ReasonForm(request.POST)
    failed = Failed(key=f"cancel-{job.pk}", errors=[], reason=request.POST.get("reason", ""))
    try:
        if not form.is_valid():
            failed.errors = _errors(form)
            return _board(request, failed=failed, status=422)
        services_dispatch.job_cancel(job=job, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        failed.errors = error.messages
        return _board(request, failed=failed, status=422)
    messages.success(request, f"已撤销作业:{job.work_order.number}({job.technician})")
    return redirect(_back_to(job.work_order_id))


@require_POST
@require_perm(DISPATCH)
def undispatch(request, pk):
    order = get_object_or_404(WorkOrder, pk=pk)
    form = ReasonForm(request.POST)
    failed = Failed(key=f"undispatch-{order.pk}", errors=[], reason=request.POST.get("reason", ""))
    try:
        if not form.is_valid():
            failed.errors = _errors(form)
            return _board(request, failed=failed, status=422)
        services_dispatch.work_order_undispatch(
            work_order=order, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        failed.errors = error.messages
        return _board(request, failed=failed, status=422)
    messages.success(request, f"已撤销派工:{order.number}")
    return redirect(_back_to(order.pk))
