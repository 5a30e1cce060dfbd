"""Work orders (任务委托书): the service file of a vehicle (DOMAIN.md §3).

Reception (with its pre-inspection sheet), lines with a payer each, the customer's
per-line approval (signed on the tablet or taken by phone), the states of §3 (the table in
transitions.py, every move a StatusChange row), delivery and settlement. Orders imported
from the old system (source=import) are read-only history. Writes go through services.py;
the stored amounts on WorkOrder are a cache written only by `work_order_recompute_totals`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.models import (
    AreaSettings,
    TimeStampedModel,
    at_least,
    money_field,
    number_field,
    percent_field,
)
from apps.core.storage import private_storage_callable
from apps.customers.models import Customer, Vehicle
from apps.parts.models import Part


class Payer(models.TextChoices):
    CUSTOMER = "customer", "客户"
    WARRANTY = "warranty", "三包/索赔"
    INSURANCE = "insurance", "保险"
    INTERNAL = "internal", "内部"
    CAMPAIGN = "campaign", "活动免费"


class OldParts(models.TextChoices):
    SHOWN = "shown", "旧件已展示并交客户"
    LEFT = "left", "旧件留厂处理"


class WorkOrder(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        APPROVED = "approved", "客户确认"
        DISPATCHED = "dispatched", "已派工"
        IN_PROGRESS = "in_progress", "维修中"
        SELF_CHECKED = "self_checked", "自检"
        TEAM_CHECKED = "team_checked", "班组长检验"
        QC_PASSED = "qc_passed", "终检"
        WASHED = "washed", "洗车"
        READY = "ready", "待交车"
        DELIVERED = "delivered", "已交车"
        SETTLED = "settled", "已结算"
        CANCELLED = "cancelled", "已取消"

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", "保养"
        REPAIR = "repair", "一般维修"
        ACCIDENT = "accident", "事故车"
        WARRANTY = "warranty", "三包"
        CAMPAIGN = "campaign", "活动"
        INTERNAL = "internal", "内部"

    class Source(models.TextChoices):
        SYSTEM = "system", "本系统"
        IMPORT = "import", "旧系统导入"

    number = models.CharField("工单号", max_length=30, unique=True)
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.PROTECT, related_name="work_orders"
    )
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="work_orders"
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务顾问",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.REPAIR)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default="system")
    opened_at = models.DateTimeField("进厂时间")
    delivered_at = models.DateTimeField("交车时间", null=True, blank=True)
    mileage = models.PositiveIntegerField("进厂里程(公里)", default=0)
    customer_words = models.TextField("客户描述", blank=True)
    labour_amount = models.DecimalField("工时费", max_digits=12, decimal_places=2, default=0)
    parts_amount = models.DecimalField("配件费", max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField("合计", max_digits=12, decimal_places=2, default=0)
    customer_paid_amount = models.DecimalField(
        "客户付费金额", max_digits=12, decimal_places=2, default=0
    )
    # --- the rest of the stored totals (a cache: only work_order_recompute_totals writes
    # them, from work_order_totals(lines); `manage.py check_workorder_totals` verifies) ---
    materials_amount = models.DecimalField("辅料费", max_digits=12, decimal_places=2, default=0)
    discount_amount = models.DecimalField("优惠金额", max_digits=12, decimal_places=2, default=0)
    warranty_amount = models.DecimalField(
        "三包/索赔金额", max_digits=12, decimal_places=2, default=0
    )
    insurance_amount = models.DecimalField("保险金额", max_digits=12, decimal_places=2, default=0)
    internal_amount = models.DecimalField("内部金额", max_digits=12, decimal_places=2, default=0)
    campaign_amount = models.DecimalField(
        "活动免费金额", max_digits=12, decimal_places=2, default=0
    )
    # --- reception ---
    mileage_lower_reason = models.CharField("里程低于上次记录的原因", max_length=200, blank=True)
    promised_at = models.DateTimeField("承诺交车时间", null=True, blank=True)
    insurer = models.CharField("保险公司", max_length=50, blank=True)
    insurer_claim_number = models.CharField("保险报案号", max_length=40, blank=True)
    # --- delivery (交车) ---
    internal_checked_at = models.DateTimeField("内部交车检查时间", null=True, blank=True)
    internal_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="内部检查人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    old_parts = models.CharField("旧件处理", max_length=10, choices=OldParts.choices, blank=True)
    next_maintenance_on = models.DateField("下次保养日期", null=True, blank=True)
    next_maintenance_km = models.PositiveIntegerField("下次保养里程", null=True, blank=True)
    callback_preferred_time = models.CharField(
        "回访时间偏好", max_length=10, choices=Customer.ContactTime.choices, blank=True
    )
    callback_told = models.BooleanField("已告知三日回访", default=False)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="交车人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # --- settlement (结算): the warranty-claim deadline counts from settled_at ---
    # The customer waits in the lounge: dispatch puts such orders before others.
    customer_waiting = models.BooleanField("客户在店等候", default=False)
    settled_at = models.DateTimeField("结算时间", null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结算人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "工单"
        ordering = ["-opened_at", "-id"]
        # Each move of transitions.TRANSITIONS names one of these (or add/change_workorder).
        permissions = [
            ("view_own_jobs", "查看本人作业"),
            ("dispatch_workorder", "派工"),
            ("work_workorder", "维修作业(开工、完工、自检)"),
            ("inspect_workorder", "班组长检验"),
            ("qc_workorder", "终检"),
            ("deliver_workorder", "交车"),
            ("settle_workorder", "结算"),
            ("cancel_workorder", "取消工单"),
            ("reopen_workorder", "工单退回(需原因)"),
            ("approve_discount", "批准超限优惠"),
            ("edit_catalogue", "维护工时项目与套餐"),
        ]
        indexes = [
            models.Index(fields=["vehicle", "-opened_at"], name="workorder_vehicle_opened_idx"),
            models.Index(fields=["customer", "-opened_at"], name="workorder_customer_opened_idx"),
            models.Index(fields=["opened_at"], name="workorder_opened_at_idx"),
            # The list's filters in its keyset order, and the advisor's home.
            models.Index(
                fields=["status", "-opened_at", "-id"], name="workorder_status_opened_idx"
            ),
            models.Index(
                fields=["advisor", "-opened_at", "-id"], name="workorder_advisor_opened_idx"
            ),
            # "Settled today" (the advisor's home, the 工作台): a range of a day, not a scan of
            # every settled order (imported and bulk-demo history leave settled_at empty).
            models.Index(fields=["settled_at"], name="workorder_settled_at_idx"),
            # The callback generator reads a few days' deliveries (3DC) and a month's
            # (level 3) out of ten years of orders.
            models.Index(fields=["delivered_at"], name="workorder_delivered_at_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self) -> str:
        """Where a work-order number leads: the work-order page."""
        return reverse("workorders:detail", args=[self.pk])

    @property
    def is_read_only(self) -> bool:
        """Imported history, settled and cancelled orders take no more changes."""
        return self.source == self.Source.IMPORT or self.status in (
            self.Status.SETTLED,
            self.Status.CANCELLED,
        )


class LineStatus(models.TextChoices):
    PROPOSED = "proposed", "待客户确认"
    APPROVED = "approved", "客户同意"
    DECLINED = "declined", "客户不同意"


class WorkOrderLine(TimeStampedModel):
    class Kind(models.TextChoices):
        LABOUR = "labour", "工时"
        PART = "part", "配件"
        MATERIAL = "material", "辅料"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    code = models.CharField("编码", max_length=40, blank=True)
    description = models.CharField("项目", max_length=200)
    quantity = models.DecimalField("数量/工时", max_digits=10, decimal_places=2, default=1)
    unit_price = models.DecimalField("单价", max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, default=0)
    payer = models.CharField("付费方", max_length=10, choices=Payer.choices, default="customer")
    # --- the flow's fields; imported lines keep the defaults (approved history) ---
    status = models.CharField(
        "客户确认", max_length=10, choices=LineStatus.choices, default=LineStatus.APPROVED
    )
    is_added = models.BooleanField("增项", default=False)  # added after the first approval
    labour_operation = models.ForeignKey(
        "LabourOperation", verbose_name="工时项目", on_delete=models.PROTECT, null=True, blank=True
    )
    part = models.ForeignKey(
        Part, verbose_name="配件", on_delete=models.PROTECT, null=True, blank=True
    )
    canned_job = models.ForeignKey(
        "CannedJob", verbose_name="套餐", on_delete=models.SET_NULL, null=True, blank=True
    )
    from_recommendation = models.ForeignKey(
        "Recommendation",
        verbose_name="来自建议项目",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # amount = quantity × unit_price × (1 − discount_percent / 100), rounded to fen.
    discount_percent = models.DecimalField("折扣(%)", max_digits=5, decimal_places=2, default=0)
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="超限优惠批准人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approval = models.ForeignKey(
        "Approval",
        verbose_name="确认记录",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    decline_reason = models.CharField("不维修原因", max_length=200, blank=True)
    done_at = models.DateTimeField("完工时间", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="完工人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    qc_passed_at = models.DateTimeField("质检通过时间", null=True, blank=True)
    qc_passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="质检人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # How much of a parts line has left the parts store for this order (issued less
    # returned): a cache of the stock movements, written only by apps.stock.services in the
    # same transaction as them (`manage.py check_stock` verifies). The settle guard reads it
    # here, so this app needs nothing from the stock app.
    issued_quantity = models.DecimalField("已出库数量", max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = verbose_name_plural = "工单明细"
        ordering = ["work_order", "id"]

    @property
    def is_declined(self) -> bool:
        return self.status == LineStatus.DECLINED

    def __str__(self):
        return self.description


class ServiceSettings(AreaSettings):
    """The service flow's rules (DOMAIN.md §3): appointments and maintenance intervals."""

    domain_section = 3

    appointment_lost_months = number_field(24, "预约对象排除:未进厂月数", low=1, high=120)
    appointment_confirm_minutes = number_field(60, "预约前确认(分钟)", low=10, high=24 * 60)
    maintenance_interval_months = number_field(6, "默认保养间隔(月)", low=1, high=36)
    maintenance_interval_km = models.PositiveIntegerField(
        "默认保养间隔(公里)", default=5000, validators=[at_least(500)]
    )
    labour_rate = money_field("200.00", "工时单价(元/工时)")
    max_line_discount_percent = percent_field("10", "明细折扣上限(%),超出需经理批准")
    delay_warning_minutes = number_field(60, "承诺交车前提醒延时(分钟)", low=5, high=24 * 60)
    # Appointments (issue 9): slots run from the dealership's opening to its closing time.
    appointment_slot_minutes = number_field(60, "预约时段长度(分钟)", low=15, high=240)
    appointment_slot_capacity = number_field(6, "每时段预约上限(台)", low=1, high=100)
    appointment_advisor_slot_capacity = number_field(
        2, "每位顾问每时段预约上限(台)", low=1, high=50
    )
    appointment_on_time_minutes = number_field(15, "准时到店:预约时间后N分钟内", low=0, high=120)
    # The workshop (issue 9): washing is the one optional step of the state machine.
    wash_step = models.BooleanField("终检后洗车", default=True)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "维修业务规则"


