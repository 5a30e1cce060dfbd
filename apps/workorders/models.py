"""Work orders (任务委托书): the service file of a vehicle (DOMAIN.md §3).

This first version holds the records the customer info card shows, including service
history imported from the old system. The reception/approval/dispatch flow and its state
machine build on these models.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.models import AreaSettings, TimeStampedModel, at_least, number_field
from apps.customers.models import Customer, Vehicle


class Payer(models.TextChoices):
    CUSTOMER = "customer", "客户"
    WARRANTY = "warranty", "三包/索赔"
    INSURANCE = "insurance", "保险"
    INTERNAL = "internal", "内部"
    CAMPAIGN = "campaign", "活动免费"


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

    class Meta:
        verbose_name = verbose_name_plural = "工单"
        ordering = ["-opened_at", "-id"]
        permissions = [("view_own_jobs", "查看本人作业")]
        indexes = [
            models.Index(fields=["vehicle", "-opened_at"], name="workorder_vehicle_opened_idx"),
            models.Index(fields=["customer", "-opened_at"], name="workorder_customer_opened_idx"),
            models.Index(fields=["opened_at"], name="workorder_opened_at_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self) -> str:
        """Where a work-order number leads: its visit on the vehicle page, until the work
        order has a page of its own."""
        return f"{reverse('customers:vehicle_detail', args=[self.vehicle_id])}#visit-{self.pk}"


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

    class Meta:
        verbose_name = verbose_name_plural = "工单明细"
        ordering = ["work_order", "id"]

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

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "维修业务规则"
