"""The work-order page (the advisor's tablet document), the list and the advisor's home.

HTTP, permissions and forms only: every POST calls one service (services.py) and shows its
ValidationError on the form it came from; a successful POST redirects back to the page
(post/redirect/get), to the section it acted on.
"""

import functools

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.settings import current_settings
from apps.parts.models import Part

from . import documents, selectors, selectors_pages, services, transitions
from .forms import (
    ApprovalForm,
    CatalogueLineForm,
    DelayNoticeForm,
    DeliverForm,
    InternalCheckForm,
    LineEditForm,
    ManualLineForm,
    TransitionForm,
    WorkOrderFilter,
    default_payer,
    payments_formset,
)
from .models import (
    CannedJob,
    LabourOperation,
    LineStatus,
    ServiceSettings,
    WorkOrder,
    WorkOrderDocument,
    WorkOrderLine,
)

S = WorkOrder.Status
P = "workorders."
# The states in which the car is in the workshop: the line actions 完工 / 质检通过 show.
WORKSHOP_STATES = (S.DISPATCHED, S.IN_PROGRESS, S.SELF_CHECKED, S.TEAM_CHECKED, S.QC_PASSED)
# The internal check comes after the final QC, before the car is handed over.
INTERNAL_CHECK_STATES = (S.QC_PASSED, S.WASHED, S.READY)
# Where each dedicated form sits on the page (transitions with `via`).
APPROVAL = "work_order_record_approval"
VIA_ANCHORS = {
    APPROVAL: "approval",
    "work_order_deliver": "delivery",
    "work_order_settle": "settlement",
}
READ_ONLY_MESSAGE = "该工单为只读(旧系统导入、已结算或已取消),不能修改。"


def _detail_url(order: WorkOrder, anchor: str = "") -> str:
    url = reverse("workorders:detail", args=[order.pk])
    return f"{url}#{anchor}" if anchor else url


def _load(pk: int) -> WorkOrder:
    try:
        return selectors_pages.work_order_page(pk=pk)
    except WorkOrder.DoesNotExist:
        raise Http404("工单不存在") from None


def _is_at_risk(order: WorkOrder, now) -> bool:
    """Whether the promise watch (services.work_orders_at_risk) lists this order."""
    if order.promised_at is None or order.status not in selectors_pages.OPEN_STATES:
        return False
    at_risk = selectors.work_orders_at_risk(advisor=order.advisor, now=now)
    return any(o.pk == order.pk for o in at_risk)


