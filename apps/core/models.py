"""Shared base model and the dealership's settings (one row, edited by the administrator).

Every number DOMAIN.md calls a default lives in DealershipSettings as a typed, validated
field; code reads it through `apps.core.selectors.dealership_settings()`, never a literal.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from .uploads import logo_upload_to, validate_logo_image


class TimeStampedModel(models.Model):
    # A default rather than auto_now_add, so imports and the demo can keep a record's
    # real creation date (auto_now_add overwrites any value given).
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


def _days(default, label, *, low=0, high=3650):
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(low), MaxValueValidator(high)]
    )


def _percent(default, label):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )


def _money(default, label):
    return models.DecimalField(
        label,
        max_digits=12,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0))],
    )


class DealershipSettings(TimeStampedModel):
    """The single settings row (pk=1). Field groups follow DOMAIN.md's sections."""

    SINGLETON_PK = 1

    # Identity and business hours
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

    # §2 Customer archive
    sales_documents_due_working_days = _days(2, "销售档案资料提交期限(工作日)", low=1, high=30)
    segment_months = _days(12, "客户分级统计月数", low=1, high=60)
    segment_vip_spend = _money("20000", "VIP:近期消费达(元)")
    segment_vip_visits = _days(6, "VIP:近期进厂达(次)", low=1, high=365)
    segment_major_spend = _money("8000", "重要客户:近期消费达(元)")
    segment_major_visits = _days(4, "重要客户:近期进厂达(次)", low=1, high=365)
    segment_normal_spend = _money("2000", "普通客户:近期消费达(元)")
    segment_normal_visits = _days(2, "普通客户:近期进厂达(次)", low=1, high=365)
    search_result_limit = _days(50, "搜索结果上限(条)", low=10, high=500)

    # §3 Service flow
    appointment_lost_months = _days(24, "预约对象排除:未进厂月数", low=1, high=120)
    appointment_confirm_minutes = _days(60, "预约前确认(分钟)", low=10, high=24 * 60)
    maintenance_interval_months = _days(6, "默认保养间隔(月)", low=1, high=36)
    maintenance_interval_km = models.PositiveIntegerField(
        "默认保养间隔(公里)", default=5000, validators=[MinValueValidator(500)]
    )

    # §4 Warranty
    warranty_repair_years = _days(3, "包修期(年)", low=1, high=20)
    warranty_repair_km = models.PositiveIntegerField("包修期(公里)", default=60000)
    warranty_return_years = _days(2, "三包有效期(年)", low=1, high=20)
    warranty_return_km = models.PositiveIntegerField("三包有效期(公里)", default=50000)
    warranty_serious_fault_repairs = _days(2, "严重安全性能故障累计修理(次)", low=1, high=20)
    warranty_major_part_replacements = _days(2, "发动机/变速器累计更换(次)", low=1, high=20)
    warranty_cumulative_repair_days = _days(35, "累计修理时间(日)", low=1, high=365)
    warranty_same_problem_repairs = _days(5, "同一问题修理(次)", low=1, high=50)
    warranty_courtesy_car_days = _days(5, "单次修理超过(日)提供备用车", low=1, high=60)
    warranty_claim_deadline_days = _days(7, "索赔提交期限(结算后天数)", low=1, high=90)

    # §5 Callbacks
    callback_3dc_open_day = _days(3, "3DC 开始(交车后第N天)", low=1, high=30)
    callback_3dc_due_day = _days(5, "3DC 截止(交车后第N天)", low=1, high=30)
    callback_7dc_open_day = _days(7, "7DC 开始(交车后第N天)", low=1, high=60)
    callback_7dc_due_day = _days(10, "7DC 截止(交车后第N天)", low=1, high=60)
    callback_7dc_outlet_open_day = _days(10, "7DC 二级网点开始(开票后第N天)", low=1, high=60)
    callback_7dc_outlet_due_day = _days(13, "7DC 二级网点截止(开票后第N天)", low=1, high=60)
    callback_level2_sample_percent = _percent("10", "二级回访抽样比例(%)")
    callback_level3_amount = _money("20000", "三级回访:工单金额达(元)")
    callback_second_within_days = _days(3, "二次回访期限(解决后天数)", low=1, high=30)
    callback_window1_start = models.TimeField("回访时段一开始", default=dt.time(10, 0))
    callback_window1_end = models.TimeField("回访时段一结束", default=dt.time(12, 0))
    callback_window2_start = models.TimeField("回访时段二开始", default=dt.time(15, 0))
    callback_window2_end = models.TimeField("回访时段二结束", default=dt.time(18, 0))
    callback_max_attempts = _days(3, "无法接通关闭前尝试(次,不同日)", low=1, high=10)
    contact_limit_per_week = _days(2, "每周联系上限(次,投诉除外)", low=1, high=14)

    # §6 Complaints
    complaint_resolve_days = _days(3, "投诉解决期限(天)", low=1, high=30)
    complaint_serious_resolve_days = _days(1, "重大投诉解决期限(天)", low=1, high=30)

    # §7 Reminders
    reminder_maintenance_days = _days(7, "保养提醒提前(天)", low=1, high=60)
    reminder_insurance_days_first = _days(30, "续保提醒一(提前天数)", low=1, high=120)
    reminder_insurance_days_second = _days(7, "续保提醒二(提前天数)", low=1, high=120)
    reminder_inspection_days_first = _days(30, "年审提醒一(提前天数)", low=1, high=120)
    reminder_inspection_days_second = _days(7, "年审提醒二(提前天数)", low=1, high=120)
    reminder_warranty_end_days = _days(30, "三包到期提醒(提前天数)", low=1, high=120)
    reminder_birthday_days = _days(3, "生日关怀提前(天)", low=2, high=7)

    # §8 Churn
    churn_retained_months = _days(24, "保有客户:近N月销售或进厂", low=1, high=120)
    churn_active_months = _days(6, "活跃:末次付费进厂在N月内", low=1, high=60)
    churn_dormant_months = _days(12, "休眠:末次付费进厂在N月内", low=1, high=120)
    churn_overdue_days = _days(30, "即将流失:预计进厂逾期(天)", low=1, high=365)

    class Meta:
        verbose_name = verbose_name_plural = "经销商设置"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dealership_settings_singleton"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.business_opens_at >= self.business_closes_at:
            errors["business_closes_at"] = "营业结束时间必须晚于开始时间。"
        if self.callback_window1_start >= self.callback_window1_end:
            errors["callback_window1_end"] = "回访时段一的结束时间必须晚于开始时间。"
        if self.callback_window2_start >= self.callback_window2_end:
            errors["callback_window2_end"] = "回访时段二的结束时间必须晚于开始时间。"
        if self.callback_window1_end > self.callback_window2_start:
            errors["callback_window2_start"] = "回访时段二必须在时段一之后。"
        if self.callback_3dc_open_day > self.callback_3dc_due_day:
            errors["callback_3dc_due_day"] = "3DC 截止日不能早于开始日。"
        if self.callback_7dc_open_day > self.callback_7dc_due_day:
            errors["callback_7dc_due_day"] = "7DC 截止日不能早于开始日。"
        if self.callback_7dc_outlet_open_day > self.callback_7dc_outlet_due_day:
            errors["callback_7dc_outlet_due_day"] = "二级网点 7DC 截止日不能早于开始日。"
        if not (self.segment_vip_spend >= self.segment_major_spend >= self.segment_normal_spend):
            errors["segment_major_spend"] = "分级消费门槛须满足 VIP ≥ 重要 ≥ 普通。"
        if not (self.segment_vip_visits >= self.segment_major_visits >= self.segment_normal_visits):
            errors["segment_major_visits"] = "分级进厂次数门槛须满足 VIP ≥ 重要 ≥ 普通。"
        if self.churn_active_months >= self.churn_dormant_months:
            errors["churn_dormant_months"] = "休眠月数必须大于活跃月数。"
        if self.warranty_return_years > self.warranty_repair_years:
            errors["warranty_return_years"] = "三包有效期不能长于包修期。"
        if self.reminder_insurance_days_second >= self.reminder_insurance_days_first:
            errors["reminder_insurance_days_second"] = "第二次续保提醒须晚于第一次(天数更少)。"
        if self.reminder_inspection_days_second >= self.reminder_inspection_days_first:
            errors["reminder_inspection_days_second"] = "第二次年审提醒须晚于第一次(天数更少)。"
        if errors:
            raise ValidationError(errors)
