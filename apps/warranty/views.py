"""The warranty pages (namespace `warranty`): claims, paper documents, the monthly
statement, the 三包 counts of a vehicle and the watch list.

HTTP, permissions and forms only: every POST calls one service and shows its
ValidationError on the page it came from (post/redirect/get on success).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.settings import current_settings
from apps.customers.models import Vehicle
from apps.workorders.models import WorkOrder

from . import selectors, services, statement, transitions
from .forms import (
    MAIN_PART_SUGGESTIONS,
    ApproveForm,
    BatchSendForm,
    ClaimCreateForm,
    ClaimFilter,
    ClaimForm,
    InvoiceForm,
    PayForm,
    SignForm,
    TransitionForm,
    last_month,
    parse_month,
)
from .models import DocumentBatch, WarrantyClaim, WarrantySettings

P = "warranty."


# --- claims ------------------------------------------------------------------------------------


@require_perm(P + "view_warrantyclaim")
def claim_list(request):
    filterset = ClaimFilter(request.GET, queryset=selectors.claims_for_list())
    base = filterset.qs if filterset.is_valid() else WarrantyClaim.objects.none()
    page = selectors.claim_list(
        base=base, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    return render(request, "warranty/claim_list.html", {"filter": filterset, "page": page})


def _load(pk: int) -> WarrantyClaim:
    try:
        return selectors.claim_page(pk=pk)
    except WarrantyClaim.DoesNotExist:
        raise Http404("索赔单不存在") from None


def _claim_context(request, claim: WarrantyClaim, forms: dict) -> dict:
    user = request.user
    moves = transitions.available_transitions(claim, user)
    editable = claim.is_editable and user.has_perm(P + "change_warrantyclaim")
    return {
        "claim": claim,
        "order": claim.work_order,
        "moves": [(move, blocked) for move, blocked in moves if not move.via],
        "approve_move": next((m for m, b in moves if m.via == "amount"), None),
        "pay_move": next((m for m, b in moves if m.via == "payment"), None),
        "form": (forms.get("form") or ClaimForm(claim=claim)) if editable else None,
        "transition_form": forms.get("transition_form"),
        "approve_form": forms.get("approve_form")
        or ApproveForm(initial={"approved_amount": claim.claimed_amount}),
        "pay_form": forms.get("pay_form")
        or PayForm(
            initial={
                "paid_amount": claim.approved_amount,
                "maker_reference": claim.maker_reference,
            }
        ),
        "can_delete": claim.status == WarrantyClaim.Status.DRAFT
        and user.has_perm(P + "delete_warrantyclaim"),
        "main_parts": MAIN_PART_SUGGESTIONS,
        "due_on": selectors.claim_due_on(claim.work_order, current_settings(WarrantySettings)),
        "status": selectors.vehicle_warranty_status(claim.vehicle, now=timezone.now()),
    }


def _render_claim(request, claim: WarrantyClaim, status: int = 200, **forms):
    return render(
        request, "warranty/claim_detail.html", _claim_context(request, claim, forms), status=status
    )


@require_perm(P + "view_warrantyclaim")
def claim_detail(request, pk):
    return _render_claim(request, _load(pk))


def _back(claim: WarrantyClaim, anchor: str = ""):
    url = reverse("warranty:claim_detail", args=[claim.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@require_POST
@require_perm(P + "add_warrantyclaim")
def claim_create(request, order_pk):
    """From the work-order page: the checked warranty lines (none checked: every warranty
    line not claimed yet) become a draft claim."""
    order = get_object_or_404(WorkOrder, pk=order_pk)
    lines = selectors.warranty_lines(order, order.lines.order_by("id"))
    form = ClaimCreateForm(request.POST, lines=lines)
    chosen = None
    if request.POST.getlist("lines"):
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("lines", ["请选择三包明细。"])))
            return redirect(order.get_absolute_url() + "#warranty")
        wanted = set(form.cleaned_data["lines"])
        chosen = [line for line in lines if line.pk in wanted]
    try:
        claim = services.claim_create(work_order=order, by=request.user, lines=chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(order.get_absolute_url() + "#warranty")
    messages.success(request, f"已建立索赔单 {claim.number},请填写故障与维修信息。")
    return _back(claim)


@require_POST
@require_perm(P + "change_warrantyclaim")
def claim_update(request, pk):
    claim = _load(pk)
    form = ClaimForm(request.POST, claim=claim)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_update(
                claim=claim,
                by=request.user,
                fault_description=data["fault_description"],
                cause=data["cause"],
                repair_done=data["repair_done"],
                service_order_number=data["service_order_number"],
                outside_service_km=data["outside_service_km"],
                system=data["system"],
                main_part=data["main_part"],
                fault_code=data["fault_code"],
                serious_fault=data["serious_fault"],
                replacement=data["replacement"],
                old_part_faults=form.old_part_faults(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "索赔单已保存。")
            return _back(claim)
    return _render_claim(request, claim, status=422, form=form)


@require_POST
@require_perm(P + "delete_warrantyclaim")
def claim_delete(request, pk):
    claim = _load(pk)
    try:
        services.claim_delete(claim=claim, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(claim)
    messages.success(request, f"索赔单 {claim.number} 已删除。")
    return redirect(claim.work_order.get_absolute_url() + "#warranty")


@require_POST
@require_perm(P + "change_warrantyclaim")
def claim_transition(request, pk):
    """提交厂家, 登记厂家驳回 (with the maker's reason), 修改后重新提交."""
    claim = _load(pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"]
        if name not in transitions.TRANSITIONS:
            raise Http404("没有这个操作")
        try:
            change = services.claim_transition(
                claim=claim, name=name, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"索赔单 {claim.number}:{change.get_to_status_display()}。")
            return _back(claim)
    return _render_claim(request, claim, status=422, transition_form=form)


@require_POST
@require_perm(P + "decide_warrantyclaim")
def claim_approve(request, pk):
    claim = _load(pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.claim_approve(
                claim=claim,
                by=request.user,
                approved_amount=form.cleaned_data["approved_amount"],
                maker_reference=form.cleaned_data["maker_reference"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"索赔单 {claim.number}:厂家已批准。")
            return _back(claim)
    return _render_claim(request, claim, status=422, approve_form=form)


@require_POST
@require_perm(P + "pay_warrantyclaim")
def claim_pay(request, pk):
    claim = _load(pk)
    form = PayForm(request.POST)
    if form.is_valid():
        try:
            services.claim_pay(
                claim=claim,
                by=request.user,
                paid_amount=form.cleaned_data["paid_amount"],
                maker_reference=form.cleaned_data["maker_reference"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"索赔单 {claim.number}:厂家已付款。")
            return _back(claim)
    return _render_claim(request, claim, status=422, pay_form=form)


# --- paper documents -------------------------------------------------------------------------


def _month(request, name: str = "month"):
    return parse_month(
        request.GET.get(name) or request.POST.get(name), default=timezone.localdate().replace(day=1)
    )


def _documents_url(month) -> str:
    return f"{reverse('warranty:documents')}?month={month:%Y-%m}"


@require_perm(P + "manage_claim_documents")
def documents(request):
    month = _month(request)
    overview = selectors.documents_month(month=month)
    return render(
        request,
        "warranty/documents.html",
        {"month": month, "overview": overview, "send_form": BatchSendForm()},
    )


@require_POST
@require_perm(P + "manage_claim_documents")
def documents_sign(request):
    month = _month(request)
    overview = selectors.documents_month(month=month)
    form = SignForm(request.POST, claims=overview.unsigned)
    if form.is_valid():
        wanted = set(form.cleaned_data["claims"])
        count = services.claims_sign_documents(
            claims=[claim for claim in overview.unsigned if claim.pk in wanted], by=request.user
        )
        messages.success(request, f"已登记 {count} 份索赔单据签字。")
    else:
        messages.error(request, "请勾选已签字的索赔单。")
    return redirect(_documents_url(month))


@require_POST
@require_perm(P + "manage_claim_documents")
def batch_create(request):
    month = _month(request)
    try:
        batch = services.document_batch_create(month=month, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已建立寄送批次 {batch.number}({batch.claims.count()} 份)。")
    return redirect(_documents_url(month))


@require_POST
@require_perm(P + "manage_claim_documents")
def batch_send(request, pk):
    batch = get_object_or_404(DocumentBatch, pk=pk)
    form = BatchSendForm(request.POST)
    if form.is_valid():
        try:
            services.document_batch_send(
                batch=batch,
                by=request.user,
                carrier_reference=form.cleaned_data["carrier_reference"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"批次 {batch.number} 已登记寄出。")
    else:
        messages.error(request, "请填写快递单号。")
    return redirect(_documents_url(batch.month))


# --- the monthly statement ---------------------------------------------------------------


def _statement_month(request):
    return parse_month(
        request.GET.get("month") or request.POST.get("month"),
        default=last_month(timezone.localdate()),
    )


def _statement_page(request, month, invoice_form=None, status=200):
    return render(
        request,
        "warranty/statement.html",
        {
            "month": month,
            "totals": selectors.statement_totals(month=month),
            "claims": list(selectors.statement_claims(month=month)[: statement.PAGE_ROWS]),
            "page_rows": statement.PAGE_ROWS,
            "invoice_form": invoice_form or InvoiceForm(),
            "can_invoice": month < timezone.localdate().replace(day=1),
        },
        status=status,
    )


@require_perm(P + "view_warranty_statement")
def statement_page(request):
    return _statement_page(request, _statement_month(request))


@require_perm(P + "view_warranty_statement")
def statement_excel(request):
    month = _statement_month(request)
    return FileResponse(
        statement.statement_workbook(month=month),
        as_attachment=True,
        filename=f"三包索赔月结单-{month:%Y-%m}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_POST
@require_perm(P + "view_warranty_statement")
def statement_invoice(request):
    month = _statement_month(request)
    form = InvoiceForm(request.POST)
    if form.is_valid():
        try:
            services.statement_record_invoice(
                month=month,
                by=request.user,
                invoice_number=form.cleaned_data["invoice_number"],
                invoice_issued_on=form.cleaned_data["invoice_issued_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{month:%Y年%m月}索赔月结单已登记开票。")
            return redirect(f"{reverse('warranty:statement')}?month={month:%Y-%m}")
    return _statement_page(request, month, invoice_form=form, status=422)


# --- the 三包 counts ------------------------------------------------------------------------


@require_perm(P + "view_warrantyclaim")
def vehicle_status(request, vehicle_pk):
    vehicle = get_object_or_404(Vehicle.objects.select_related("owner"), pk=vehicle_pk)
    return render(
        request,
        "warranty/vehicle_status.html",
        {
            "vehicle": vehicle,
            "status": selectors.vehicle_warranty_status(vehicle, now=timezone.now()),
            "rules": current_settings(WarrantySettings),
        },
    )


@require_perm(P + "view_warranty_watch")
def watch_list(request):
    now = timezone.now()
    page, rows = selectors.watch_page(
        now=now, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    return render(
        request,
        "warranty/watch_list.html",
        {
            "page": page,
            "rows": rows,
            "counts": selectors.watch_count(now=now),
            "in_workshop": selectors.in_workshop_repairs(now=now, limit=selectors.WORKSHOP_LIMIT),
        },
    )