def _detail_context(request, order: WorkOrder, forms: dict) -> dict:
    user = request.user
    now = timezone.now()
    editable = not order.is_read_only
    # A delivered car takes no more lines, approvals or delay notices: only settlement.
    can_change = editable and order.status != S.DELIVERED and user.has_perm(P + "change_workorder")
    limit = current_settings(ServiceSettings).max_line_discount_percent
    lines = list(order.lines.all())
    proposed = [line for line in lines if line.status == LineStatus.PROPOSED]
    edit_forms = forms.get("edit_forms", {})
    for line in lines:
        line.is_approved = line.status == LineStatus.APPROVED
        line.needs_discount_approval = services.discount_awaits_manager(line, limit=limit)
        # A proposed line's edit form is loaded when asked for (workorder_line_edit_form):
        # forty forms on a big order's page would cost more than the rest of it.
        line.editable = can_change and line.status == LineStatus.PROPOSED
        line.edit_form = edit_forms.get(line.pk) if line.editable else None
    groups = [
        (label, [line for line in lines if line.kind == kind])
        for kind, label in WorkOrderLine.Kind.choices
    ]
    moves = transitions.available_transitions(order, user) if editable else []
    forward = [
        # The approval form approves the lines its guard asks for: no refusal to show while
        # it is on the page (there are lines to decide).
        (move, [] if move.via == APPROVAL and proposed else blocked, VIA_ANCHORS.get(move.via, ""))
        for move, blocked in moves
        if not move.backward
    ]
    backward = [(move, blocked) for move, blocked in moves if move.backward]
    approvals = [
        (approval, services.approval_verify(approval)) for approval in order.approvals.all()
    ]
    issued: dict[str, list[WorkOrderDocument]] = {}
    for document in order.documents.all():  # newest version first (the model's ordering)
        issued.setdefault(document.kind, []).append(document)
    printable = (
        documents.printable_kinds(order, lines) if user.has_perm(P + "change_workorder") else []
    )
    # One row a kind the order has or can have now: its versions and a 打印 button.
    document_rows = [
        (kind, label, issued.get(kind, []), kind in printable)
        for kind, label in WorkOrderDocument.Kind.choices
        if kind in issued or kind in printable
    ]
    context = {
        "order": order,
        "groups": groups,
        "lines": lines,
        "proposed": proposed,
        "discount_limit": limit,
        "at_risk": _is_at_risk(order, now),
        "forward": forward,
        "backward": backward,
        "transition_form": forms.get("transition_form"),
        "approvals": approvals,
        "document_rows": document_rows,
        "has_inspection": documents.has_inspection(order),
        "can_change": can_change,
        "can_approve_discount": editable and user.has_perm(P + "approve_discount"),
        "can_work": editable and order.status in WORKSHOP_STATES,
        "is_import": order.source == WorkOrder.Source.IMPORT,
        "payers": [
            ("客户", order.customer_paid_amount),
            ("三包/索赔", order.warranty_amount),
            ("保险", order.insurance_amount),
            ("内部", order.internal_amount),
            ("活动免费", order.campaign_amount),
        ],
    }
    if can_change:
        context["manual_line_form"] = forms.get("manual_line_form") or ManualLineForm(
            initial={"payer": default_payer(order), "quantity": 1}
        )
        if order.status in selectors_pages.OPEN_STATES and order.promised_at:
            context["delay_form"] = forms.get("delay_form") or DelayNoticeForm()
    if can_change and proposed:
        context["approval_form"] = forms.get("approval_form") or ApprovalForm(
            lines=proposed,
            initial={"customer_name": order.customer.name, "method": "signature"},
        )
    can_deliver = editable and user.has_perm(P + "deliver_workorder")
    if can_deliver and order.status in INTERNAL_CHECK_STATES and not order.internal_checked_at:
        context["internal_check_form"] = forms.get("internal_check_form") or InternalCheckForm()
    if can_deliver and order.status == S.READY:
        context["deliver_form"] = forms.get("deliver_form") or _deliver_form(order)
    if editable and order.status == S.DELIVERED and user.has_perm(P + "settle_workorder"):
        context["payments"] = forms.get("payments") or payments_formset(order)
    return context


def _deliver_form(order: WorkOrder) -> DeliverForm:
    on, km = services.next_maintenance_defaults(order, on=timezone.localdate())
    return DeliverForm(
        initial={
            "next_maintenance_on": on,
            "next_maintenance_km": km,
            "callback_preferred_time": order.customer.preferred_contact_time,
        }
    )


def _render(request, order: WorkOrder, **forms):
    context = _detail_context(request, order, forms)
    return render(request, "workorders/detail.html", context)


@require_perm(P + "view_workorder")
def workorder_detail(request, pk):
    return _render(request, _load(pk))


def _back(request, order: WorkOrder, anchor: str = "") -> HttpResponse:
    """Back to the order's page (post/redirect/get); an htmx request (the catalogue box may
    post with htmx) reloads the whole page."""
    url = _detail_url(order, anchor)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def order_post(permission: str):
    """A POST acting on one order of the page: POST only, `permission`, and the order loaded
    and still editable; the view gets the order (`view(request, order, **kwargs)`). A
    read-only order goes back to its page with the message."""

    def decorate(view):
        @require_POST
        @require_perm(permission)
        @functools.wraps(view)
        def wrapped(request, pk, **kwargs):
            order = _load(pk)
            if order.is_read_only:
                messages.error(request, READ_ONLY_MESSAGE)
                return _back(request, order)
            return view(request, order, **kwargs)

        return wrapped

    return decorate


