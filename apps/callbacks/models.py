"""Callbacks (回访, DOMAIN.md §5) and churn (客户流失, §8). This app holds the two areas'
rules so far; the call queue, questionnaires and churn callbacks build on them.

Churn lives here rather than in a reports app: every newly lost vehicle gets a churn
callback, so the callback generator needs the churn rules, and reports (the top layer,
which reads every app) must stay above callbacks, never below it.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import AreaSettings, money_field, number_field, percent_field


class CallbackSettings(AreaSettings):
    """When callbacks open and fall due, who is sampled, and when customers may be called."""

    domain_section = 5

    callback_3dc_open_day = number_field(3, "3DC 开始(交车后第N天)", low=1, high=30)
    callback_3dc_due_day = number_field(5, "3DC 截止(交车后第N天)", low=1, high=30)
    callback_7dc_open_day = number_field(7, "7DC 开始(交车后第N天)", low=1, high=60)
    callback_7dc_due_day = number_field(10, "7DC 截止(交车后第N天)", low=1, high=60)
    callback_7dc_outlet_open_day = number_field(10, "7DC 二级网点开始(开票后第N天)", low=1, high=60)
    callback_7dc_outlet_due_day = number_field(13, "7DC 二级网点截止(开票后第N天)", low=1, high=60)
    callback_level2_sample_percent = percent_field("10", "二级回访抽样比例(%)")
    callback_level3_amount = money_field("20000", "三级回访:工单金额达(元)")
    callback_second_within_days = number_field(3, "二次回访期限(解决后天数)", low=1, high=30)
    callback_window1_start = models.TimeField("回访时段一开始", default=dt.time(10, 0))
    callback_window1_end = models.TimeField("回访时段一结束", default=dt.time(12, 0))
    callback_window2_start = models.TimeField("回访时段二开始", default=dt.time(15, 0))
    callback_window2_end = models.TimeField("回访时段二结束", default=dt.time(18, 0))
    callback_max_attempts = number_field(3, "无法接通关闭前尝试(次,不同日)", low=1, high=10)
    contact_limit_per_week = number_field(2, "每周联系上限(次,投诉除外)", low=1, high=14)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "回访规则"

    def clean(self):
        errors = {}
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
        if errors:
            raise ValidationError(errors)


class ChurnSettings(AreaSettings):
    """The retained base and when a vehicle counts as active, dormant, lost or about to churn."""

    domain_section = 8

    churn_retained_months = number_field(24, "保有客户:近N月销售或进厂", low=1, high=120)
    churn_active_months = number_field(6, "活跃:末次付费进厂在N月内", low=1, high=60)
    churn_dormant_months = number_field(12, "休眠:末次付费进厂在N月内", low=1, high=120)
    churn_overdue_days = number_field(30, "即将流失:预计进厂逾期(天)", low=1, high=365)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "客户流失规则"

    def clean(self):
        if self.churn_active_months >= self.churn_dormant_months:
            raise ValidationError({"churn_dormant_months": "休眠月数必须大于活跃月数。"})
