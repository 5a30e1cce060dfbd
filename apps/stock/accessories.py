"""Accessories (精品) sales and the monthly commission per seller (DOMAIN.md §3 "Parts",
§9 精品提成表): the writes (services) and the reads (selectors) of this one corner of the
stock app, kept together because they are small and only make sense together.

An accessory is a catalogue part marked 精品 (`Part.is_accessory`). It is sold:

- on a work order: an approved, customer-paid parts line of an accessory. Its seller is
  the order's advisor unless an `AccessorySeller` row names someone else; it counts in the
  month the order is **settled** (结算), at the line's amount (net of its discount). The
  stock leaves through the ordinary issue slip (services.issue_slip_create).
- at the sales desk (柜台销售): a `CounterSale`, not tied to a work order; it counts in the
  month of the sale, at its lines' amounts (net of discount). The stock leaves here, through
  `services._post` (a `sale` movement per line), refused beyond what is available.

The commission of a month: per seller, amount × the rate of the StockSettings (one for
service advisors, one for everyone else), to the fen. The page and the Excel file read the
same `commission_month`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.settings import current_settings
from apps.parts.models import Part
from apps.workorders.models import LineStatus, Payer, ServiceSettings, WorkOrder, WorkOrderLine

from .models import AccessorySeller, CounterSale, CounterSaleLine, StockMovement, StockSettings
from .services import FEN, ZERO, _locked_stocks, _next_number, _post, parse_quantity, qty, to_fen

# Who may be named as a seller: the roles that sell accessories (the advisor on a work
# order, the parts desk and the manager at the counter).
SELLER_ROLES = ("advisor", "parts", "manager")
ADVISOR_ROLE = "advisor"
COUNTER_PREFIX = "XS"  # 销售: XS + yyyymmdd + serial


# --- sellers ------------------------------------------------------------------------------------


def sellers() -> QuerySet:
    """The active users who may sell accessories, by name (one query)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=SELLER_ROLES)
        .distinct()
        .order_by("display_name", "username")
    )


def _seller(user) -> None:
    if user is None or not user.is_active:
        raise ValidationError({"seller": "销售人须为在职员工。"})
    if not user.groups.filter(name__in=SELLER_ROLES).exists():
        raise ValidationError({"seller": "销售人须为服务顾问、配件专员或售后经理。"})


def _is_accessory_line(line: WorkOrderLine) -> bool:
    return line.kind == WorkOrderLine.Kind.PART and line.part_id and line.part.is_accessory


def accessory_seller_set(*, line: WorkOrderLine, seller, by) -> None:
    """Name who sold an accessory line of a work order (the advisor by default: naming the
    advisor again removes the exception). Refused once the order is settled, whose
    commission month is then fixed."""
    if not _is_accessory_line(line):
        raise ValidationError(f"{line.description}:不是精品,无需登记销售人。")
    _seller(seller)
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=line.work_order_id)
        if order.status in (WorkOrder.Status.SETTLED, WorkOrder.Status.CANCELLED):
            raise ValidationError("工单已结算或已取消,不能修改精品销售人。")
        if seller.pk == order.advisor_id:
            AccessorySeller.objects.filter(line=line).delete()
            return
        AccessorySeller.objects.update_or_create(
            line=line, defaults={"seller": seller, "set_by": by, "set_at": timezone.now()}
        )


def line_sellers(lines) -> dict[int, object]:
    """The named sellers of accessory lines (by line id; absent: the advisor), one query."""
    rows = AccessorySeller.objects.filter(line__in=[line.pk for line in lines]).select_related(
        "seller"
    )
    return {row.line_id: row.seller for row in rows}


# --- counter sales (柜台销售) ---------------------------------------------------------------


@dataclass(frozen=True)
class SaleLine:
    part: Part
    quantity: Decimal
    discount_percent: Decimal = ZERO


def _percent(value) -> Decimal:
    try:
        number = Decimal(str(value).strip() or "0")
    except (InvalidOperation, ValueError):
        raise ValidationError("折扣须为数字。") from None
    if not number.is_finite() or number != number.quantize(FEN):
        raise ValidationError("折扣最多两位小数。")
    return number