def _submit(request, order: WorkOrder, form, act, *, again: dict, anchor: str = ""):
    """One form of the page, posted: a valid form goes to its service (`act(cleaned_data)`,
    which returns the message to show) and back to the page at `anchor`; an invalid form, or
    the service's ValidationError, shows the page again with the form's errors (`again`:
    the keywords of `_render` that put the form back in its place)."""
    if form.is_valid():
        try:
            done = act(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return _back(request, order, anchor)
    return _render(request, order, **again)


def _line(order: WorkOrder, line_pk) -> WorkOrderLine:
    for line in order.lines.all():
        if line.pk == line_pk:
            return line
    raise Http404("该工单没有这一项")


# --- lines -------------------------------------------------------------------------------------


@order_post(P + "change_workorder")
def workorder_add_line(request, order):
    form = ManualLineForm(request.POST)

    def act(data):
        line = services.NewLine(
            kind=data["kind"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            payer=data["payer"],
        )
        services.work_order_add_lines(work_order=order, by=request.user, lines=[line])
        return f"已添加:{line.description}"

    return _submit(request, order, form, act, again={"manual_line_form": form}, anchor="lines")


CATALOGUE_SOURCES = {"labour": LabourOperation, "part": Part, "canned": CannedJob}


@order_post(P + "change_workorder")
def workorder_add_catalogue_line(request, order):
    """A hit of the catalogue's line search (source labour / part / canned + source_id):
    one line from the catalogue, or every line of a canned job. Errors show as messages
    (the search box has no form to show them on)."""
    form = CatalogueLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(m for ms in form.errors.values() for m in ms))
    else:
        _add_from_catalogue(request, order, form.cleaned_data)
    return _back(request, order, "lines")


def _add_from_catalogue(request, order: WorkOrder, data: dict) -> None:
    model = CATALOGUE_SOURCES[data["source"]]
    try:
        item = model.objects.get(pk=data["source_id"], active=True)
    except ObjectDoesNotExist:
        messages.error(request, "目录中没有这一项(可能已停用),请重新搜索。")
        return
    payer = data.get("payer") or default_payer(order)
    try:
        if data["source"] == "canned":
            services.work_order_add_canned_job(work_order=order, by=request.user, canned_job=item)
            messages.success(request, f"已添加套餐:{item.name}")
            return
        if data["source"] == "labour":
            new = services.line_from_labour_operation(item, payer=payer)
        else:
            new = services.line_from_part(item, quantity=data.get("quantity") or 1, payer=payer)
        services.work_order_add_lines(work_order=order, by=request.user, lines=[new])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已添加:{new.description}")


@require_GET
@require_perm(P + "change_workorder")
def workorder_line_edit_form(request, pk, line_pk):
    """The edit form of one proposed line, loaded into the page when 修改 is pressed."""
    line = get_object_or_404(
        WorkOrderLine.objects.select_related("work_order"), pk=line_pk, work_order_id=pk
    )
    order = line.work_order
    if order.is_read_only or order.status == S.DELIVERED or line.status != LineStatus.PROPOSED:
        return HttpResponse('<p class="text-muted small mb-0">该项目已不能修改,请刷新页面。</p>')
    return render(
        request,
        "workorders/partials/line_edit_form.html",
        {"order": order, "line": line, "form": LineEditForm.for_line(line)},
    )


@order_post(P + "change_workorder")
def workorder_line_update(request, order, line_pk):
    line = _line(order, line_pk)
    form = LineEditForm.for_line(line, request.POST)

    def act(data):
        services.line_update(line=line, by=request.user, **data)
        return f"已修改:{line.description}"

    return _submit(
        request, order, form, act, again={"edit_forms": {line.pk: form}}, anchor=f"line-{line.pk}"
    )


def _line_button(permission: str, action, done: str):
    """The view of a button on one line (remove, approve the discount, done, QC passed):
    `action(line=, by=)` is its service, whose refusal shows as a message at the top of the
    page; `done` starts the message of success."""

    @order_post(permission)
    def view(request, order, line_pk):
        line = _line(order, line_pk)
        try:
            action(line=line, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _back(request, order)
        messages.success(request, f"{done}:{line.description}")
        return _back(request, order, "lines")

    return view


workorder_line_remove = _line_button(P + "change_workorder", services.line_remove, "已删除")
workorder_line_approve_discount = _line_button(
    P + "approve_discount", services.line_approve_discount, "已批准优惠"
)
workorder_line_done = _line_button(P + "work_workorder", services.line_mark_done, "已完工")
workorder_line_qc_pass = _line_button(P + "qc_workorder", services.line_qc_pass, "质检通过")


# --- approval, states, delay -------------------------------------------------------------------


@order_post(P + "change_workorder")
def workorder_approve(request, order):
    proposed = [line for line in order.lines.all() if line.status == LineStatus.PROPOSED]
    form = ApprovalForm(request.POST, lines=proposed)

    def act(data):
        signed = data["method"] == "signature"
        services.work_order_record_approval(
            work_order=order,
            by=request.user,
            decisions=form.decisions(),
            decline_reasons=form.decline_reasons(),
            method=data["method"],
            customer_name=data["customer_name"],
            png_data_url=data["png_data_url"] if signed else None,
            points=data["points"] if signed else None,
            phone_number="" if signed else data["phone_number"],
            phone_note="" if signed else data["phone_note"],
        )
        return "已记录客户确认。"

    return _submit(request, order, form, act, again={"approval_form": form})


@order_post(P + "view_workorder")
def workorder_transition(request, order):
    """A state button: the service checks the permission, the guards and the race."""
    form = TransitionForm(request.POST)

    def act(data):
        move = transitions.TRANSITIONS.get(data["name"])
        if move is None:
            raise Http404("没有这个操作")
        services.work_order_transition(
            work_order=order, name=move.name, by=request.user, reason=data["reason"]
        )
        return f"已完成:{move.label}"

    return _submit(request, order, form, act, again={"transition_form": form})


@order_post(P + "change_workorder")
def workorder_delay_notice(request, order):
    form = DelayNoticeForm(request.POST)

    def act(data):
        services.work_order_delay_notice(work_order=order, by=request.user, **data)
        return "已记录延时告知和新的承诺交车时间。"

    return _submit(request, order, form, act, again={"delay_form": form})


# --- delivery and settlement -------------------------------------------------------------------


@order_post(P + "deliver_workorder")
def workorder_internal_check(request, order):
    form = InternalCheckForm(request.POST)

    def act(data):
        services.work_order_internal_check(
            work_order=order, by=request.user, old_parts=data["old_parts"]
        )
        return "交车前内部检查已完成。"

    return _submit(
        request, order, form, act, again={"internal_check_form": form}, anchor="delivery"
    )


@order_post(P + "deliver_workorder")
def workorder_deliver(request, order):
    form = DeliverForm(request.POST)

    def act(data):
        services.work_order_deliver(work_order=order, by=request.user, **data)
        return "已交车。"

    return _submit(request, order, form, act, again={"deliver_form": form}, anchor="settlement")


@order_post(P + "settle_workorder")
def workorder_settle(request, order):
    formset = payments_formset(order, request.POST)
    if formset.is_valid():
        payments = [
            services.NewPayment(
                method=row["method"], amount=row["amount"], reference=row["reference"].strip()
            )
            for row in formset.cleaned_data
            if row.get("amount") is not None
        ]
        try:
            services.work_order_settle(work_order=order, by=request.user, payments=payments)
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, "已结算。")
            return _back(request, order)
    return _render(request, order, payments=formset)


# --- the list and the advisor's home -----------------------------------------------------------


@require_perm(P + "view_workorder")
def workorder_list(request):
    filterset = WorkOrderFilter(request.GET, queryset=selectors_pages.work_orders_for_list())
    base = filterset.qs if filterset.is_valid() else WorkOrder.objects.none()
    page = selectors_pages.work_order_list(
        base=base, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    return render(request, "workorders/list.html", {"filter": filterset, "page": page})


@require_perm(P + "change_workorder")
def advisor_home(request):
    return render(
        request,
        "workorders/advisor_home.html",
        {"day": selectors_pages.advisor_day(advisor=request.user, now=timezone.now())},
    )
