"""The complaint pages (namespace `complaints`): the list, the create form, one
complaint's page with its timeline and next steps.

HTTP, permissions and forms only: every POST calls one service and shows its
ValidationError on the page it came from (post/redirect/get on success).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.callbacks import selectors as callback_selectors
from apps.callbacks.models import Callback, Problem
from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.periods import PeriodForm
from apps.customers.models import Customer

from . import selectors, services, transitions
from .forms import (
    ComplaintCreateForm,
    ComplaintFilter,
    EvaluationForm,
    NoteForm,
    ProposalForm,
    ResolutionForm,
)
from .models import Complaint

P = "complaints."


@require_perm(P + "view_complaint")
def complaint_list(request):
    filterset = ComplaintFilter(request.GET, queryset=selectors.complaints_for_list())
    base = filterset.qs if filterset.is_valid() else Complaint.objects.none()
    page = selectors.complaint_list(
        base=base, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    return render(
        request,
        "complaints/list.html",
        {"filter": filterset, "page": page, "today": timezone.localdate()},
    )


@require_perm(P + "view_complaint")
def complaint_stats(request):
    """投诉统计: the period's complaints by category, department and cause."""
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today)
    period = form.chosen_period()
    stats = selectors.complaint_statistics(
        start_at=period.start_at, end_before=period.end_before, today=today
    )
    return render(
        request, "complaints/stats.html", {"form": form, "period": period, "stats": stats}
    )


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() else None


@require_perm(P + "add_complaint")
def complaint_create(request):
    """受理投诉 for a customer (?customer=<pk>, from the customer's page) or on a
    callback (?callback=<pk>: its customer, vehicle and work order prefilled, channel 回访)."""
    callback = customer = problem = None
    callback_pk = _int_param(request, "callback")
    problem_pk = _int_param(request, "problem")
    if problem_pk is not None:
        problem = get_object_or_404(
            Problem.objects.select_related(
                "callback__customer", "callback__vehicle", "callback__work_order"
            ),
            pk=problem_pk,
        )
        callback = problem.callback
        customer = callback.customer
    elif callback_pk is not None:
        callback = get_object_or_404(
            Callback.objects.select_related("customer", "vehicle", "work_order"), pk=callback_pk
        )
        customer = callback.customer
    else:
        customer_pk = _int_param(request, "customer")
        if customer_pk is not None:
            customer = get_object_or_404(Customer, pk=customer_pk)
    if customer is None:
        return render(request, "complaints/create.html", {"form": None})
    initial = {"description": problem.what} if problem is not None else None
    form = ComplaintCreateForm(
        request.POST or None, customer=customer, callback=callback, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_create(
                by=request.user,
                customer=customer,
                source_callback=callback,
                source_problem=problem,
                channel=data["channel"],
                category=data["category"],
                severity=data["severity"],
                complainant=data["complainant"],
                vehicle=data["vehicle"],
                work_order=data["work_order"],
                description=data["description"],
                demand=data["demand"],
                maker_deadline=data["maker_deadline"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"已受理投诉 {complaint.number},解决期限 {complaint.resolve_due_on:%Y-%m-%d}。",
            )
            return redirect(complaint.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "complaints/create.html",
        {"form": form, "customer": customer, "callback": callback, "problem": problem},
        status=status,
    )


@require_perm(P + "add_complaint")
def complaint_create_from_problem(request, problem_pk: int):
    """转投诉 from 问题处理: the create form, prefilled from the problem and its callback."""
    problem = get_object_or_404(Problem, pk=problem_pk)
    return redirect(f"{reverse('complaints:create')}?problem={problem.pk}")


def _load(pk: int) -> Complaint:
    try:
        return selectors.complaint_page(pk=pk)
    except Complaint.DoesNotExist:
        raise Http404("投诉不存在") from None


def _render(request, complaint: Complaint, status: int = 200, **forms):
    moves = transitions.available_transitions(complaint, request.user)
    today = timezone.localdate()
    context = {
        "complaint": complaint,
        "today": today,
        "overdue": complaint.overdue(today),
        # What the second callback recorded: the handler closes (or reopens) on it.
        "second_answers": callback_selectors.answers_shown(complaint.second_callback)
        if complaint.second_callback
        else [],
        "note_moves": [(m, b) for m, b in moves if not m.via],
        "proposal_move": next((m for m, _b in moves if m.via == "proposal"), None),
        "resolution_move": next((m for m, _b in moves if m.via == "resolution"), None),
        "evaluation_move": next((m for m, _b in moves if m.via == "evaluation"), None),
        "evaluation_blocked": next((b for m, b in moves if m.via == "evaluation"), []),
        "note_form": forms.get("note_form"),
        "proposal_form": forms.get("proposal_form")
        or ProposalForm(
            initial={
                "cause": complaint.cause,
                "department": complaint.department,
                "responsible_person": complaint.responsible_person,
                "solution": complaint.solution,
            }
        ),
        "resolution_form": forms.get("resolution_form")
        or ResolutionForm(initial={"customer_signature": complaint.customer.name}),
        "evaluation_form": forms.get("evaluation_form") or EvaluationForm(),
    }
    return render(request, "complaints/detail.html", context, status=status)


@require_perm(P + "view_complaint")
def complaint_detail(request, pk):
    return _render(request, _load(pk))


def _done(request, complaint: Complaint, step):
    messages.success(request, f"投诉 {complaint.number}:{step.label}。")
    return redirect(complaint.get_absolute_url())


@require_POST
@require_perm(P + "view_complaint")
def complaint_transition(request, pk):
    """The moves with a note: 判定成立/不成立, 批准/退回方案, 二次回访不满意, 经理关闭.
    The service checks each move's own permission."""
    complaint = _load(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"]
        if name not in transitions.TRANSITIONS:
            raise Http404("没有这个操作")
        try:
            step = services.complaint_transition(
                complaint=complaint, name=name, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, complaint, step)
    return _render(request, complaint, status=422, note_form=form)


@require_POST
@require_perm(P + "work_complaint")
def complaint_propose(request, pk):
    complaint = _load(pk)
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            step = services.complaint_propose(
                complaint=complaint, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, complaint, step)
    return _render(request, complaint, status=422, proposal_form=form)


@require_POST
@require_perm(P + "work_complaint")
def complaint_resolve(request, pk):
    complaint = _load(pk)
    form = ResolutionForm(request.POST)
    if form.is_valid():
        try:
            step = services.complaint_resolve(
                complaint=complaint, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, complaint, step)
    return _render(request, complaint, status=422, resolution_form=form)


@require_POST
@require_perm(P + "work_complaint")
def complaint_close(request, pk):
    complaint = _load(pk)
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            step = services.complaint_close_satisfied(
                complaint=complaint,
                by=request.user,
                evaluation=form.cleaned_data["evaluation"],
                called_at=form.cleaned_data["called_at"],
                customer_satisfied=form.cleaned_data["customer_satisfied"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, complaint, step)
    return _render(request, complaint, status=422, evaluation_form=form)