def counter_sale_create(
    *,
    seller,
    lines: list[SaleLine],
    by,
    customer=None,
    customer_name: str = "",
    paid_amount=None,
    note: str = "",
) -> CounterSale:
    """Sell accessories at the desk (柜台销售单).

    1. The seller may sell; every line is an active accessory, a positive quantity, a
       discount within the settings' line-discount limit (no manager's approval at the
       counter); a part named twice adds up.
    2. Stock rows locked in part order; each line leaves stock through `_post` (a `sale`
       movement at the moving average); more than is available is refused with how many
       there are, and nothing of the sale is written.
    3. The total is the lines' amounts net of discount; the paid amount (default: the total)
       may not exceed it.
    """
    _seller(seller)
    limit = current_settings(ServiceSettings).max_line_discount_percent
    wanted: dict[int, SaleLine] = {}
    for item in lines:
        part = item.part
        if not part.is_accessory or not part.active:
            raise ValidationError(f"{part.name}({part.number}):不是在用的精品,柜台只销售精品。")
        quantity = parse_quantity(item.quantity, label=f"{part.name} 数量")
        discount = _percent(item.discount_percent)
        if discount < 0 or discount > limit:
            raise ValidationError(f"{part.name}:折扣须在 0 至 {qty(limit)}% 之间。")
        if part.pk in wanted:
            if wanted[part.pk].discount_percent != discount:
                raise ValidationError(f"{part.name}:同一精品只能按一个折扣销售。")
            quantity += wanted[part.pk].quantity
        wanted[part.pk] = SaleLine(part, quantity, discount)
    if not wanted:
        raise ValidationError("请至少填写一行精品。")
    sale_lines = [
        CounterSaleLine(
            part=item.part,
            quantity=item.quantity,
            unit_price=Decimal(item.part.price),
            discount_percent=item.discount_percent,
            amount=to_fen(
                item.quantity * Decimal(item.part.price) * (1 - item.discount_percent / 100)
            ),
        )
        for item in wanted.values()
    ]
    total = sum((line.amount for line in sale_lines), ZERO)
    if paid_amount is None or paid_amount == "":
        paid = total
    else:
        try:
            paid = to_fen(Decimal(str(paid_amount).strip()))
        except (InvalidOperation, ValueError):
            raise ValidationError({"paid_amount": "实收金额须为数字。"}) from None
        if paid < 0 or paid > total:
            raise ValidationError({"paid_amount": f"实收金额须在 0 至应收 {total} 元之间。"})
    now = timezone.now()
    with transaction.atomic():
        stocks = _locked_stocks(wanted)
        movements = [
            _post(
                stocks[line.part_id],
                kind=StockMovement.Kind.SALE,
                by=by,
                at=now,
                quantity=-line.quantity,
                reason=f"柜台销售 {line.part.name}",
            )
            for line in sale_lines
        ]
        sale = CounterSale.objects.create(
            number=_next_number(COUNTER_PREFIX, timezone.localdate(now)),
            customer=customer,
            customer_name="" if customer else customer_name.strip()[:60],
            seller=seller,
            total=total,
            paid_amount=paid,
            by=by,
            at=now,
            note=note.strip()[:200],
        )
        for line in sale_lines:
            line.sale = sale
        CounterSaleLine.objects.bulk_create(sale_lines)
        for movement in movements:
            movement.counter_sale = sale
            movement.reason = f"{sale.number} {movement.reason}"[:200]
        StockMovement.objects.bulk_create(movements)
    return sale


def counter_sales(*, month: dt.date) -> QuerySet[CounterSale]:
    """The month's counter sales, newest first, with seller and customer (1 query)."""
    start, end = month_bounds(month)
    return (
        CounterSale.objects.filter(at__gte=start, at__lt=end)
        .select_related("seller", "customer")
        .annotate(line_count=Count("lines"))
        .order_by("-at", "-id")
    )


