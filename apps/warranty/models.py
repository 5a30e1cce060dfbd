"""Warranty claims (三包索赔, DOMAIN.md §4). This app holds the area's rules so far; the
claims, the warranty warning and the monthly statement build on them."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import AreaSettings, number_field


class WarrantySettings(AreaSettings):
    """The periods and thresholds of the national three-guarantee rules, and the claim
    deadline."""

    domain_section = 4

    warranty_repair_years = number_field(3, "包修期(年)", low=1, high=20)
    warranty_repair_km = models.PositiveIntegerField("包修期(公里)", default=60000)
    warranty_return_years = number_field(2, "三包有效期(年)", low=1, high=20)
    warranty_return_km = models.PositiveIntegerField("三包有效期(公里)", default=50000)
    warranty_serious_fault_repairs = number_field(2, "严重安全性能故障累计修理(次)", low=1, high=20)
    warranty_major_part_replacements = number_field(2, "发动机/变速器累计更换(次)", low=1, high=20)
    warranty_cumulative_repair_days = number_field(35, "累计修理时间(日)", low=1, high=365)
    warranty_same_problem_repairs = number_field(5, "同一问题修理(次)", low=1, high=50)
    warranty_courtesy_car_days = number_field(5, "单次修理超过(日)提供备用车", low=1, high=60)
    warranty_claim_deadline_days = number_field(7, "索赔提交期限(结算后天数)", low=1, high=90)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "三包索赔规则"

    def clean(self):
        if self.warranty_return_years > self.warranty_repair_years:
            raise ValidationError({"warranty_return_years": "三包有效期不能长于包修期。"})
