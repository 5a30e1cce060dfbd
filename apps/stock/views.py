"""Pages of the parts stock (namespace `stock`): HTTP, permissions and forms only; every
POST calls one service and shows its ValidationError where it came from; a successful POST
redirects (post/redirect/get)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.appointments.models import Appointment
from apps.core.http import add_service_errors, cursor_param, image_response, require_perm
from apps.core.settings import current_settings
from apps.parts.models import Part
from apps.workorders.models import WorkOrder, WorkOrderLine

from . import accessories, counts, selectors, services
from .forms import (
    RECEIPT_ROWS,
    CountEntryForm,
    CountMoveForm,
    CountOpenForm,
    LineRequestForm,
    PartRequestForm,
    PickDayForm,
    ReasonForm,
    ReceiptForm,
    ReceiptLineFormSet,
    SlipForm,
    StockAtForm,
    StockSearchForm,
    StockSettingsForm,
)
from .models import (
    GoodsReceipt,
    IssueSlip,
    PickList,
    PurchaseRequest,
    StockCount,
    StockSettings,
)

ST = "stock."
PRIVATE_CACHE = "private, max-age=3600"


def _page_cursors(request) -> dict:
    return {"after": cursor_param(request, "after"), "before": cursor_param(request, "before")}


# --- stock ---------------------------------------------------------------------------------------


@require_perm(ST + "view_stock")
def stock_list(request):
    """库存: the catalogue with each part's stock; search, bin, below minimum."""
    search = StockSearchForm(request.GET or None)
    filters = {"query": "", "bin_prefix": "", "below_minimum": False}
    if search.is_valid():
        data = search.cleaned_data
        filters = {
            "query": data["q"],
            "bin_prefix": data["bin"],
            "below_minimum": data["below_minimum"],
        }
    page = selectors.stock_list(**filters, **_page_cursors(request))
    for part in page.rows:
        part.stock_row = selectors.stock_of(part)
    return render(request, "stock/stock_list.html", {"search": search, "page": page, **filters})


def _part_context(request, part: Part, **forms) -> dict:
    stock = selectors.stock_of(part)
    at_form = StockAtForm(request.GET if "on" in request.GET else None)
    stock_at = (
        selectors.stock_at(part.pk, at_form.cleaned_data["on"]) if at_form.is_valid() else None
    )
    return {
        "part": part,
        "stock": stock,
        "at_form": at_form,
        "stock_at": stock_at,
        "page": selectors.part_movements(part.pk, **_page_cursors(request)),
        "settings_form": forms.get("settings_form")
        or StockSettingsForm(initial={"bin": stock.bin, "minimum": stock.minimum}),
        "request_form": forms.get("request_form")
        or PartRequestForm(initial={"part": part.pk, "quantity": ""}),
        "open_requests": selectors.open_requests_of([part.pk]).get(part.pk, []),
    }


def _part(pk) -> Part:
    return get_object_or_404(Part.objects.select_related("stock"), pk=pk)


@require_perm(ST + "view_stock")
def part_detail(request, pk):
    """One part's stock card: quantities and cost, bin and minimum, its movements, and its
    stock at a past date (?on=2020-05-01)."""
    part = _part(pk)
    return render(request, "stock/part_detail.html", _part_context(request, part))


