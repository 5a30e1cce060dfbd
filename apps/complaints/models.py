"""Complaints (投诉, DOMAIN.md §6). This app holds the area's rules so far; the complaint
closed loop builds on them."""

from apps.core.models import AreaSettings, number_field


class ComplaintSettings(AreaSettings):
    domain_section = 6

    complaint_resolve_days = number_field(3, "投诉解决期限(天)", low=1, high=30)
    complaint_serious_resolve_days = number_field(1, "重大投诉解决期限(天)", low=1, high=30)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "投诉规则"
