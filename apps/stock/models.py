"""Parts stock (DOMAIN.md §3 "Parts"): what the parts department holds, and every change
to it as a movement row.

The layers: this app sits above `workorders` (an issue slip names a work order and its
lines) and `parts` (the catalogue); neither imports it. What the work-order side needs to
know (how much of a parts line was issued, for the settle guard) is a cache on
`WorkOrderLine.issued_quantity` that only services.py here writes, in the same
transaction as the movements.

- `Stock`: one row per part: on hand, reserved, available (a generated column), bin,
  minimum, moving-average cost and stock value. A cache of the movements: only
  `services._post` writes it; `manage.py check_stock` proves it equals their sums. CHECK
  constraints refuse negative stock whatever the code does.
- `StockMovement`: the ledger, append-only: receipt, issue to a work order, return, count
  adjustment, reservation and its release; who, when, why and the document. The stock of a
  part at a past moment is the sum of its movements up to it (index on part + time).
- `IssueSlip` (出库单 / 退料单): parts handed to a technician for a work order, signed;
  its lines are its movements.
- `PurchaseRequest` (请购单) and `GoodsReceipt` (入库单, with the supplier's delivery
  note number): receiving fulfils the open requests of each part, oldest first.
- `CounterSale` (柜台销售单) + `CounterSaleLine`: accessories (精品) sold at the sales desk,
  not on a work order: seller, customer (optional), lines net of discount, paid amount;
  the stock leaves through a `sale` movement per line. `AccessorySeller`: who sold an
  accessory line of a work order (default: the order's advisor). Both feed the monthly
  commission (accessories.py).
- `StockCount` (盘点单) + `StockCountLine` + `StockCountChange`: a count sheet by bin, the
  counted quantities, a manager's approval, then adjustments (counts.py has the states).
- `PickList` + `PickLine` (预先捡料): the evening before, the parts of a day's
  appointments reserved (a reservation movement names the pick line) and picked; a line
  per appointment part, so a second run adds nothing. Stock may import appointments
  (appointments is below it in INSTALLED_APPS).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.appointments.models import Appointment, AppointmentPart
from apps.core.models import AreaSettings, number_field, percent_field
from apps.parts.models import Part
from apps.workorders.models import Signature, WorkOrder, WorkOrderLine

ZERO = Decimal(0)


def quantity_field(label: str, **kwargs):
    """A quantity of a part: whole units or litres to the hundredth (4.5 L of oil)."""
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=ZERO, **kwargs)


def _user(label: str, **kwargs):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


class StockSettings(AreaSettings):
    """The parts department's rules (DOMAIN.md §3 "Parts")."""

    domain_section = 3

    purchase_lead_days = number_field(3, "请购默认到货天数", low=0, high=90)
    arrival_notice_days = number_field(7, "到货通知在顾问工作台保留天数", low=1, high=60)
    # Accessories (精品) commission (DOMAIN.md §3 "Parts", §9 精品提成表): the seller earns
    # this share of what they sold in the month, net of discount; service advisors at
    # theirs, everyone else (the sales desk: parts clerks, managers) at the other rate.
    accessory_commission_advisor_percent = percent_field("5", "精品提成比例:服务顾问(%)")
    accessory_commission_other_percent = percent_field("3", "精品提成比例:其他销售人员(%)")

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "配件库存规则"


class Stock(models.Model):
    part = models.OneToOneField(
        Part, verbose_name="配件", primary_key=True, on_delete=models.PROTECT, related_name="stock"
    )
    on_hand = quantity_field("在库数量")
    reserved = quantity_field("预留数量")
    available = models.GeneratedField(
        verbose_name="可用数量",
        expression=F("on_hand") - F("reserved"),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
    )
    # Moving average (移动加权平均): a receipt of q at cost c makes
    # (value + q × c) / (on hand + q); issues and losses go out at the average.
    average_cost = models.DecimalField(
        "移动平均成本", max_digits=12, decimal_places=4, default=ZERO
    )
    value = models.DecimalField("库存金额", max_digits=14, decimal_places=2, default=ZERO)
    bin = models.CharField("库位", max_length=20, blank=True)
    minimum = quantity_field("最低库存")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "库存"
        ordering = ["part"]
        constraints = [
            # The database's own refusal: whatever the code does, stock never goes negative
            # and never more is reserved than is there.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="stock_value_not_negative"),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="stock_minimum_not_negative"),
        ]
        indexes = [models.Index(fields=["bin", "part"], name="stock_bin_idx")]

    def __str__(self):
        return f"{self.part_id}: {self.on_hand}"