@require_POST
@require_perm(ST + "change_stock")
def stock_update(request, pk):
    part = _part(pk)
    form = StockSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.stock_update(
                part=part,
                by=request.user,
                bin=form.cleaned_data["bin"],
                minimum=form.cleaned_data["minimum"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存 {part.number} 的库位和最低库存。")
            return redirect("stock:part_detail", pk=part.pk)
    return render(
        request,
        "stock/part_detail.html",
        _part_context(request, part, settings_form=form),
        status=200,
    )


# --- issue slips -------------------------------------------------------------------------------


@require_perm(ST + "view_issueslip")
def issue_list(request):
    """出库: the orders waiting for their parts, and the slips, newest first."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in IssueSlip.Kind.values else ""
    return render(
        request,
        "stock/issue_list.html",
        {
            "waiting": selectors.orders_waiting_for_issue(limit=50),
            "page": selectors.slip_list(kind=kind, **_page_cursors(request)),
            "kind": kind,
            "kinds": IssueSlip.Kind.choices,
        },
    )


def _order(pk) -> WorkOrder:
    return get_object_or_404(
        WorkOrder.objects.select_related("vehicle", "customer", "advisor"), pk=pk
    )


def _work_order_parts_page(request, order: WorkOrder, *, status=200, **forms):
    parts = selectors.work_order_parts(order)
    context = {
        "order": order,
        "parts": parts,
        "issue_form": forms.get("issue_form")
        or SlipForm(
            rows=parts.issuable,
            initial={
                f"q_{row.line.pk}": row.outstanding
                for row in parts.issuable
                if row.available >= row.outstanding
            },
        ),
        "return_form": forms.get("return_form")
        or SlipForm(rows=parts.returnable, prefix_label="退料数量"),
        "request_form": forms.get("request_form") or LineRequestForm(),
        "request_line": forms.get("request_line"),
        "lead_days": current_settings(StockSettings).purchase_lead_days,
        "can_issue": order.status in services.ISSUE_STATES
        and order.source == WorkOrder.Source.SYSTEM,
    }
    return render(request, "stock/work_order_parts.html", context, status=status)


@require_perm(ST + "add_issueslip")
def work_order_parts(request, pk):
    """The parts counter's page of one work order: issue (signed), return, reserve,
    request what is missing."""
    return _work_order_parts_page(request, _order(pk))


def _back_to_order(order: WorkOrder, anchor: str = ""):
    url = reverse("stock:work_order_parts", args=[order.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@require_POST
@require_perm(ST + "add_issueslip")
def issue_create(request, pk):
    order = _order(pk)
    parts = selectors.work_order_parts(order)
    form = SlipForm(request.POST, rows=parts.issuable)
    if form.is_valid():
        data = form.cleaned_data
        later = data["confirm_later"]
        try:
            slip = services.issue_slip_create(
                work_order=order,
                technician=data["technician"],
                lines=[services.SlipLine(line, quantity) for line, quantity in form.quantities()],
                by=request.user,
                png_data_url=None if later else (data["png_data_url"] or ""),
                points=None if later else data["points"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            signed = "技师已签字" if slip.signature_id else "待技师在平板上确认"
            messages.success(request, f"已出库:{slip.number}({signed})。")
            return redirect("stock:slip_detail", pk=slip.pk)
    return _work_order_parts_page(request, order, issue_form=form, status=422)


@require_POST
@require_perm(ST + "add_issueslip")
def return_create(request, pk):
    order = _order(pk)
    parts = selectors.work_order_parts(order)
    form = SlipForm(request.POST, rows=parts.returnable, prefix_label="退料数量")
    if form.is_valid():
        try:
            slip = services.return_slip_create(
                work_order=order,
                technician=form.cleaned_data["technician"],
                lines=[services.SlipLine(line, quantity) for line, quantity in form.quantities()],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已退料入库:{slip.number}。")
            return redirect("stock:slip_detail", pk=slip.pk)
    return _work_order_parts_page(request, order, return_form=form, status=422)


def _line(order: WorkOrder, line_pk) -> WorkOrderLine:
    return get_object_or_404(
        WorkOrderLine.objects.select_related("work_order"), pk=line_pk, work_order=order
    )


@require_POST
@require_perm(ST + "add_issueslip")
def reserve(request, pk, line_pk):
    order = _order(pk)
    line = _line(order, line_pk)
    try:
        if request.POST.get("release"):
            services.stock_release(line=line, by=request.user)
            messages.success(request, f"已取消预留:{line.description}。")
        else:
            movement = services.stock_reserve(line=line, by=request.user)
            messages.success(
                request, f"已预留 {services.qty(movement.reserved_change)}:{line.description}。"
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back_to_order(order, "parts")


@require_POST
@require_perm(ST + "add_purchaserequest")
def request_for_line(request, pk, line_pk):
    order = _order(pk)
    line = _line(order, line_pk)
    form = LineRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.purchase_request_for_line(
                line=line,
                by=request.user,
                expected_on=data["expected_on"],
                quantity=data["quantity"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"已请购 {created.number}:{line.description},"
                f"预计 {created.expected_on:%Y-%m-%d} 到货。",
            )
            return _back_to_order(order, "parts")
    return _work_order_parts_page(
        request, order, request_form=form, request_line=line.pk, status=422
    )


@require_perm("workorders.view_workorder")
def work_order_block(request, pk):
    """The parts block of the work-order page (loaded into it by htmx): each parts line's
    issue state and its purchase requests with their expected arrival."""
    order = get_object_or_404(WorkOrder.objects.select_related("advisor"), pk=pk)
    parts = selectors.work_order_parts(order)
    if not parts.lines:  # nothing for the store: the slot is removed from the page
        return HttpResponse("")
    accessory_lines = [row.line for row in parts.lines if row.line.part.is_accessory]
    named = accessories.line_sellers(accessory_lines) if accessory_lines else {}
    for row in parts.lines:
        row.line.seller = named.get(row.line.pk, order.advisor)
    can_name = bool(accessory_lines) and request.user.has_perm(ST + "add_accessoryseller")
    return render(
        request,
        "stock/partials/work_order_block.html",
        {
            "order": order,
            "parts": parts,
            "sellers": list(accessories.sellers()) if can_name else [],
            "can_name_seller": can_name
            and order.status not in (WorkOrder.Status.SETTLED, WorkOrder.Status.CANCELLED),
        },
    )


@require_perm(ST + "view_issueslip")
def slip_detail(request, pk):
    try:
        slip = selectors.slip_detail(pk)
    except IssueSlip.DoesNotExist:
        raise Http404("单据不存在") from None
    return render(request, "stock/slip_detail.html", {"slip": slip})


@require_perm(ST + "view_issueslip")
def slip_signature(request, pk):
    slip = get_object_or_404(IssueSlip.objects.select_related("signature"), pk=pk)
    if slip.signature is None:
        raise Http404("该单据没有签字")
    return image_response(
        slip.signature.png, name=f"slip-{slip.number}", cache_control=PRIVATE_CACHE
    )


@require_POST
@require_perm(ST + "confirm_issueslip")
def slip_confirm(request, pk):
    slip = get_object_or_404(IssueSlip, pk=pk)
    try:
        services.issue_slip_confirm(slip=slip, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已确认领料:{slip.number}。")
    return redirect("dashboard:home")


# --- purchase requests and receiving -----------------------------------------------------------


@require_perm(ST + "view_purchaserequest")
def request_list(request):
    status = request.GET.get("status", PurchaseRequest.Status.OPEN)
    status = (
        status
        if status in PurchaseRequest.Status.values or status == "all"
        else PurchaseRequest.Status.OPEN
    )
    page = selectors.request_list(
        status="" if status == "all" else status, **_page_cursors(request)
    )
    return render(
        request,
        "stock/request_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [*PurchaseRequest.Status.choices, ("all", "全部")],
            "today": timezone.localdate(),
            "cancel_form": ReasonForm(),
        },
    )


@require_POST
@require_perm(ST + "add_purchaserequest")
def request_create(request):
    form = PartRequestForm(request.POST)
    part = None
    if form.is_valid():
        data = form.cleaned_data
        part = data["part"]
        try:
            created = services.purchase_request_create(
                part=part,
                quantity=data["quantity"],
                by=request.user,
                expected_on=data["expected_on"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"已请购 {created.number}:{part.name} "
                f"{services.qty(created.quantity)} {part.unit}。",
            )
            return redirect("stock:part_detail", pk=part.pk)
    if part is None:
        part = Part.objects.filter(pk=request.POST.get("part") or 0).select_related("stock").first()
        if part is None:
            messages.error(request, "请选择要请购的配件。")
            return redirect("stock:stock_list")
    return render(
        request,
        "stock/part_detail.html",
        _part_context(request, part, request_form=form),
        status=422,
    )


@require_POST
@require_perm(ST + "change_purchaserequest")
def request_cancel(request, pk):
    purchase = get_object_or_404(PurchaseRequest, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "取消请购单须填写原因。")
    else:
        try:
            services.purchase_request_cancel(
                request=purchase, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"已取消请购单 {purchase.number}。")
    return redirect("stock:request_list")


@require_POST
@require_perm("workorders.change_workorder")
def arrival_seen(request, pk):
    purchase = get_object_or_404(PurchaseRequest, pk=pk)
    services.arrival_seen(request=purchase, by=request.user)
    return redirect("dashboard:home")


@require_perm(ST + "view_goodsreceipt")
def receipt_list(request):
    return render(
        request,
        "stock/receipt_list.html",
        {"page": selectors.receipt_list(**_page_cursors(request))},
    )


def _receipt_initial(request) -> list[dict]:
    """Rows filled from a purchase request (?request=<id>: its part and what is left)."""
    purchase = (
        PurchaseRequest.objects.filter(
            pk=request.GET.get("request") or 0, status=PurchaseRequest.Status.OPEN
        )
        .select_related("part__stock")
        .first()
    )
    rows = []
    if purchase is not None:
        stock = selectors.stock_of(purchase.part)
        rows.append(
            {
                "part_number": purchase.part.number,
                "quantity": services.qty(purchase.outstanding),
                "unit_cost": stock.average_cost.normalize() if stock.average_cost else "",
            }
        )
    return rows + [{} for _ in range(RECEIPT_ROWS - len(rows))]


@require_perm(ST + "add_goodsreceipt")
def receipt_create(request):
    """入库: the supplier's delivery note and its lines; open requests listed beside."""
    if request.method == "POST":
        form = ReceiptForm(request.POST)
        lines = ReceiptLineFormSet(request.POST, prefix="lines")
        if form.is_valid() & lines.is_valid():
            chosen = [
                services.ReceiptLine(row["part"], row["quantity"], row["unit_cost"])
                for row in lines.cleaned_data
                if row.get("part")
            ]
            try:
                received = services.goods_receipt_create(
                    supplier=form.cleaned_data["supplier"],
                    delivery_note=form.cleaned_data["delivery_note"],
                    lines=chosen,
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                done = f"已入库:{received.receipt.number}"
                if received.fulfilled:
                    done += ";已到货的请购单 " + "、".join(r.number for r in received.fulfilled)
                messages.success(request, done + "。")
                return redirect("stock:receipt_detail", pk=received.receipt.pk)
        status = 422
    else:
        form = ReceiptForm()
        lines = ReceiptLineFormSet(prefix="lines", initial=_receipt_initial(request))
        status = 200
    waiting = selectors.request_list(status=PurchaseRequest.Status.OPEN)
    return render(
        request,
        "stock/receipt_form.html",
        {"form": form, "lines": lines, "waiting": waiting},
        status=status,
    )


@require_perm(ST + "view_goodsreceipt")
def receipt_detail(request, pk):
    try:
        receipt = selectors.receipt_detail(pk)
    except GoodsReceipt.DoesNotExist:
        raise Http404("入库单不存在") from None
    return render(request, "stock/receipt_detail.html", {"receipt": receipt})


# --- stock counts ------------------------------------------------------------------------------


@require_perm(ST + "view_stockcount")
def count_list(request):
    return render(
        request,
        "stock/count_list.html",
        {"page": selectors.count_list(**_page_cursors(request)), "form": CountOpenForm()},
    )


@require_POST
@require_perm(ST + "add_stockcount")
def count_create(request):
    form = CountOpenForm(request.POST)
    if form.is_valid():
        try:
            count = services.stock_count_open(
                bin_prefix=form.cleaned_data["bin_prefix"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已生成盘点单 {count.number}。")
            return redirect("stock:count_detail", pk=count.pk)
    return render(
        request,
        "stock/count_list.html",
        {"page": selectors.count_list(), "form": form},
        status=422,
    )


def _count_page(request, pk, *, status=200, entry_form=None, move_form=None):
    try:
        count, lines = selectors.count_detail(pk)
    except StockCount.DoesNotExist:
        raise Http404("盘点单不存在") from None
    editable = count.status == StockCount.Status.COUNTING and request.user.has_perm(
        ST + "add_stockcount"
    )
    return render(
        request,
        "stock/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "entry_form": entry_form or (CountEntryForm(lines=lines) if editable else None),
            "moves": counts.available_transitions(count, request.user, lines),
            "move_form": move_form,
            "changes": count.changes.select_related("by"),
            "differences": sum(1 for line in lines if line.difference),
        },
        status=status,
    )


@require_perm(ST + "view_stockcount")
def count_detail(request, pk):
    return _count_page(request, pk)


@require_POST
@require_perm(ST + "add_stockcount")
def count_enter(request, pk):
    try:
        count, lines = selectors.count_detail(pk)
    except StockCount.DoesNotExist:
        raise Http404("盘点单不存在") from None
    form = CountEntryForm(request.POST, lines=lines)
    if form.is_valid():
        try:
            changed = services.stock_count_enter(
                count=count,
                by=request.user,
                entries=[
                    services.CountEntry(line, counted, reason)
                    for line, counted, reason in form.entries()
                ],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存 {changed} 行盘点数量。")
            return redirect("stock:count_detail", pk=count.pk)
    return _count_page(request, pk, status=422, entry_form=form)


@require_POST
@require_perm(ST + "view_stockcount")
def count_move(request, pk):
    """提交审批, 退回重盘, 作废 and 审批过账: the service checks each move's permission."""
    count = get_object_or_404(StockCount, pk=pk)
    form = CountMoveForm(request.POST)
    if form.is_valid():
        name, reason = form.cleaned_data["name"], form.cleaned_data["reason"]
        try:
            if name not in counts.TRANSITIONS:
                raise ValidationError("未知的操作。")
            if name == "approve":
                services.stock_count_approve(count=count, by=request.user)
            else:
                services.stock_count_transition(
                    count=count, name=name, by=request.user, reason=reason
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"盘点单 {count.number}:{counts.TRANSITIONS[name].label}。")
            return redirect("stock:count_detail", pk=count.pk)
    return _count_page(request, pk, status=422, move_form=form)


# --- pre-picking (预先捡料) ---------------------------------------------------------------------
# The parts clerk's issue permissions guard it: pre-picking is the first half of an issue
# (the managers, who read the issues, read the lists too), and no new permission means no
# new role migration.


def _pick_day(request, data) -> dt.date:
    form = PickDayForm(data if "date" in data else None)
    if form.is_valid():
        return form.cleaned_data["date"]
    return timezone.localdate() + dt.timedelta(days=1)


def _prepick_redirect(day: dt.date):
    return redirect(f"{reverse('stock:prepick')}?date={day:%Y-%m-%d}")


@require_perm(ST + "view_issueslip")
def prepick(request):
    """预先捡料: the pick list of a day (default tomorrow) by bin, tick what was picked,
    and the measured share of appointment parts picked in advance (last 4 weeks)."""
    day = _pick_day(request, request.GET)
    today = timezone.localdate()
    return render(
        request,
        "stock/prepick.html",
        {
            "day": day,
            "page": selectors.pick_page(day),
            "shares": selectors.prepick_share(end=today),
            "can_pick": request.user.has_perm(ST + "add_issueslip"),
            "openable": day >= today,
        },
    )


@require_perm(ST + "view_issueslip")
def prepick_print(request):
    """The printable pick list (a clean page with print CSS)."""
    day = _pick_day(request, request.GET)
    return render(
        request,
        "stock/prepick_print.html",
        {"day": day, "page": selectors.pick_page(day), "printed_at": timezone.now()},
    )


@require_POST
@require_perm(ST + "add_issueslip")
def prepick_run(request):
    day = _pick_day(request, request.POST)
    if day < timezone.localdate():
        messages.error(request, "不能为已过去的日期预先捡料。")
        return _prepick_redirect(day)
    result = services.prepick_run(day=day, by=request.user)
    messages.success(
        request,
        f"{day:%Y-%m-%d}:{result['appointments']} 个预约,已预留 {result['reserved']} 行,"
        f"缺件 {result['short']} 行,释放 {result['released']} 行。",
    )
    return _prepick_redirect(day)


@require_POST
@require_perm(ST + "add_issueslip")
def prepick_pick(request):
    day = _pick_day(request, request.POST)
    ids = [int(value) for value in request.POST.getlist("line") if value.isdigit()]
    if not ids:
        messages.error(request, "请勾选已捡料的行。")
        return _prepick_redirect(day)
    pick_list = get_object_or_404(PickList, date=day)
    ticked = services.pick_lines_tick(pick_list=pick_list, line_ids=ids, by=request.user)
    messages.success(request, f"已捡料 {ticked} 行。")
    return _prepick_redirect(day)


@require_POST
@require_perm(ST + "add_issueslip")
def prepick_transfer(request, pk):
    appointment = get_object_or_404(Appointment.objects.select_related("work_order"), pk=pk)
    moved = services.prepick_transfer(appointment=appointment, by=request.user)
    messages.success(request, f"已将 {moved} 行预先捡料转入工单。")
    return _prepick_redirect(appointment.date)