def counter_sale_detail(pk: int) -> CounterSale:
    sale = CounterSale.objects.select_related("seller", "customer", "by").get(pk=pk)
    sale.line_rows = list(sale.lines.select_related("part"))
    return sale


# --- the monthly commission (精品提成表) -----------------------------------------------------


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local month `month` falls in, as aware datetimes."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return day_start(first), day_start(following)


@dataclass
class CommissionRow:
    seller: object
    is_advisor: bool
    order_quantity: Decimal = ZERO
    order_amount: Decimal = ZERO
    counter_quantity: Decimal = ZERO
    counter_amount: Decimal = ZERO
    rate: Decimal = ZERO  # percent

    @property
    def quantity(self) -> Decimal:
        return self.order_quantity + self.counter_quantity

    @property
    def amount(self) -> Decimal:
        return self.order_amount + self.counter_amount

    @property
    def commission(self) -> Decimal:
        return (self.amount * self.rate / 100).quantize(FEN, rounding=ROUND_HALF_UP)

    @property
    def role_label(self) -> str:
        return "服务顾问" if self.is_advisor else "其他销售人员"


@dataclass
class CommissionMonth:
    month: dt.date
    advisor_rate: Decimal
    other_rate: Decimal
    rows: list[CommissionRow] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((row.quantity for row in self.rows), ZERO)

    @property
    def amount(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    @property
    def commission(self) -> Decimal:
        # The sum of the rounded rows: what is paid out, to the fen.
        return sum((row.commission for row in self.rows), ZERO)


def order_accessory_lines(*, month: dt.date) -> QuerySet[WorkOrderLine]:
    """The accessory lines that count in `month`: approved, paid by the customer, on orders
    settled in the month (an accessory given free or paid by the maker is not a sale)."""
    start, end = month_bounds(month)
    return WorkOrderLine.objects.filter(
        kind=WorkOrderLine.Kind.PART,
        part__is_accessory=True,
        status=LineStatus.APPROVED,
        payer=Payer.CUSTOMER,
        work_order__status=WorkOrder.Status.SETTLED,
        work_order__settled_at__gte=start,
        work_order__settled_at__lt=end,
    )


def commission_month(*, month: dt.date) -> CommissionMonth:
    """Each seller's accessories of `month` and their commission, by name. A constant
    number of queries whatever the month holds: the work-order lines grouped by seller,
    the counter-sale lines grouped by seller, the sellers with their roles (2), and the
    settings (cached)."""
    month = month.replace(day=1)
    rules = current_settings(StockSettings)
    result = CommissionMonth(
        month,
        rules.accessory_commission_advisor_percent,
        rules.accessory_commission_other_percent,
    )
    by_seller: dict[int, dict] = {}
    orders = (
        order_accessory_lines(month=month)
        .annotate(seller_id=Coalesce(F("accessory_seller__seller"), F("work_order__advisor")))
        .values("seller_id")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    )
    for row in orders:
        if row["seller_id"] is not None:
            entry = by_seller.setdefault(row["seller_id"], {})
            entry["order_quantity"], entry["order_amount"] = row["quantity"], row["amount"]
    start, end = month_bounds(month)
    counter = (
        CounterSaleLine.objects.filter(sale__at__gte=start, sale__at__lt=end)
        .values("sale__seller")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    )
    for row in counter:
        entry = by_seller.setdefault(row["sale__seller"], {})
        entry["counter_quantity"], entry["counter_amount"] = row["quantity"], row["amount"]
    if not by_seller:
        return result
    users = (
        get_user_model()
        .objects.filter(pk__in=by_seller)
        .prefetch_related("groups")
        .order_by("display_name", "username")
    )
    for user in users:
        is_advisor = any(group.name == ADVISOR_ROLE for group in user.groups.all())
        result.rows.append(
            CommissionRow(
                seller=user,
                is_advisor=is_advisor,
                rate=result.advisor_rate if is_advisor else result.other_rate,
                **by_seller[user.pk],
            )
        )
    return result