class GoodsReceipt(models.Model):
    """Goods received from a supplier against their delivery note (入库单)."""

    number = models.CharField("入库单号", max_length=20, unique=True)
    supplier = models.CharField("供应商", max_length=60)
    delivery_note = models.CharField("送货单号", max_length=40)
    by = _user("收货人")
    at = models.DateTimeField("收货时间")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "入库单"
        ordering = ["-at", "-id"]
        constraints = [
            # One delivery note is received once (a second scan of the same note is refused).
            models.UniqueConstraint(
                fields=["supplier", "delivery_note"], name="goodsreceipt_delivery_note_unique"
            )
        ]
        indexes = [models.Index(fields=["-at", "-id"], name="goodsreceipt_at_idx")]

    def __str__(self):
        return self.number


class IssueSlip(models.Model):
    """Parts handed to a technician for a work order (出库单), or brought back unused
    (退料单). Its lines are its movements. An issue slip is signed by the technician:
    drawn on the counter's tablet (`signature`), or confirmed later from their own login
    (`confirmed_at` without a drawing)."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "出库单"
        RETURN = "return", "退料单"

    number = models.CharField("单号", max_length=20, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.PROTECT, related_name="issue_slips"
    )
    technician = _user("领料/退料技师")
    signature = models.OneToOneField(
        Signature,
        verbose_name="技师签字",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("技师确认时间", null=True, blank=True)
    by = _user("经办(配件专员)")
    at = models.DateTimeField("时间")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "出库/退料单"
        ordering = ["-at", "-id"]
        permissions = [("confirm_issueslip", "技师确认领料")]
        indexes = [
            models.Index(fields=["-at", "-id"], name="issueslip_at_idx"),
            # The technician's slips waiting for their confirmation.
            models.Index(
                fields=["technician", "-at"],
                name="issueslip_unconfirmed_idx",
                condition=Q(confirmed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.number


class PurchaseRequest(models.Model):
    """A part asked for from the supplier (请购单): for a work order's parts line that
    cannot be served from stock, or to bring a part back above its minimum."""

    class Status(models.TextChoices):
        OPEN = "open", "待到货"
        FULFILLED = "fulfilled", "已到货"
        CANCELLED = "cancelled", "已取消"

    number = models.CharField("请购单号", max_length=20, unique=True)
    part = models.ForeignKey(
        Part, verbose_name="配件", on_delete=models.PROTECT, related_name="purchase_requests"
    )
    quantity = quantity_field("请购数量")
    received_quantity = quantity_field("已到数量")
    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name="工单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_requests",
    )
    work_order_line = models.ForeignKey(
        WorkOrderLine,
        verbose_name="工单配件行",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase_requests",
    )
    expected_on = models.DateField("预计到货日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_by = _user("请购人")
    requested_at = models.DateTimeField("请购时间")
    fulfilled_at = models.DateTimeField("到货时间", null=True, blank=True)
    receipt = models.ForeignKey(
        GoodsReceipt,
        verbose_name="到货入库单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfilled_requests",
    )
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    # The advisor has read the arrival notice (到货通知) on the 工作台.
    advisor_seen_at = models.DateTimeField("顾问已阅时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "请购单"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchaserequest_quantity"),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0, received_quantity__lte=F("quantity")),
                name="purchaserequest_received_within_quantity",
            ),
            # One open request per parts line: a second press of 请购 is refused by name.
            models.UniqueConstraint(
                fields=["work_order_line"],
                condition=Q(status="open"),
                name="purchaserequest_one_open_per_line",
            ),
        ]
        indexes = [
            # Receiving: the open requests of a part, oldest first (FIFO).
            models.Index(
                fields=["part", "requested_at", "id"],
                name="purchaserequest_fifo_idx",
                condition=Q(status="open"),
            ),
            models.Index(
                fields=["status", "-requested_at", "-id"], name="purchaserequest_list_idx"
            ),
            # The advisors' arrival notices: requests fulfilled in the last days.
            models.Index(
                fields=["fulfilled_at"],
                name="purchaserequest_arrived_idx",
                condition=Q(work_order__isnull=False, advisor_seen_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.quantity - self.received_quantity


class StockCount(models.Model):
    """A stock count (盘点单) of the bins starting with `bin_prefix` (empty: every bin)."""

    class Status(models.TextChoices):
        COUNTING = "counting", "盘点中"
        SUBMITTED = "submitted", "待审批"
        POSTED = "posted", "已过账"
        CANCELLED = "cancelled", "已作废"

    number = models.CharField("盘点单号", max_length=20, unique=True)
    bin_prefix = models.CharField("库位范围(前缀)", max_length=20, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.COUNTING
    )
    created_by = _user("创建人")
    created_at = models.DateTimeField("创建时间")
    approved_by = _user("审批人", null=True, blank=True)
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "盘点单"
        ordering = ["-created_at", "-id"]
        permissions = [("approve_stockcount", "审批盘点差异")]
        indexes = [models.Index(fields=["-created_at", "-id"], name="stockcount_created_idx")]

    def __str__(self):
        return self.number


class StockCountLine(models.Model):
    count = models.ForeignKey(
        StockCount, verbose_name="盘点单", on_delete=models.CASCADE, related_name="lines"
    )
    part = models.ForeignKey(Part, verbose_name="配件", on_delete=models.PROTECT, related_name="+")
    bin = models.CharField("库位", max_length=20, blank=True)
    # On hand when the counted quantity was entered: the difference is taken at that
    # moment, so issues between the sheet's printing and the count do not show as losses.
    expected = models.DecimalField(
        "账面数量", max_digits=12, decimal_places=2, null=True, blank=True
    )
    counted = models.DecimalField(
        "实盘数量", max_digits=12, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField("差异原因", max_length=200, blank=True)
    counted_by = _user("盘点人", null=True, blank=True)
    counted_at = models.DateTimeField("盘点时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "盘点明细"
        ordering = ["count", "bin", "part"]
        constraints = [
            models.UniqueConstraint(fields=["count", "part"], name="stockcountline_part_once"),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0),
                name="stockcountline_counted_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.count_id}/{self.part_id}"

    @property
    def difference(self) -> Decimal | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected


class StockCountChange(models.Model):
    """One move of a count along counts.TRANSITIONS: who, when, from, to, why."""

    count = models.ForeignKey(
        StockCount, verbose_name="盘点单", on_delete=models.CASCADE, related_name="changes"
    )
    transition = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=10, choices=StockCount.Status.choices)
    to_status = models.CharField("新状态", max_length=10, choices=StockCount.Status.choices)
    by = _user("操作人")
    at = models.DateTimeField("时间")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "盘点状态记录"
        ordering = ["count", "at", "id"]

    def __str__(self):
        return f"{self.count_id} {self.from_status}→{self.to_status}"


class PickList(models.Model):
    """The pre-pick list (预先捡料单) of one day's appointments: made the evening before
    (the daily job, or the parts clerk's button), run again as often as wanted."""

    date = models.DateField("预约日期", unique=True)
    created_at = models.DateTimeField("生成时间")
    refreshed_at = models.DateTimeField("最近刷新时间")

    class Meta:
        verbose_name = verbose_name_plural = "预先捡料单"
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}"


