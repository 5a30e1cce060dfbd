"""Pages of accessories (精品): counter sales (柜台销售), the seller of a work order's
accessory lines, and the monthly commission (精品提成) on screen and as Excel. HTTP,
permissions and forms only; accessories.py computes and writes."""

import datetime as dt
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, require_perm
from apps.workorders.models import WorkOrderLine

from . import accessories, accessory_excel
from .forms import (
    COUNTER_SALE_ROWS,
    AccessorySellerForm,
    CounterSaleForm,
    CounterSaleLineFormSet,
)
from .models import CounterSale

ST = "stock."
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
PAGE_ROWS = 200  # counter sales a month's list shows


def _month(request) -> dt.date:
    """?month=2026-11 (an <input type=month>) as its first day; this month otherwise."""
    match = MONTH.match((request.GET.get("month") or "").strip())
    if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        return dt.date(int(match[1]), int(match[2]), 1)
    return timezone.localdate().replace(day=1)


# --- counter sales ------------------------------------------------------------------------------


@require_perm(ST + "view_countersale")
def counter_sale_list(request):
    month = _month(request)
    sales = list(accessories.counter_sales(month=month)[:PAGE_ROWS])
    return render(
        request,
        "stock/counter_sale_list.html",
        {"month": month, "sales": sales, "page_rows": PAGE_ROWS},
    )


@require_perm(ST + "add_countersale")
def counter_sale_create(request):
    """柜台销售: seller, customer (optional), accessory lines, paid amount."""
    sellers = accessories.sellers()
    if request.method == "POST":
        form = CounterSaleForm(request.POST, sellers=sellers)
        lines = CounterSaleLineFormSet(request.POST, prefix="lines")
        if form.is_valid() & lines.is_valid():
            data = form.cleaned_data
            chosen = [
                accessories.SaleLine(row["part"], row["quantity"], row["discount_percent"])
                for row in lines.cleaned_data
                if row.get("part")
            ]
            try:
                sale = accessories.counter_sale_create(
                    seller=data["seller"],
                    lines=chosen,
                    by=request.user,
                    customer=data["customer"],
                    customer_name="" if data["customer"] else data["customer_name"],
                    paid_amount=data["paid_amount"],
                    note=data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"已销售:{sale.number},应收 {sale.total} 元。")
                return redirect("stock:counter_sale_detail", pk=sale.pk)
        status = 422
    else:
        form = CounterSaleForm(sellers=sellers, initial={"seller": request.user.pk})
        lines = CounterSaleLineFormSet(prefix="lines", initial=[{}] * COUNTER_SALE_ROWS)
        status = 200
    return render(
        request, "stock/counter_sale_form.html", {"form": form, "lines": lines}, status=status
    )


@require_perm(ST + "view_countersale")
def counter_sale_detail(request, pk):
    try:
        sale = accessories.counter_sale_detail(pk)
    except CounterSale.DoesNotExist:
        raise Http404("销售单不存在") from None
    return render(request, "stock/counter_sale_detail.html", {"sale": sale})


# --- the seller of a work order's accessory line -----------------------------------------------


@require_POST
@require_perm(ST + "add_accessoryseller")
def accessory_seller_set(request, pk, line_pk):
    line = get_object_or_404(
        WorkOrderLine.objects.select_related("part", "work_order"), pk=line_pk, work_order=pk
    )
    form = AccessorySellerForm(request.POST, sellers=accessories.sellers())
    if form.is_valid():
        try:
            accessories.accessory_seller_set(
                line=line, seller=form.cleaned_data["seller"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            seller = form.cleaned_data["seller"]
            messages.success(request, f"{line.description}:销售人已登记为 {seller}。")
    else:
        messages.error(request, " ".join(form.errors.get("seller", ["请选择销售人。"])))
    return redirect(f"{reverse('workorders:detail', args=[pk])}#parts-block")


# --- the monthly commission ----------------------------------------------------------------------


@require_perm(ST + "view_accessory_commission")
def commission_page(request):
    month = _month(request)
    return render(
        request,
        "stock/commission.html",
        {"month": month, "table": accessories.commission_month(month=month)},
    )


@require_perm(ST + "view_accessory_commission")
def commission_excel(request):
    month = _month(request)
    return FileResponse(
        accessory_excel.commission_workbook(month=month),
        as_attachment=True,
        filename=f"精品提成表-{month:%Y-%m}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
