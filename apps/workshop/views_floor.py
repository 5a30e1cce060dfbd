"""The technician's tablet, the proposals' actions on the work-order page, the check queues
and the workshop's figures (namespace `workshop`, patterns in urls_floor.py).

HTTP, permissions and forms only: each POST calls one service of services_floor and
redirects (post/redirect/get); a refusal shows as a message or on its form. A technician
opens and acts on their own jobs only: another's job answers 403, to look at and to act on.
"""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, image_response, require_perm
from apps.core.periods import PeriodForm
from apps.core.settings import current_settings
from apps.workorders import services as work_orders
from apps.workorders.models import LineStatus, ServiceSettings, WorkOrder

from . import selectors_floor, services_floor
from .forms_floor import ChecklistForm, DeclineForm, PauseForm, ProposalLinesForm, ProposeForm
from .models import CheckItem, Job, ProposedItem

P = "workorders."
OWN_JOB = "workorders.view_own_jobs (another technician's job)"  # the 403's log line
PRIVATE_CACHE = "private, max-age=3600"


def _job_url(job_pk: int) -> str:
    return reverse("workshop:job_detail", args=[job_pk])


def _own_or_403(job: Job, user) -> None:
    if not services_floor.is_own_job(job, user):
        raise PermissionDenied(OWN_JOB)


# --- the tablet --------------------------------------------------------------------------------


@require_perm(P + "view_own_jobs")
def my_jobs(request):
    technician = selectors_floor.technician_of(request.user)
    jobs = None
    if technician is not None:
        jobs = selectors_floor.my_jobs(
            technician=technician,
            now=timezone.now(),
            wash_step=current_settings(ServiceSettings).wash_step,
        )
    return render(
        request,
        "workshop/floor/my_jobs.html",
        {"technician": technician, "jobs": jobs},
    )


def _job_page(request, job: Job, *, status: int = 200, **forms):
    skills = services_floor.job_skill_ids(job)
    context = {
        "job": job,
        "order": job.work_order,
        "lines": [job_line.line for job_line in job.live_lines],
        "waiting_lines": [
            job_line.line
            for job_line in job.live_lines
            if job_line.line.status == LineStatus.PROPOSED
        ],
        "pause_form": forms.get("pause_form") or PauseForm(prefix="pause"),
        "propose_form": forms.get("propose_form") or ProposeForm(prefix="propose"),
        "finish_form": forms.get("finish_form")
        or ChecklistForm(
            items=services_floor.checklist(CheckItem.Kind.SELF, skills), prefix="finish"
        ),
        "is_live": job.status in selectors_floor.OPEN_JOB_STATES,
    }
    return render(request, "workshop/floor/job_detail.html", context, status=status)


def _load_job(pk: int) -> Job:
    try:
        return selectors_floor.job_page(pk=pk, now=timezone.now())
    except Job.DoesNotExist:
        raise Http404("作业不存在") from None


@require_perm(P + "view_own_jobs")
def job_detail(request, pk):
    job = _load_job(pk)
    _own_or_403(job, request.user)
    return _job_page(request, job)


def job_post(view):
    """A POST on one of the technician's own jobs: POST only, `work_workorder`, the job
    loaded, 403 when it is another's; the view gets the job."""

    @require_POST
    @require_perm(P + "work_workorder")
    @functools.wraps(view)
    def wrapped(request, pk):
        job = _load_job(pk)
        _own_or_403(job, request.user)
        return view(request, job)

    return wrapped


