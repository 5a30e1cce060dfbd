"""Warranty claims (三包索赔) and the warranty warning (三包预警), DOMAIN.md §4.

- `WarrantyClaim`: one quality problem repaired on a work order's warranty lines (payer
  三包/索赔), claimed from the maker: the repair (fault, cause, what was done, the service
  order number and the outside-service mileage), the lines it claims with their old-part
  tags (`ClaimLine`), the amounts, and the states of `transitions.py` (every move a
  `ClaimStatusChange`). It also carries what the 三包 rules count (the system and main part
  repaired, whether it was a serious safety fault, whether the assembly or a main part was
  replaced, the problem's identity): the vehicle's 三包 counts are read from its claims and
  its warranty work orders (`selectors.vehicle_warranty_status`).
- `DocumentBatch`: the signed paper documents sent back to the maker, a batch a month.
- `MonthlyStatement`: a month's amounts approved by the maker, invoiced (the reminder to
  issue the invoice is a month without one).
- `WarrantyWatch`: per vehicle, the level of its 三包 warning as last computed: the
  index the home pages' lists start from (the counts they show are computed afresh).
- `WarrantySettings`: the rules' numbers (defaults of the 2022 national rules).
Writes go through services.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from apps.core.models import AreaSettings, TimeStampedModel, number_field
from apps.customers.models import Vehicle
from apps.workorders.models import WorkOrder, WorkOrderLine


class WarrantySettings(AreaSettings):
    """The periods and thresholds of the national three-guarantee rules (家用汽车产品修理
    更换退货责任规定, 2022), and the claim deadline."""

    domain_section = 4

    warranty_repair_years = number_field(3, "包修期(年)", low=1, high=20)
    warranty_repair_km = models.PositiveIntegerField("包修期(公里)", default=60000)
    warranty_return_years = number_field(2, "三包有效期(年)", low=1, high=20)
    warranty_return_km = models.PositiveIntegerField("三包有效期(公里)", default=50000)
    warranty_serious_fault_repairs = number_field(2, "严重安全性能故障累计修理(次)", low=1, high=20)
    warranty_major_part_replacements = number_field(
        2, "发动机/变速器/动力蓄电池/驱动电机累计更换(次)", low=1, high=20
    )
    warranty_cumulative_repair_days = number_field(30, "累计修理时间超过(日)", low=1, high=365)
    warranty_same_problem_repairs = number_field(4, "同一质量问题修理超过(次)", low=1, high=50)
    warranty_courtesy_car_days = number_field(5, "单次修理超过(日)提供备用车", low=1, high=60)
    warranty_claim_deadline_days = number_field(7, "索赔提交期限(结算后天数)", low=1, high=90)
    # --- added with the claims and the warning (issue 10) ---
    warranty_same_main_part_replacements = number_field(
        2, "同一主要零件累计更换(次)", low=1, high=20
    )
    warranty_repair_days_warning = number_field(5, "累计修理时间预警:距上限(日)", low=1, high=60)
    warranty_replace_days = number_field(
        7, "购车后(日)内总成或其主要零件更换可换/退", low=1, high=90
    )
    warranty_early_fault_days = number_field(
        60, "购车后(日)内转向/制动失效等可换/退", low=1, high=365
    )
    warranty_early_fault_km = models.PositiveIntegerField(
        "购车后(公里)内转向/制动失效等可换/退", default=3000
    )
    warranty_claim_warning_days = number_field(2, "索赔提交期限前提醒(日)", low=0, high=30)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "三包索赔规则"

    def clean(self):
        if self.warranty_return_years > self.warranty_repair_years:
            raise ValidationError({"warranty_return_years": "三包有效期不能长于包修期。"})
        if self.warranty_claim_warning_days >= self.warranty_claim_deadline_days:
            raise ValidationError(
                {"warranty_claim_warning_days": "提前提醒天数须小于索赔提交期限。"}
            )


# --- what the 三包 rules count ---------------------------------------------------------------


class System(models.TextChoices):
    """The systems the 2022 rules name (第二十二条), and "other" for everything else."""

    ENGINE = "engine", "发动机"
    GEARBOX = "gearbox", "变速器"
    TRACTION_BATTERY = "traction_battery", "动力蓄电池"
    DRIVE_MOTOR = "drive_motor", "行驶驱动电机"
    STEERING = "steering", "转向系统"
    BRAKES = "brakes", "制动系统"
    SUSPENSION = "suspension", "悬架系统"
    DRIVE_TRAIN = "drive_train", "传动系统"
    EMISSION = "emission", "污染控制装置"
    BODY = "body", "车身"
    OTHER = "other", "其他(电器、空调等)"


# The assemblies whose replacement counts on its own (2022: the traction battery and the
# drive motor joined the engine and the gearbox).
MAJOR_ASSEMBLIES = (System.ENGINE, System.GEARBOX, System.TRACTION_BATTERY, System.DRIVE_MOTOR)
# The systems whose same main part replaced twice counts.
LISTED_SYSTEMS = tuple(system for system in System if system != System.OTHER)

# The main parts of each listed system (the rules' appendix), offered as suggestions; the
# clerk may type another. The same text is "the same main part".
MAIN_PARTS = {
    System.ENGINE: (
        "曲轴",
        "主轴承",
        "连杆",
        "连杆轴承",
        "活塞",
        "活塞环",
        "活塞销",
        "气缸盖",
        "凸轮轴",
        "气门",
        "气缸体",
    ),
    System.GEARBOX: ("箱体", "齿轮", "轴类", "轴承", "箱内动力传动元件(含离合器、制动器)"),
    System.TRACTION_BATTERY: ("电池单体", "电池模组", "电池管理系统", "电池箱体"),
    System.DRIVE_MOTOR: ("定子", "转子", "电机轴承", "电机控制器", "电机壳体"),
    System.STEERING: ("转向机总成", "转向柱", "转向万向节", "转向拉杆(不含球头)", "转向节"),
    System.BRAKES: ("制动主缸", "轮缸", "助力器", "制动踏板及其支架"),
    System.SUSPENSION: ("弹簧", "控制臂", "连杆(不含球头)", "减振器"),
    System.DRIVE_TRAIN: ("传动轴", "万向节", "桥壳", "主减速器", "差速器"),
    System.EMISSION: ("三元催化转化器", "颗粒捕集器", "氧传感器", "燃油蒸发控制装置"),
    System.BODY: ("车身骨架", "副车架", "纵梁", "横梁", "前后车门本体"),
}


class Replacement(models.TextChoices):
    NONE = "none", "修理,未更换总成或主要零件"
    MAIN_PART = "main_part", "更换主要零件"
    ASSEMBLY = "assembly", "更换总成"


class SeriousFault(models.TextChoices):
    """A serious safety fault (严重安全性能故障); the first five also give the right to a
    replacement or a refund within 60 days / 3,000 km (第二十一条)."""

    STEERING_FAILURE = "steering_failure", "转向系统失效"
    BRAKE_FAILURE = "brake_failure", "制动系统失效"
    BODY_CRACK = "body_crack", "车身开裂"
    FUEL_LEAK = "fuel_leak", "燃油泄漏"
    BATTERY_FIRE = "battery_fire", "动力蓄电池起火"
    OTHER = "other", "其他严重安全性能故障"


EARLY_FAULTS = tuple(kind for kind in SeriousFault if kind != SeriousFault.OTHER)


# --- claims ------------------------------------------------------------------------------------


class DocumentBatch(TimeStampedModel):
    """The signed paper documents of a month's claims, sent back to the maker together."""

    number = models.CharField("批次号", max_length=30, unique=True)
    month = models.DateField("所属月份")  # the first day of the month
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField("寄出时间", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="寄出人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    carrier_reference = models.CharField("快递单号", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "索赔单据寄送批次"
        ordering = ["-month", "-id"]

    def __str__(self):
        return self.number


class WarrantyClaim(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        APPROVED = "approved", "厂家已批准"
        REJECTED = "rejected", "厂家已驳回"
        RESUBMITTED = "resubmitted", "已重新提交"
        PAID = "paid", "厂家已付款"

    number = models.CharField("索赔单号", max_length=30, unique=True)
    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.PROTECT, related_name="warranty_claims"
    )
    # The work order's vehicle, kept on the claim: the 三包 counts read a vehicle's claims.
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.PROTECT, related_name="warranty_claims"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    # --- the repair ---
    fault_description = models.TextField("故障描述", blank=True)
    cause = models.TextField("故障原因", blank=True)
    repair_done = models.TextField("维修措施", blank=True)
    service_order_number = models.CharField("服务令号", max_length=40, blank=True)
    outside_service_km = models.PositiveIntegerField("外出服务里程(公里)", default=0)
    # --- what the 三包 rules count ---
    system = models.CharField("故障系统", max_length=20, choices=System.choices, blank=True)
    main_part = models.CharField("主要零件", max_length=60, blank=True)
    fault_code = models.CharField("故障代码", max_length=40, blank=True)
    serious_fault = models.CharField(
        "严重安全性能故障", max_length=20, choices=SeriousFault.choices, blank=True
    )
    replacement = models.CharField(
        "更换情况", max_length=10, choices=Replacement.choices, default=Replacement.NONE
    )
    # "The same quality problem" (services._problem_key): the system and the fault code,
    # or the main part when there is no code.
    problem_key = models.CharField("同一问题标识", max_length=110, blank=True)
    # --- amounts (claimed: the claimed lines' amounts; approved and paid: the maker's) ---
    labour_amount = models.DecimalField("工时费", max_digits=12, decimal_places=2, default=0)
    parts_amount = models.DecimalField("配件费", max_digits=12, decimal_places=2, default=0)
    claimed_amount = models.DecimalField("索赔金额", max_digits=12, decimal_places=2, default=0)
    approved_amount = models.DecimalField(
        "批准金额", max_digits=12, decimal_places=2, null=True, blank=True
    )
    paid_amount = models.DecimalField(
        "到账金额", max_digits=12, decimal_places=2, null=True, blank=True
    )
    maker_reference = models.CharField("厂家结算单号", max_length=60, blank=True)
    rejection_reason = models.CharField("驳回原因", max_length=200, blank=True)
    # --- the moves' times (their rows are ClaimStatusChange; these serve lists) ---
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("厂家审核时间", null=True, blank=True)
    paid_at = models.DateTimeField("到账时间", null=True, blank=True)
    # --- paper documents ---
    documents_signed_at = models.DateTimeField("单据签字时间", null=True, blank=True)
    documents_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="单据签字登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    batch = models.ForeignKey(
        DocumentBatch,
        verbose_name="寄送批次",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )

    class Meta:
        verbose_name = verbose_name_plural = "三包索赔单"
        ordering = ["-created_at", "-id"]
        # Each move of transitions.TRANSITIONS names one of these (or change_warrantyclaim).
        permissions = [
            ("submit_warrantyclaim", "提交索赔"),
            ("decide_warrantyclaim", "登记厂家审核结果"),
            ("pay_warrantyclaim", "登记厂家付款"),
            ("manage_claim_documents", "索赔单据签字与寄送"),
            ("view_warranty_statement", "索赔月结单与开票"),
            ("view_warranty_watch", "查看三包预警汇总"),
        ]
        indexes = [
            # The list: newest first, by state, by month (keyset on created_at, id).
            models.Index(fields=["-created_at", "-id"], name="claim_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="claim_status_created_idx"),
            # A vehicle's claims (the 三包 counts).
            models.Index(fields=["vehicle", "created_at"], name="claim_vehicle_idx"),
            # The monthly statement: a month's approvals.
            models.Index(fields=["decided_at"], name="claim_decided_at_idx"),
            # The paper documents of a month's submissions.
            models.Index(fields=["submitted_at"], name="claim_submitted_at_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("warranty:claim_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        """A draft is filled in; a rejected claim is corrected before it is resubmitted."""
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


class ClaimLine(models.Model):
    """A warranty line of the work order claimed on `claim` (a line is claimed once), with
    the tag of the old part kept for the maker (part lines): the claim number, a serial,
    and the fault."""

    claim = models.ForeignKey(
        WarrantyClaim, verbose_name="索赔单", on_delete=models.CASCADE, related_name="lines"
    )
    line = models.OneToOneField(
        WorkOrderLine,
        verbose_name="工单明细",
        on_delete=models.PROTECT,
        related_name="warranty_claim_line",
    )
    tag_number = models.CharField("旧件标签号", max_length=40, blank=True)
    old_part_fault = models.CharField("旧件故障", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "索赔明细"
        ordering = ["claim", "id"]

    def __str__(self):
        return self.tag_number or str(self.line_id)


class ClaimStatusChange(models.Model):
    """One move of transitions.TRANSITIONS: who, when, from, to, why."""

    claim = models.ForeignKey(
        WarrantyClaim,
        verbose_name="索赔单",
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    transition = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=12, choices=WarrantyClaim.Status.choices)
    to_status = models.CharField("新状态", max_length=12, choices=WarrantyClaim.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")
    reason = models.CharField("原因/说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "索赔状态变更"
        ordering = ["claim", "at", "id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class MonthlyStatement(TimeStampedModel):
    """A month's claims approved by the maker, invoiced: the amount and claims as the
    statement showed them when the invoice was recorded."""

    month = models.DateField("月份", unique=True)  # the first day of the month
    claims_count = models.PositiveIntegerField("索赔单数")
    total_amount = models.DecimalField("应收金额", max_digits=14, decimal_places=2)
    invoice_number = models.CharField("发票号码", max_length=40)
    invoice_issued_on = models.DateField("开票日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "索赔月结单开票"
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.invoice_number}"


class WarrantyWatch(models.Model):
    """A vehicle's 三包 warning as last computed (services.warranty_watch_refresh, after
    every claim write and by the nightly job): which vehicles the home pages list. The
    counts shown are always computed afresh from the claims and work orders."""

    class Level(models.IntegerChoices):
        CLEAR = 0, "无预警"
        NEAR = 1, "差一次达到"
        REACHED = 2, "已达到"

    vehicle = models.OneToOneField(
        Vehicle,
        verbose_name="车辆",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="warranty_watch",
    )
    level = models.PositiveSmallIntegerField("预警级别", choices=Level.choices, default=0)
    headline = models.CharField("预警摘要", max_length=200, blank=True)
    # The end of the return-or-replace period (三包有效期): a vehicle past it has no rights
    # left to warn about.
    return_ends_on = models.DateField("三包有效期至", null=True, blank=True)
    refreshed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "三包预警"
        ordering = ["-level", "vehicle"]
        indexes = [models.Index(fields=["-level", "vehicle"], name="watch_level_idx")]

    def __str__(self):
        return f"{self.vehicle_id} {self.get_level_display()}"