class MaintenanceInterval(models.Model):
    """Next-maintenance defaults for one model (DOMAIN.md §3 delivery); models without a
    row use ServiceSettings.maintenance_interval_months / _km."""

    model_name = models.CharField("车型", max_length=60, unique=True)
    months = number_field(6, "保养间隔(月)", low=1, high=36)
    km = models.PositiveIntegerField("保养间隔(公里)", default=5000, validators=[at_least(500)])

    class Meta:
        verbose_name = verbose_name_plural = "车型保养间隔"
        ordering = ["model_name"]

    def __str__(self):
        return self.model_name


# --- the catalogue (edited by managers) ------------------------------------------------------


class LabourOperation(TimeStampedModel):
    code = models.CharField("工时代码", max_length=40, unique=True)
    name = models.CharField("工时名称", max_length=100)
    standard_hours = models.DecimalField("标准工时", max_digits=6, decimal_places=2)
    # As Part.fits_models: model names separated by "、"; empty fits every model.
    fits_models = models.CharField("适用车型", max_length=500, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "工时项目"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class CannedJob(TimeStampedModel):
    """A package of lines added in one tap, e.g. "10,000 公里保养" for one model."""

    name = models.CharField("套餐名称", max_length=100)
    model_name = models.CharField("适用车型", max_length=60, blank=True)  # empty: every model
    mileage = models.PositiveIntegerField("对应里程(公里)", null=True, blank=True)
    kind = models.CharField(
        "工单类型",
        max_length=12,
        choices=WorkOrder.Kind.choices,
        default=WorkOrder.Kind.MAINTENANCE,
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "维修套餐"
        ordering = ["model_name", "mileage", "name"]

    def __str__(self):
        return self.name


class CannedJobLine(models.Model):
    canned_job = models.ForeignKey(
        CannedJob, verbose_name="套餐", on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField("类别", max_length=10, choices=WorkOrderLine.Kind.choices)
    labour_operation = models.ForeignKey(
        LabourOperation, verbose_name="工时项目", on_delete=models.PROTECT, null=True, blank=True
    )
    part = models.ForeignKey(
        Part, verbose_name="配件", on_delete=models.PROTECT, null=True, blank=True
    )
    description = models.CharField("项目(辅料或覆盖名称)", max_length=200, blank=True)
    quantity = models.DecimalField("数量/工时", max_digits=10, decimal_places=2, default=1)
    # Empty: the catalogue's price (part price, or standard hours × the labour rate).
    unit_price = models.DecimalField("单价", max_digits=12, decimal_places=2, null=True, blank=True)
    payer = models.CharField("付费方", max_length=10, choices=Payer.choices, default="customer")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "套餐明细"
        ordering = ["canned_job", "position", "id"]

    # --- signatures, approvals, recommendations --------------------------------------------------

    def __str__(self):
        return self.description or str(self.labour_operation or self.part)


class Signature(models.Model):
    """A drawn signature: the PNG (checked server-side), the stroke points, and a SHA-256
    over the signed content (canonical JSON in `content`) plus the PNG's bytes."""

    signer_name = models.CharField("签字人", max_length=50)
    signed_at = models.DateTimeField("签字时间")
    png = models.FileField(
        "签字图片", upload_to="signatures/%Y/%m/", storage=private_storage_callable
    )
    points = models.JSONField("笔迹坐标")
    content = models.JSONField("签字内容")
    sha256 = models.CharField("SHA-256", max_length=64)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "客户签字"

    def __str__(self):
        return f"{self.signer_name} {self.signed_at:%Y-%m-%d %H:%M}"


class Approval(models.Model):
    """The customer's decision on the proposed lines of an order: the first one (estimate)
    or one for added items (增项). Lines point here through WorkOrderLine.approval."""

    class Method(models.TextChoices):
        SIGNATURE = "signature", "平板签字"
        PHONE = "phone", "电话确认"

    class Kind(models.TextChoices):
        ESTIMATE = "estimate", "报价确认"
        ADDED = "added", "增项确认"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="approvals"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    method = models.CharField("方式", max_length=10, choices=Method.choices)
    customer_name = models.CharField("客户姓名", max_length=50)
    approved_at = models.DateTimeField("确认时间")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    phone_number = models.CharField("联系电话", max_length=20, blank=True)  # phone approvals
    phone_note = models.CharField("电话确认说明", max_length=200, blank=True)
    signature = models.OneToOneField(
        Signature, verbose_name="签字", on_delete=models.PROTECT, null=True, blank=True
    )
    # What was decided, as shown to the customer: [{id, kind, description, quantity,
    # unit_price, discount_percent, amount, payer, decision}], and the SHA-256 over it.
    lines_snapshot = models.JSONField("确认明细")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "客户确认"
        ordering = ["work_order", "approved_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.customer_name}"


class Recommendation(TimeStampedModel):
    """A line the customer declined: kept on the vehicle with its price and reason, shown at
    the next reception (and read by the 3DC script and the reminders)."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        ACCEPTED = "accepted", "已加入工单"
        DISMISSED = "dismissed", "已撤销"

    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.CASCADE, related_name="recommendations"
    )
    source_line = models.OneToOneField(
        WorkOrderLine,
        verbose_name="来源明细",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendation",
    )
    source_work_order = models.ForeignKey(
        WorkOrder,
        verbose_name="来源工单",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
    )
    kind = models.CharField("类别", max_length=10, choices=WorkOrderLine.Kind.choices)
    code = models.CharField("编码", max_length=40, blank=True)
    description = models.CharField("项目", max_length=200)
    quantity = models.DecimalField("数量/工时", max_digits=10, decimal_places=2, default=1)
    unit_price = models.DecimalField("单价", max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, default=0)
    reason = models.CharField("客户不维修原因", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "建议维修项目"
        ordering = ["vehicle", "-created_at", "-id"]
        indexes = [models.Index(fields=["vehicle", "status"], name="recommendation_open_idx")]

    def __str__(self):
        return self.description


# --- states, delay, reception sheet ----------------------------------------------------------


class StatusChange(models.Model):
    """One move of transitions.TRANSITIONS: who, when, from, to, why."""

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="status_changes"
    )
    transition = models.CharField("操作", max_length=30)
    from_status = models.CharField("原状态", max_length=12, choices=WorkOrder.Status.choices)
    to_status = models.CharField("新状态", max_length=12, choices=WorkOrder.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工单状态变更"
        ordering = ["work_order", "at", "id"]
        indexes = [models.Index(fields=["to_status", "at"], name="statuschange_to_at_idx")]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class DelayNotice(models.Model):
    """The customer was told, before the promise passed, that the car will be late."""

    class How(models.TextChoices):
        PHONE = "phone", "电话"
        IN_PERSON = "in_person", "当面"
        SMS = "sms", "短信"
        WECHAT = "wechat", "微信"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="delay_notices"
    )
    old_promised_at = models.DateTimeField("原承诺时间")
    new_promised_at = models.DateTimeField("新承诺时间")
    told_at = models.DateTimeField("告知时间")
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="告知人", on_delete=models.PROTECT, related_name="+"
    )
    how = models.CharField("告知方式", max_length=10, choices=How.choices)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "延时告知"
        ordering = ["work_order", "told_at"]

    def __str__(self):
        return f"{self.old_promised_at:%m-%d %H:%M} → {self.new_promised_at:%m-%d %H:%M}"


class Inspection(models.Model):
    """The pre-inspection sheet (接车登记表 / 预检表) of one work order."""

    class Fuel(models.IntegerChoices):
        EMPTY = 0, "空"
        QUARTER = 1, "1/4"
        HALF = 2, "1/2"
        THREE_QUARTERS = 3, "3/4"
        FULL = 4, "满"

    class Check(models.TextChoices):
        OK = "ok", "正常"
        ATTENTION = "attention", "需注意"
        MISSING = "missing", "缺失/异常"

    work_order = models.OneToOneField(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="inspection"
    )
    fuel_level = models.PositiveSmallIntegerField("燃油", choices=Fuel.choices, default=Fuel.HALF)
    # {"engine_oil": "ok", "coolant": "ok", "brake_fluid": "ok", "washer": "attention", …}
    fluids = models.JSONField("油液", default=dict, blank=True)
    spare_tyre = models.CharField("备胎", max_length=10, choices=Check.choices, default=Check.OK)
    tools = models.CharField("随车工具", max_length=10, choices=Check.choices, default=Check.OK)
    interior = models.CharField("内饰", max_length=10, choices=Check.choices, default=Check.OK)
    electrics = models.CharField("电器", max_length=10, choices=Check.choices, default=Check.OK)
    valuables = models.CharField("车内贵重物品", max_length=200, blank=True)
    notes = models.TextField("其他检查说明", blank=True)
    signature = models.OneToOneField(
        Signature, verbose_name="客户签字", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "接车登记表"

    def __str__(self):
        return f"接车登记表 {self.work_order_id}"


class DamageMark(models.Model):
    """A mark on the car outline: x, y in percent of the drawing (0–100)."""

    class Kind(models.TextChoices):
        SCRATCH = "scratch", "划痕"
        DENT = "dent", "凹陷"
        CRACK = "crack", "裂纹"
        PAINT = "paint", "掉漆"
        OTHER = "other", "其他"

    inspection = models.ForeignKey(
        Inspection, verbose_name="接车登记表", on_delete=models.CASCADE, related_name="marks"
    )
    x = models.DecimalField("横向位置(%)", max_digits=5, decimal_places=2)
    y = models.DecimalField("纵向位置(%)", max_digits=5, decimal_places=2)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "外观损伤标记"
        ordering = ["inspection", "id"]

    def __str__(self):
        return self.get_kind_display()


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name="接车登记表", on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(
        "照片", upload_to="inspections/%Y/%m/", storage=private_storage_callable
    )
    thumbnail = models.FileField(
        "缩略图", upload_to="inspections/%Y/%m/thumbs/", storage=private_storage_callable
    )
    content_type = models.CharField("格式", max_length=20)
    mark = models.ForeignKey(
        DamageMark, verbose_name="对应损伤", on_delete=models.SET_NULL, null=True, blank=True
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "接车照片"
        ordering = ["inspection", "id"]

    # --- settlement ------------------------------------------------------------------------------

    def __str__(self):
        return self.image.name


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", "现金"
        CARD = "card", "银行卡"
        WECHAT = "wechat", "微信支付"
        ALIPAY = "alipay", "支付宝"
        TRANSFER = "transfer", "转账"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="payments"
    )
    method = models.CharField("支付方式", max_length=10, choices=Method.choices)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    reference = models.CharField("交易参考号", max_length=64, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="收款人", on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField("收款时间")

    class Meta:
        verbose_name = verbose_name_plural = "收款"
        ordering = ["work_order", "received_at", "id"]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class Receivable(models.Model):
    """A share another party pays: the insurer's (insurance lines) or the maker's (warranty
    lines), left open at settlement."""

    class Status(models.TextChoices):
        OPEN = "open", "未收回"
        SETTLED = "settled", "已收回"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="receivables"
    )
    payer = models.CharField("付费方", max_length=10, choices=Payer.choices)
    party = models.CharField("欠款方", max_length=60)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField("产生时间")

    class Meta:
        verbose_name = verbose_name_plural = "应收款"
        ordering = ["work_order", "id"]
        indexes = [models.Index(fields=["status", "payer"], name="receivable_open_idx")]

    # --- printed documents -----------------------------------------------------------------------

    def __str__(self):
        return f"{self.party} {self.amount}"


class WorkOrderDocument(models.Model):
    """A printed A4 document, stored with its hash so that a reprint is the same file; a
    changed content makes a new version (content_sha256 over the data it was made from)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", "接车登记表"
        ESTIMATE = "estimate", "报价单"
        WORK_ORDER = "work_order", "任务委托书"
        SETTLEMENT = "settlement", "结算单"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField("文件", max_length=12, choices=Kind.choices)
    version = models.PositiveSmallIntegerField("版本", default=1)
    file = models.FileField("PDF", upload_to="documents/%Y/%m/", storage=private_storage_callable)
    sha256 = models.CharField("文件SHA-256", max_length=64)
    content_sha256 = models.CharField("内容SHA-256", max_length=64)
    created_at = models.DateTimeField("生成时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "工单打印文件"
        ordering = ["work_order", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "kind", "version"], name="workorderdocument_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"


class NumberSequence(models.Model):
    """Counters for document numbers (e.g. WO + date + serial), taken under a row lock."""

    key = models.CharField("序列", max_length=30, unique=True)
    last = models.PositiveIntegerField("当前值", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "编号序列"

    def __str__(self):
        return self.key