class PickLine(models.Model):
    """One part of one appointment on a pick list. `reserved_quantity` caches the sum of
    the line's reservation movements (written with them, in the same transaction)."""

    class Status(models.TextChoices):
        RESERVED = "reserved", "已预留待捡"
        SHORT = "short", "缺件"
        PICKED = "picked", "已捡料"
        TRANSFERRED = "transferred", "已转工单"
        RELEASED = "released", "已释放"

    pick_list = models.ForeignKey(
        PickList, verbose_name="捡料单", on_delete=models.CASCADE, related_name="lines"
    )
    appointment_part = models.OneToOneField(
        AppointmentPart,
        verbose_name="预约配件",
        on_delete=models.PROTECT,
        related_name="pick_line",
    )
    appointment = models.ForeignKey(
        Appointment, verbose_name="预约", on_delete=models.PROTECT, related_name="pick_lines"
    )
    part = models.ForeignKey(Part, verbose_name="配件", on_delete=models.PROTECT, related_name="+")
    quantity = quantity_field("需要数量")
    reserved_quantity = quantity_field("已预留数量")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SHORT)
    short_reason = models.CharField("缺件说明", max_length=200, blank=True)
    picked_at = models.DateTimeField("捡料时间", null=True, blank=True)
    picked_by = _user("捡料人", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "预先捡料明细"
        ordering = ["pick_list", "appointment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0, reserved_quantity__lte=F("quantity")),
                name="pickline_reserved_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.pick_list_id}/{self.appointment_part_id}"

    @property
    def missing(self) -> Decimal:
        return self.quantity - self.reserved_quantity


class StockMovement(models.Model):
    """One change of a part's stock: the ledger. Never updated or deleted by the app."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "采购入库"
        ISSUE = "issue", "工单出库"
        RETURN = "return", "退料入库"
        ADJUSTMENT = "adjustment", "盘点调整"
        RESERVE = "reserve", "预留"
        RELEASE = "release", "取消预留"
        SALE = "sale", "柜台销售"

    part = models.ForeignKey(
        Part, verbose_name="配件", on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    quantity = models.DecimalField("在库变化", max_digits=12, decimal_places=2, default=ZERO)
    reserved_change = models.DecimalField("预留变化", max_digits=12, decimal_places=2, default=ZERO)
    unit_cost = models.DecimalField("单位成本", max_digits=12, decimal_places=4, default=ZERO)
    value = models.DecimalField("金额变化", max_digits=14, decimal_places=2, default=ZERO)
    at = models.DateTimeField("时间")
    by = _user("经办人")
    reason = models.CharField("说明", max_length=200, blank=True)
    # The document it belongs to (at most one of these four, by kind).
    receipt = models.ForeignKey(
        GoodsReceipt,
        verbose_name="入库单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="movements",
    )
    slip = models.ForeignKey(
        IssueSlip,
        verbose_name="出库/退料单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="movements",
    )
    count = models.ForeignKey(
        StockCount,
        verbose_name="盘点单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="movements",
    )
    work_order_line = models.ForeignKey(
        WorkOrderLine,
        verbose_name="工单配件行",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="stock_movements",
    )
    # A reservation of pre-picking (预先捡料) for an appointment, before its work order.
    pick_line = models.ForeignKey(
        PickLine,
        verbose_name="预先捡料明细",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="movements",
    )
    counter_sale = models.ForeignKey(
        "CounterSale",
        verbose_name="柜台销售单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="movements",
    )

    class Meta:
        verbose_name = verbose_name_plural = "库存流水"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0) | ~Q(reserved_change=0), name="stockmovement_moves"
            ),
        ]
        indexes = [
            # The stock of a part at a past moment: the sum of its movements up to then,
            # read from the index alone on PostgreSQL (quantity and value included).
            models.Index(
                fields=["part", "at", "id"],
                include=["quantity", "value"],
                name="stockmovement_part_at_idx",
            ),
            # The documents' lines; most movements have no line, slip, receipt or count
            # (the history), so the indexes hold only the rows that do.
            models.Index(
                fields=["work_order_line"],
                name="stockmovement_line_idx",
                condition=Q(work_order_line__isnull=False),
            ),
            models.Index(
                fields=["slip"], name="stockmovement_slip_idx", condition=Q(slip__isnull=False)
            ),
            models.Index(
                fields=["receipt"],
                name="stockmovement_receipt_idx",
                condition=Q(receipt__isnull=False),
            ),
            models.Index(
                fields=["count"], name="stockmovement_count_idx", condition=Q(count__isnull=False)
            ),
            models.Index(
                fields=["pick_line"],
                name="stockmovement_pick_line_idx",
                condition=Q(pick_line__isnull=False),
            ),
            models.Index(
                fields=["counter_sale"],
                name="stockmovement_countersale_idx",
                condition=Q(counter_sale__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.part_id} {self.quantity}"


class CounterSale(models.Model):
    """Accessories (精品) sold at the sales desk, not on a work order (柜台销售单)."""

    number = models.CharField("销售单号", max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name="客户",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_name = models.CharField("客户姓名(散客)", max_length=60, blank=True)
    seller = _user("销售人")
    total = models.DecimalField("应收金额", max_digits=12, decimal_places=2, default=ZERO)
    paid_amount = models.DecimalField("实收金额", max_digits=12, decimal_places=2, default=ZERO)
    by = _user("经办人")
    at = models.DateTimeField("销售时间")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "柜台销售单"
        ordering = ["-at", "-id"]
        permissions = [("view_accessory_commission", "查看精品提成表")]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0, paid_amount__lte=F("total")),
                name="countersale_paid_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["-at", "-id"], name="countersale_at_idx"),
            # The month's commission: a seller's sales in a period.
            models.Index(fields=["at", "seller"], name="countersale_month_idx"),
        ]

    def __str__(self):
        return self.number


class CounterSaleLine(models.Model):
    sale = models.ForeignKey(
        CounterSale, verbose_name="柜台销售单", on_delete=models.CASCADE, related_name="lines"
    )
    part = models.ForeignKey(Part, verbose_name="精品", on_delete=models.PROTECT, related_name="+")
    quantity = quantity_field("数量")
    unit_price = models.DecimalField("单价", max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField("折扣(%)", max_digits=5, decimal_places=2, default=0)
    # quantity × unit price × (1 − discount / 100), to the fen: what the commission counts.
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "柜台销售明细"
        ordering = ["sale", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="countersaleline_quantity"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="countersaleline_amount"),
        ]

    def __str__(self):
        return f"{self.sale_id}/{self.part_id}"


class AccessorySeller(models.Model):
    """Who sold an accessory (精品) line of a work order, when it is not the order's
    advisor (the default: no row)."""

    line = models.OneToOneField(
        WorkOrderLine,
        verbose_name="工单精品行",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="accessory_seller",
    )
    seller = _user("销售人")
    set_by = _user("登记人")
    set_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = verbose_name_plural = "工单精品销售人"
        ordering = ["line"]

    def __str__(self):
        return f"{self.line_id}: {self.seller_id}"
