"""Shared base models, the business rules by area, and the working-day calendar.

Every number DOMAIN.md calls a default is a typed, validated field of one area's settings
row. Each app owns its area (`ArchiveSettings` in customers, `CallbackSettings` in
callbacks, …), built on `AreaSettings` below; core owns only the dealership's identity and
hours. Code reads a row through `apps.core.settings.current_settings(Model)` (cached), a past row
through `apps.core.settings.settings_at(Model, when)`, and writes through
`apps.core.services.area_settings_save`.
"""

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .uploads import logo_upload_to, validate_logo_image


class TimeStampedModel(models.Model):
    # A default rather than auto_now_add, so imports and the demo can keep a record's
    # real creation date (auto_now_add overwrites any value given).
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


# --- fields of the settings rows -----------------------------------------------------------
# Our own Chinese messages: Django's default range wording ("确保该值…") never reaches a user.


def at_least(limit) -> MinValueValidator:
    return MinValueValidator(limit, message="不能小于 %(limit_value)s。")


def at_most(limit) -> MaxValueValidator:
    return MaxValueValidator(limit, message="不能大于 %(limit_value)s。")


def number_field(default: int, label: str, *, low: int = 0, high: int = 3650):
    """A small whole number (days, months, times) between `low` and `high`."""
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[at_least(low), at_most(high)]
    )


def percent_field(default: str, label: str):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[at_least(Decimal(0)), at_most(Decimal(100))],
    )


def money_field(default: str, label: str):
    return models.DecimalField(
        label,
        max_digits=12,
        decimal_places=2,
        default=Decimal(default),
        validators=[at_least(Decimal(0))],
    )


class AreaSettings(TimeStampedModel):
    """One business area's rules: a single row (pk=1) owned by the area's app.

    A concrete subclass sets `domain_section` (its DOMAIN.md section: the settings page
    shows the areas in this order), a Chinese `verbose_name` (the section's title) and
    `clean()` for rules between its fields. Every save made through the settings service
    writes a history row, so `settings_at` knows which rule was in force at a date.
    """

    SINGLETON_PK = 1
    domain_section: ClassVar[int]

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="%(app_label)s_%(class)s_one_row")
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class DealershipSettings(AreaSettings):
    """The dealership's identity and business hours (DOMAIN.md §1)."""

    domain_section = 1

    name = models.CharField("经销商名称", max_length=100, default="示例汽车4S店")
    short_name = models.CharField("简称", max_length=30, default="示例4S店")
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("服务电话", max_length=30, blank=True)
    logo = models.FileField(
        "标志",
        upload_to=logo_upload_to,
        blank=True,
        validators=[validate_logo_image],
        help_text="PNG、JPEG 或 WebP 图片,不超过 2 MB。",
    )
    plate_prefix = models.CharField(
        "本地车牌前缀", max_length=2, default="粤B", help_text="省份简称 + 发牌机关代号,如 粤B"
    )
    business_opens_at = models.TimeField("营业开始", default=dt.time(8, 30))
    business_closes_at = models.TimeField("营业结束", default=dt.time(18, 0))
    # The daily jobs (apps/core/daily_jobs.py) catch up this many days, today included, after
    # the worker or beat were down; older missed days are left (run_daily_jobs --date).
    daily_jobs_catch_up_days = number_field(7, "每日任务补跑天数(含当天)", low=1, high=60)

    class Meta:
        verbose_name = verbose_name_plural = "经销商信息与营业时间"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dealership_settings_singleton"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.business_opens_at >= self.business_closes_at:
            raise ValidationError({"business_closes_at": "营业结束时间必须晚于开始时间。"})


# --- the working-day calendar ----------------------------------------------------------------


class CalendarYear(TimeStampedModel):
    """A year whose holidays and make-up working days (调休) the administrator entered from
    the State Council's notice. For such a year its `CalendarDay` rows replace the
    `holidays` package entirely (the package's later years are guesses)."""

    year = models.PositiveSmallIntegerField(
        "年份", unique=True, validators=[at_least(2000), at_most(2100)]
    )
    note = models.CharField(
        "依据", max_length=200, blank=True, help_text="如 国办发明电〔2026〕7号"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "工作日历年度安排"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year} 年放假安排"


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假"
        WORKDAY = "workday", "调休上班"

    calendar_year = models.ForeignKey(
        CalendarYear, verbose_name="年度", on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = "工作日历日期"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}({self.get_kind_display()})"


# --- the ledger of scheduled jobs ------------------------------------------------------------


class JobRun(models.Model):
    """One scheduled job for one business date: the ledger that makes the daily jobs run
    once per day, never twice and never skipped (apps/core/daily_jobs.py).

    A monthly job's row is dated the first day of its month. The row is written when the
    job is first tried; its success is committed in the same transaction as the job's own
    writes, so a job either ran and is marked, or neither.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "运行中或待运行"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "定时"
        CATCH_UP = "catch_up", "补跑"
        MANUAL = "manual", "手动"

    job = models.CharField("任务", max_length=60)
    business_date = models.DateField("业务日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    trigger = models.CharField("触发方式", max_length=10, choices=Trigger.choices)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "定时任务记录"
        ordering = ["-business_date", "job"]
        constraints = [
            # The ledger's promise: one row, hence at most one success, per job and day.
            models.UniqueConstraint(fields=["job", "business_date"], name="jobrun_once_per_date"),
        ]

    def __str__(self):
        return f"{self.job} {self.business_date:%Y-%m-%d}"
