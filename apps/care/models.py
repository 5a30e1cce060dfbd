"""Reminders and care (提醒与关怀, DOMAIN.md §7). This app holds the area's rules so far;
the daily reminder generator and the SMS outbox build on them.

Its own app rather than part of callbacks: reminders are a pipeline of their own (one per
vehicle, kind and due date; SMS only with consent; an outbox with retries) that callbacks
consume when they merge a customer's reasons into one call, so the dependency runs
callbacks → care and never back.
"""

from django.core.exceptions import ValidationError

from apps.core.models import AreaSettings, number_field


class ReminderSettings(AreaSettings):
    domain_section = 7

    reminder_maintenance_days = number_field(7, "保养提醒提前(天)", low=1, high=60)
    reminder_insurance_days_first = number_field(30, "续保提醒一(提前天数)", low=1, high=120)
    reminder_insurance_days_second = number_field(7, "续保提醒二(提前天数)", low=1, high=120)
    reminder_inspection_days_first = number_field(30, "年审提醒一(提前天数)", low=1, high=120)
    reminder_inspection_days_second = number_field(7, "年审提醒二(提前天数)", low=1, high=120)
    reminder_warranty_end_days = number_field(30, "三包到期提醒(提前天数)", low=1, high=120)
    reminder_birthday_days = number_field(3, "生日关怀提前(天)", low=2, high=7)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "提醒与关怀规则"

    def clean(self):
        errors = {}
        if self.reminder_insurance_days_second >= self.reminder_insurance_days_first:
            errors["reminder_insurance_days_second"] = "第二次续保提醒须晚于第一次(天数更少)。"
        if self.reminder_inspection_days_second >= self.reminder_inspection_days_first:
            errors["reminder_inspection_days_second"] = "第二次年审提醒须晚于第一次(天数更少)。"
        if errors:
            raise ValidationError(errors)
