"""The clerks' call queue: "next call", the call screen (回访界面) of the item claimed, and
the problems the calls raised (问题处理), satisfaction by department (满意度统计) (DOMAIN.md §5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import cursor_param, require_perm
from apps.core.settings import current_settings

from . import satisfaction, selectors, services
from .forms import CallForm, ProblemFilter, ProblemHandleForm, SatisfactionPeriodForm
from .models import CallbackSettings, CallItem, CallOutcome, Problem
from .questionnaires import questionnaire_for

QUEUE_PERMISSION = "callbacks.work_callitem"
PROBLEM_PERMISSION = "callbacks.view_problem"
SATISFACTION_PERMISSION = "callbacks.view_satisfaction"
TREND_MONTHS = 12


@require_perm(QUEUE_PERMISSION)
def queue(request):
    """The clerk's desk: today's queue in figures, the call the clerk holds, 下一个."""
    now = timezone.now()
    rules = current_settings(CallbackSettings)
    context = {
        "state": selectors.call_queue_state(now=now),
        "item": selectors.call_held_by(user=request.user, now=now),
        "today": timezone.localdate(now),
        "contact_limit": rules.contact_limit_per_week,
        "claim_minutes": rules.callback_claim_minutes,
    }
    return render(request, "callbacks/queue.html", context)


@require_POST
@require_perm(QUEUE_PERMISSION)
def queue_next(request):
    item = services.call_next(by=request.user)
    if item is not None:
        return redirect("callbacks:call_screen", item.pk)
    state = selectors.call_queue_state(now=timezone.now())
    if state.resumes_at is not None:
        resumes = timezone.localtime(state.resumes_at)
        messages.info(request, f"现在不在客户可接听的时段,{resumes:%H:%M} 恢复回访。")
    elif state.waiting:
        messages.info(request, "今天剩下的客户都不在可联系的时段(或正由他人拨打)。")
    else:
        messages.success(request, "今天的回访队列已全部领取。")
    return redirect("callbacks:queue")


@require_POST
@require_perm(QUEUE_PERMISSION)
def queue_release(request, pk):
    item = get_object_or_404(CallItem, pk=pk)
    try:
        services.call_release(item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.info(request, "已放回队列。")
    return redirect("callbacks:queue")


@require_perm(QUEUE_PERMISSION)
def call_screen(request, pk):
    """回访界面: the customer, what each callback asks about, the history, and the form of
    the call (outcome; each callback's questionnaire when reached). Only the clerk holding
    the item works it."""
    now = timezone.now()
    try:
        item = selectors.call_screen(pk=pk)
    except CallItem.DoesNotExist:
        return redirect("callbacks:queue")
    held = selectors.call_held_by_pk(user=request.user, now=now)
    if held != item.pk:
        messages.error(request, "这条回访不在您名下(可能已超时释放或被他人领取)。")
        return redirect("callbacks:queue")
    form = CallForm(request.POST or None, callbacks=item.open_callbacks)
    if request.method == "POST" and form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            services.call_record(
                item=item,
                by=request.user,
                outcome=outcome,
                answers=form.answers() if outcome == CallOutcome.REACHED else None,
                complaints=form.complaints() if outcome == CallOutcome.REACHED else None,
                note=form.cleaned_data["note"],
                call_back_at=form.cleaned_data["call_back_at"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            label = CallOutcome(outcome).label
            messages.success(request, f"已保存:{item.customer.name} · {label}。")
            return redirect("callbacks:queue")
    context = {
        "item": item,
        "form": form,
        "sections": [
            {**section, "questionnaire": questionnaire_for(section["callback"])}
            for section in form.section_fields()
        ],
        "today": timezone.localdate(now),
        "can_view_pii": request.user.has_perm("customers.view_pii"),
        "max_attempts": current_settings(CallbackSettings).callback_max_attempts,
    }
    return render(request, "callbacks/call_screen.html", context)


@require_perm(PROBLEM_PERMISSION)
def problem_list(request):
    """问题处理: problems raised by callbacks, open ones first by default."""
    data = request.GET if "status" in request.GET else {"status": Problem.Status.OPEN}
    filterset = ProblemFilter(data, queryset=Problem.objects.all())
    base = filterset.qs if filterset.is_valid() else Problem.objects.none()
    page = selectors.problems(
        base=base, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    context = {
        "filter": filterset,
        "page": page,
        "can_handle": request.user.has_perm("callbacks.change_problem"),
    }
    return render(request, "callbacks/problem_list.html", context)


@require_perm("callbacks.change_problem")
def problem_handle(request, pk):
    """快速处理表: record what was done and close the problem (or escalate it)."""
    try:
        problem = selectors.problem_for(pk=pk)
    except Problem.DoesNotExist:
        return redirect("callbacks:problem_list")
    form = ProblemHandleForm(request.POST or None, instance=problem)
    if request.method == "POST" and problem.status == Problem.Status.OPEN and form.is_valid():
        data = form.cleaned_data
        try:
            services.problem_handle(
                problem=problem,
                by=request.user,
                department=data["department"],
                responsible=data["responsible"],
                due_on=data["due_on"],
                action=data["action"],
                result=data["result"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, "问题已处理并关闭,已安排二次回访。")
            return redirect("callbacks:problem_list")
    context = {
        "problem": problem,
        "form": form,
        "escalate_url": selectors.escalate_url(problem),
    }
    return render(request, "callbacks/problem_handle.html", context)


@require_perm(SATISFACTION_PERMISSION)
def satisfaction_page(request):
    """满意度统计: each department's satisfaction over the chosen period, and the last
    TREND_MONTHS months' trend (two queries)."""
    today = timezone.localdate()
    form = SatisfactionPeriodForm(request.GET, today=today)
    period, kind = form.chosen_period(), form.chosen_kind()
    rows = satisfaction.satisfaction(period.start, period.end, kind=kind)
    context = {
        "form": form,
        "period": period,
        "rows": rows,
        "total": satisfaction.satisfaction_total(rows),
        "trend": satisfaction.satisfaction_trend(months=TREND_MONTHS, until=period.end, kind=kind),
    }
    return render(request, "callbacks/satisfaction.html", context)
