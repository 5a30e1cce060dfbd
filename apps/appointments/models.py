"""Appointments (预约, DOMAIN.md §3): targets, bookings with slot capacity, the day board,
confirmations and arrivals. Above workorders: an arrival opens a work order, and
`Appointment.work_order` (related_name "appointment") tells the dispatch board which
orders came by appointment.

- `Appointment`: a car booked into a slot (date + start time) with an advisor, the work
  asked for (text, canned jobs, the vehicle's open recommendations) and the parts it
  needs; its states in transitions.py, every move an `AppointmentStatusChange`.
- `AppointmentSlot`: one row per slot of a day that has bookings: the row a booking locks
  while it counts the slot's places, so two advisors taking the last place cannot both
  get it.
- `Target`: the advisors' call lists (预约对象), one row per vehicle and reason,
  precomputed nightly by `services.targets_refresh` from the service history (the
  mileage estimate reads every visit of a car: too much for a page).
- `UnreachablePhone`: a customer's mobile that could not be reached; the customer drops
  out of the targets until the number changes.

Writes go through services.py; reads with their joins live in selectors.py.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import AreaSettings, TimeStampedModel, number_field
from apps.customers.models import Customer, Vehicle
from apps.parts.models import Part
from apps.workorders.models import CannedJob, Recommendation, WorkOrder


class AppointmentSettings(AreaSettings):
    """How far ahead a car becomes an appointment target (预约对象). The slots, their
    capacity, the confirmation and the lost-customer rule are workorders.ServiceSettings'
    appointment_* fields."""

    domain_section = 3

    target_maintenance_days = number_field(14, "预约对象:保养到期前(天)", low=0, high=90)
    target_insurance_days = number_field(30, "预约对象:保险到期前(天)", low=1, high=120)
    target_warranty_days = number_field(30, "预约对象:三包到期前(天)", low=1, high=180)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "预约对象规则"


class Source(models.TextChoices):
    """Where a booking came from: a target list (which one), the customer card, a call."""

    TARGET_MAINTENANCE = "target_maintenance", "预约对象:保养到期"
    TARGET_INSURANCE = "target_insurance", "预约对象:保险到期"
    TARGET_WARRANTY = "target_warranty", "预约对象:三包到期"
    TARGET_RECOMMENDATION = "target_recommendation", "预约对象:建议项目未做"
    CARD = "card", "客户档案"
    PHONE = "phone", "客户来电"
    REBOOK = "rebook", "改约"


class Reason(models.TextChoices):
    """Why an appointment was cancelled, re-booked or missed (transitions.REASONS says
    which apply to which move)."""

    CUSTOMER_BUSY = "customer_busy", "客户临时有事"
    CUSTOMER_ASKED = "customer_asked", "客户要求改期"
    FORGOT = "forgot", "客户忘记"
    UNREACHABLE = "unreachable", "联系不上"
    DONE_ELSEWHERE = "done_elsewhere", "已在他处维修"
    VEHICLE_GONE = "vehicle_gone", "车辆已转让/报废"
    PRICE = "price", "价格原因"
    DEALER = "dealer", "本店无法接待(时段/工位)"
    PARTS = "parts", "配件未到"
    OTHER = "other", "其他"


class AppointmentSlot(models.Model):
    """The lock row of one slot of one day (see services.appointment_book)."""

    date = models.DateField("日期")
    starts_at = models.TimeField("开始时间")

    class Meta:
        verbose_name = verbose_name_plural = "预约时段"
        ordering = ["date", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["date", "starts_at"], name="appointmentslot_unique")
        ]

    def __str__(self):
        return f"{self.date} {self.starts_at:%H:%M}"


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", "已预约"
        CONFIRMED = "confirmed", "已确认"
        ARRIVED = "arrived", "已到店"
        NO_SHOW = "no_show", "爽约"
        CANCELLED = "cancelled", "已取消"
        REBOOKED = "rebooked", "已改约"

    date = models.DateField("预约日期")
    starts_at = models.DateTimeField("预约时间")  # the slot's start on `date`, local time
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务顾问",
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="appointments"
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.PROTECT, related_name="appointments"
    )
    requested_work = models.TextField("预约项目/客户需求", blank=True)
    canned_jobs = models.ManyToManyField(
        CannedJob, verbose_name="预约套餐", blank=True, related_name="+"
    )
    recommendations = models.ManyToManyField(
        Recommendation, verbose_name="预约的建议项目", blank=True, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="booked")
    reason_code = models.CharField("原因", max_length=20, choices=Reason.choices, blank=True)
    reason = models.CharField("原因说明", max_length=200, blank=True)
    source = models.CharField("来源", max_length=25, choices=Source.choices, default="phone")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="预约人", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    arrived_at = models.DateTimeField("到店时间", null=True, blank=True)
    work_order = models.OneToOneField(
        WorkOrder,
        verbose_name="工单",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointment",
    )
    rebooked_from = models.OneToOneField(
        "self",
        verbose_name="改约自",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rebooked_to",
    )

    class Meta:
        verbose_name = verbose_name_plural = "预约"
        ordering = ["starts_at", "id"]
        indexes = [
            # The day board, a slot's count under its lock, the statistics by day.
            models.Index(fields=["date", "starts_at"], name="appointment_day_idx"),
            # The show and on-time rates of a period (a year: ~20,000 rows) from the index
            # alone (selectors.appointment_rates reads no other column).
            models.Index(
                fields=["date"],
                include=["advisor", "status", "starts_at", "arrived_at"],
                name="appointment_rates_idx",
            ),
            # The confirmation list: booked, not yet confirmed, by start time.
            models.Index(
                fields=["starts_at"],
                condition=models.Q(status="booked"),
                name="appointment_unconfirmed_idx",
            ),
        ]
        constraints = [
            # One open appointment per car (a second booking is a re-booking): the targets
            # leave booked cars out, and a double tap books once.
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=models.Q(status__in=["booked", "confirmed"]),
                name="appointment_one_open_per_vehicle",
                violation_error_message="这辆车已有未完成的预约。",
            ),
        ]

    def __str__(self):
        return f"{self.vehicle} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# Appointments that hold a place in their slot (a missed, cancelled or re-booked one frees it).
ACTIVE_STATUSES = (
    Appointment.Status.BOOKED,
    Appointment.Status.CONFIRMED,
    Appointment.Status.ARRIVED,
)
# Appointments still waiting for the car.
OPEN_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED)


class AppointmentPart(models.Model):
    """A part the booked work needs (the parts clerk reserves and pre-picks it the day
    before): from the canned jobs' part lines, the recommendations, or typed in."""

    appointment = models.ForeignKey(
        Appointment, verbose_name="预约", on_delete=models.CASCADE, related_name="parts"
    )
    part = models.ForeignKey(Part, verbose_name="配件", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField("数量", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "预约所需配件"
        ordering = ["appointment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "part"], name="appointmentpart_once")
        ]

    def __str__(self):
        return f"{self.part} × {self.quantity}"


class AppointmentStatusChange(models.Model):
    """One move of transitions.TRANSITIONS: who, when, from, to, why."""

    appointment = models.ForeignKey(
        Appointment, verbose_name="预约", on_delete=models.CASCADE, related_name="status_changes"
    )
    transition = models.CharField("操作", max_length=20)
    from_status = models.CharField(
        "原状态", max_length=10, choices=Appointment.Status.choices, blank=True
    )
    to_status = models.CharField("新状态", max_length=10, choices=Appointment.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")
    reason_code = models.CharField("原因", max_length=20, choices=Reason.choices, blank=True)
    reason = models.CharField("原因说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "预约状态变更"
        ordering = ["appointment", "at", "id"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"


class Target(models.Model):
    """One reason to call a car's owner for an appointment (预约对象), as of `refreshed_at`.

    `due_on` is the day the reason is about: the next maintenance (the earlier of the date
    rule and the mileage estimate, `due_by` says which), the insurance expiry, the end of
    the warranty, or the day the oldest open recommendation was declined. The lists read
    one kind in `due_on` order and check the live facts of the page's rows (the car's
    insurance date, its open recommendations, a visit since the refresh, an open booking).
    """

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", "保养到期"
        INSURANCE = "insurance", "保险到期"
        WARRANTY = "warranty", "三包到期"
        RECOMMENDATION = "recommendation", "建议项目未做"

    class DueBy(models.TextChoices):
        DATE = "date", "按日期"
        MILEAGE = "mileage", "按里程"

    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField("类型", max_length=15, choices=Kind.choices)
    due_on = models.DateField("到期日")
    due_by = models.CharField("到期依据", max_length=10, choices=DueBy.choices, blank=True)
    next_km = models.PositiveIntegerField("下次保养里程", null=True, blank=True)
    daily_km = models.DecimalField(
        "日均行驶(公里)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    last_mileage = models.PositiveIntegerField("上次进厂里程", null=True, blank=True)
    last_visit_on = models.DateField("上次进厂", null=True, blank=True)
    # The last visit, else the sale, else the day the car entered the archive: a car not
    # seen for ServiceSettings.appointment_lost_months is lost, and no target.
    last_contact_on = models.DateField("最近接触")
    recommendation_count = models.PositiveSmallIntegerField("未做建议项目数", default=0)
    recommendation_amount = models.DecimalField(
        "未做建议项目金额", max_digits=12, decimal_places=2, default=0
    )
    refreshed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "预约对象"
        ordering = ["kind", "due_on", "id"]
        indexes = [
            models.Index(fields=["kind", "due_on", "id"], name="target_kind_due_idx"),
            # When the lists were last computed (the page's "更新于"), without a scan.
            models.Index(fields=["refreshed_at"], name="target_refreshed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "kind"], name="target_vehicle_kind_unique")
        ]

    def __str__(self):
        return f"{self.vehicle_id} {self.get_kind_display()} {self.due_on}"


class UnreachablePhone(TimeStampedModel):
    """A customer's mobile found unreachable (空号, 停机, never answers) by an advisor: the
    customer's cars are no targets while the customer has this mobile."""

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.CASCADE, related_name="+"
    )
    mobile = models.CharField("手机", max_length=11)
    reason = models.CharField("情况", max_length=200)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="标记人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "无法接通的号码"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "mobile"], name="unreachablephone_once")
        ]

    def __str__(self):
        return f"{self.customer} {self.mobile}"