def _clock_button(action, done: str):
    @job_post
    def view(request, job):
        try:
            action(job=job, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{done}:{job.work_order.number}")
        return redirect(_job_url(job.pk))

    return view


job_start = _clock_button(services_floor.job_start, "已开工")
job_resume = _clock_button(services_floor.job_resume, "已继续作业")


@job_post
def job_pause(request, job):
    form = PauseForm(request.POST, prefix="pause")
    if form.is_valid():
        try:
            services_floor.job_pause(job=job, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            reason = Job.PauseReason(form.cleaned_data["reason"]).label
            messages.success(request, f"已暂停({reason}):{job.work_order.number}")
            return redirect(_job_url(job.pk))
    return _job_page(request, job, status=422, pause_form=form)


@job_post
def job_finish(request, job):
    items = services_floor.checklist(CheckItem.Kind.SELF, services_floor.job_skill_ids(job))
    form = ChecklistForm(request.POST, items=items, prefix="finish")
    if form.is_valid():
        try:
            check = services_floor.job_finish(job=job, by=request.user, answers=form.answers())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if check.passed:
                messages.success(request, f"自检合格,已完工:{job.work_order.number}")
                return redirect("workshop:my_jobs")
            messages.warning(request, f"自检未通过,作业继续进行。{check.reason}")
            return redirect(f"{_job_url(job.pk)}#finish")
    return _job_page(request, job, status=422, finish_form=form)


@job_post
def job_propose(request, job):
    form = ProposeForm(request.POST, request.FILES, prefix="propose")
    if form.is_valid():
        try:
            services_floor.proposed_item_create(job=job, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"增项建议已提交给服务顾问:{form.cleaned_data['description']}"
            )
            return redirect(f"{_job_url(job.pk)}#proposals")
    return _job_page(request, job, status=422, propose_form=form)


# --- proposals on the work-order page --------------------------------------------------------


def proposal_photo(request, pk):
    """A proposal's photo, for whoever may see the order, and for the technician who took
    it (private storage, served as the image it is)."""
    item = get_object_or_404(ProposedItem.objects.select_related("job__technician"), pk=pk)
    user = request.user
    own = user.has_perm(P + "view_own_jobs") and services_floor.is_own_job(item.job, user)
    if not (user.has_perm(P + "view_workorder") or own):
        raise PermissionDenied(P + "view_workorder")
    return image_response(item.photo, name=f"proposal-{pk}", cache_control=PRIVATE_CACHE)


def _order_url(order_pk: int) -> str:
    return reverse("workorders:detail", args=[order_pk]) + "#proposals"


@require_POST
@require_perm(P + "change_workorder")
def proposal_add_lines(request, pk):
    item = get_object_or_404(ProposedItem.objects.select_related("work_order"), pk=pk)
    form = ProposalLinesForm(
        request.POST, item=item, free_lines=selectors_floor.free_added_lines(item.work_order)
    )
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(_order_url(item.work_order_id))
    data = form.cleaned_data
    new_lines = []
    if data["description"].strip():
        new_lines.append(
            work_orders.NewLine(
                kind=data["kind"],
                description=data["description"].strip(),
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                payer=data["payer"] or "customer",
            )
        )
    try:
        services_floor.proposed_item_add_lines(
            item=item, by=request.user, new_lines=new_lines, existing=data["existing"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已加入工单,请客户确认增项:{item.description}")
    return redirect(_order_url(item.work_order_id))


@require_POST
@require_perm(P + "change_workorder")
def proposal_decline(request, pk):
    item = get_object_or_404(ProposedItem, pk=pk)
    form = DeclineForm(request.POST, prefix=f"decline{item.pk}")
    if not form.is_valid():
        messages.error(request, "请填写不采纳的原因。")
        return redirect(_order_url(item.work_order_id))
    try:
        services_floor.proposed_item_decline(
            item=item, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已不采纳:{item.description}")
    return redirect(_order_url(item.work_order_id))


# --- the checks ----------------------------------------------------------------------------------


@require_perm(P + "inspect_workorder")
def team_queue(request):
    all_teams = request.user.has_perm(P + "dispatch_workorder")
    queue = selectors_floor.team_queue(user=request.user, all_teams=all_teams)
    for order in queue.to_self_check:
        order.refusals = services_floor.self_check_refusals(order)
    leads = all_teams or request.user.teams_led.exists()
    return render(request, "workshop/checks/team_queue.html", {"queue": queue, "leads": leads})


@require_perm(P + "qc_workorder")
def qc_queue(request):
    wash_step = current_settings(ServiceSettings).wash_step
    return render(
        request,
        "workshop/checks/qc_queue.html",
        {"queue": selectors_floor.qc_queue(wash_step=wash_step), "wash_step": wash_step},
    )


CHECKS = {
    CheckItem.Kind.TEAM: {
        "state": WorkOrder.Status.SELF_CHECKED,
        "service": services_floor.team_check,
        "queue": "workshop:team_queue",
        "title": "班组长检验",
    },
    CheckItem.Kind.FINAL: {
        "state": WorkOrder.Status.TEAM_CHECKED,
        "service": services_floor.final_check,
        "queue": "workshop:qc_queue",
        "title": "终检",
    },
}


def _check(request, pk, kind: str):
    """The check page of one order (GET) and its decision (POST)."""
    spec = CHECKS[kind]
    try:
        order = selectors_floor.check_page(pk=pk)
    except WorkOrder.DoesNotExist:
        raise Http404("工单不存在") from None
    if kind == CheckItem.Kind.TEAM and not services_floor.leads_order(order, request.user):
        raise PermissionDenied("workorders.inspect_workorder (not the lead of the order's teams)")
    items = services_floor.checklist(kind, services_floor.order_skill_ids(order))
    finished = [job for job in order.live_jobs if job.status == Job.Status.FINISHED]
    form = ChecklistForm(request.POST or None, items=items, jobs=finished)
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](
                work_order=order,
                by=request.user,
                answers=form.answers(),
                passed=form.passed,
                reason=form.cleaned_data["reason"],
                job_ids=form.cleaned_data["jobs"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            done = "合格" if form.passed else "不合格,已退回返工"
            messages.success(request, f"{spec['title']}{done}:{order.number}")
            return redirect(spec["queue"])
    return render(
        request,
        "workshop/checks/check.html",
        {
            "order": order,
            "form": form,
            "title": spec["title"],
            "queue": spec["queue"],
            "open": order.status == spec["state"],
            "kind": kind,
        },
        status=422 if request.method == "POST" else 200,
    )


@require_perm(P + "inspect_workorder")
def team_check(request, pk):
    return _check(request, pk, CheckItem.Kind.TEAM)


@require_perm(P + "qc_workorder")
def final_check(request, pk):
    return _check(request, pk, CheckItem.Kind.FINAL)


def _order_button(permission: str, action, done: str, back: str):
    """A button on a queue acting on one order (`action(work_order=, by=)`): the refusal
    or the success as a message, back to the queue `back`."""

    @require_POST
    @require_perm(permission)
    def view(request, pk):
        order = get_object_or_404(WorkOrder, pk=pk)
        try:
            action(work_order=order, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{done}:{order.number}")
        return redirect(back)

    return view


order_self_check = _order_button(
    P + "work_workorder", services_floor.work_order_self_check, "已转入自检", "workshop:team_queue"
)
order_wash = _order_button(
    P + "work_workorder", services_floor.work_order_wash_done, "洗车完成", "workshop:my_jobs"
)
order_release = _order_button(
    P + "qc_workorder", services_floor.work_order_release, "已转待交车", "workshop:qc_queue"
)


# --- figures -------------------------------------------------------------------------------------


@require_perm("workshop.view_technician")
def stats(request):
    form = PeriodForm(request.GET, today=timezone.localdate())
    period = form.chosen_period()
    return render(
        request,
        "workshop/stats.html",
        {"form": form, "stats": selectors_floor.floor_stats(period=period)},
    )
