"""Complaints (投诉, DOMAIN.md §6): the area's rules and the closed loop.

- `ComplaintSettings`: the resolution deadlines by severity (working days).
- `Complaint`: one complaint from any channel (a callback, the front desk, the phone, the
  car maker's 400 hotline with the maker's own deadline, an online review), through the
  states of `transitions.py`: received → judged (valid: investigating; not valid:
  explained and closed) → solution proposed → approved by the manager → carried out and
  accepted by the customer (signature) → second callback → closed with an evaluation. The
  manager may close an open complaint with a written reason. Each step's who / when /
  what is a `ComplaintStep` row; the fields of the step (cause, solution, …) sit on the
  complaint for the lists and the statistics.
- `ComplaintStep`: one move of a complaint (the timeline of its page).

Writes go through services.py; reads through selectors.py.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.callbacks.models import Callback
from apps.core.models import AreaSettings, TimeStampedModel, number_field
from apps.customers.models import Customer, Vehicle
from apps.workorders.models import WorkOrder


class ComplaintSettings(AreaSettings):
    domain_section = 6

    complaint_resolve_days = number_field(3, "投诉解决期限(天)", low=1, high=30)
    complaint_serious_resolve_days = number_field(1, "重大投诉解决期限(天)", low=1, high=30)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "投诉规则"


class Channel(models.TextChoices):
    CALLBACK = "callback", "回访"
    FRONT_DESK = "front_desk", "前台/到店"
    PHONE = "phone", "来电"
    MAKER_HOTLINE = "maker", "厂家 400 热线"
    ONLINE = "online", "网络评价"
    OTHER = "other", "其他"


class Category(models.TextChoices):
    REPAIR_QUALITY = "repair_quality", "维修质量"
    ATTITUDE = "attitude", "服务态度"
    PRICE = "price", "价格"
    WAITING = "waiting", "等待时间"
    PARTS = "parts", "配件"
    OTHER = "other", "其他"


class Department(models.TextChoices):
    RECEPTION = "reception", "服务接待"
    WORKSHOP = "workshop", "维修车间"
    PARTS = "parts", "配件部"
    SALES = "sales", "销售部"
    CUSTOMER_SERVICE = "customer_service", "客服部"
    OTHER = "other", "其他"


class Severity(models.TextChoices):
    GENERAL = "general", "一般"
    SERIOUS = "serious", "重大"


class Complaint(TimeStampedModel):
    class Status(models.TextChoices):
        RECEIVED = "received", "已受理"
        INVESTIGATING = "investigating", "调查中"
        PROPOSED = "proposed", "方案待批"
        APPROVED = "approved", "方案已批准"
        RESOLVED = "resolved", "待二次回访"
        CLOSED = "closed", "已结案"
        INVALID = "invalid", "不成立已关闭"

    # Open: the deadlines run; FINISHED: nothing is due any more.
    FINISHED = (Status.CLOSED, Status.INVALID)
    # Resolution done (carried out and accepted): the resolve deadline is met.
    RESOLVED_STATES = (Status.RESOLVED, Status.CLOSED, Status.INVALID)

    number = models.CharField("投诉单号", max_length=30, unique=True)
    status = models.CharField(
        "状态", max_length=14, choices=Status.choices, default=Status.RECEIVED
    )
    # --- received: who, through which channel, when, what ---
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="complaints"
    )
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name="车辆",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name="工单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    source_callback = models.ForeignKey(
        Callback,
        verbose_name="来源回访",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    complainant = models.CharField("投诉人", max_length=60, blank=True)
    channel = models.CharField("投诉渠道", max_length=12, choices=Channel.choices)
    category = models.CharField("投诉类别", max_length=16, choices=Category.choices)
    severity = models.CharField(
        "严重程度", max_length=8, choices=Severity.choices, default=Severity.GENERAL
    )
    received_at = models.DateTimeField("受理时间")
    description = models.TextField("投诉内容")
    demand = models.TextField("客户诉求", blank=True)
    maker_deadline = models.DateTimeField("厂家要求完成时间", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # --- the deadlines (from the settings when received) ---
    acknowledge_due_on = models.DateField("确认期限")
    resolve_due_on = models.DateField("解决期限")
    # --- judged ---
    acknowledged_at = models.DateTimeField("判定时间", null=True, blank=True)
    invalid_reason = models.TextField("不成立说明", blank=True)
    # --- investigated ---
    cause = models.TextField("投诉原因", blank=True)
    department = models.CharField("责任部门", max_length=16, choices=Department.choices, blank=True)
    responsible_person = models.CharField("责任人", max_length=60, blank=True)
    solution = models.TextField("处理方案", blank=True)
    # --- approved, carried out and accepted ---
    approved_at = models.DateTimeField("方案批准时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="批准人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action_taken = models.TextField("处理结果", blank=True)
    customer_signature = models.CharField("客户签字确认", max_length=60, blank=True)
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    second_callback = models.ForeignKey(
        Callback,
        verbose_name="二次回访",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # --- closed ---
    evaluation = models.TextField("结案评价", blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closed_by_manager = models.BooleanField("经理关闭", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "投诉"
        ordering = ["-received_at", "-id"]
        permissions = [
            ("work_complaint", "处理投诉(判定、调查、方案、执行、二次回访)"),
            ("approve_complaint", "审批投诉处理方案、关闭投诉"),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="complaint_received_idx"),
            models.Index(
                fields=["status", "-received_at", "-id"], name="complaint_status_received_idx"
            ),
            models.Index(fields=["resolve_due_on"], name="complaint_resolve_due_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("complaints:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINISHED

    def acknowledge_overdue(self, today) -> bool:
        return self.status == self.Status.RECEIVED and today > self.acknowledge_due_on

    def resolve_overdue(self, today) -> bool:
        return self.status not in self.RESOLVED_STATES and today > self.resolve_due_on

    def overdue(self, today) -> bool:
        return self.acknowledge_overdue(today) or self.resolve_overdue(today)


class ComplaintStep(models.Model):
    """One move of a complaint: who, when, what (the timeline)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name="投诉", on_delete=models.CASCADE, related_name="steps"
    )
    transition = models.CharField("操作", max_length=20)
    label = models.CharField("步骤", max_length=30)
    from_status = models.CharField(
        "原状态", max_length=14, choices=Complaint.Status.choices, blank=True
    )
    to_status = models.CharField("新状态", max_length=14, choices=Complaint.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")
    note = models.TextField("内容", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "投诉处理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at", "id"], name="complaint_step_idx")]

    def __str__(self):
        return f"{self.complaint_id} {self.label}"
