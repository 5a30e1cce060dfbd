"""Small display helpers of the work-order pages."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..models import LineStatus, WorkOrder

register = template.Library()

S = WorkOrder.Status
# Bootstrap badge colours by state: grey before the customer agreed, blue in the workshop,
# green when the car can go, dark when done, red when cancelled.
STATUS_BADGES = {
    S.DRAFT: "text-bg-secondary",
    S.APPROVED: "text-bg-info",
    S.DISPATCHED: "text-bg-primary",
    S.IN_PROGRESS: "text-bg-primary",
    S.SELF_CHECKED: "text-bg-primary",
    S.TEAM_CHECKED: "text-bg-primary",
    S.QC_PASSED: "text-bg-success",
    S.WASHED: "text-bg-success",
    S.READY: "text-bg-success",
    S.DELIVERED: "text-bg-dark",
    S.SETTLED: "text-bg-dark",
    S.CANCELLED: "text-bg-danger",
}
# The line's customer decision, short enough for a table cell.
LINE_STATUS = {
    LineStatus.PROPOSED: ("待确认", "text-bg-warning"),
    LineStatus.APPROVED: ("同意", "text-bg-success"),
    LineStatus.DECLINED: ("不同意", "text-bg-secondary"),
}


# Simple tags built with format_html, not inclusion tags: they render once per row of
# lists and 40-line orders, where a template per call is most of a page's time.


@register.simple_tag
def status_badge(order) -> SafeString:
    css = STATUS_BADGES.get(order.status, "")
    return format_html('<span class="badge {}">{}</span>', css, order.get_status_display())


@register.simple_tag
def line_status(line) -> SafeString:
    """The customer's decision, 增项, and the 完工 / 质检 ticks (who and when on hover)."""
    label, css = LINE_STATUS[line.status]
    parts = [format_html('<span class="badge {}">{}</span>', css, label)]
    if line.is_added:
        parts.append(
            SafeString('<span class="badge text-bg-light border border-warning">增项</span>')
        )
    ticks = (
        (line.done_at, line.done_by, "bi-check-circle-fill", "完工"),
        (line.qc_passed_at, line.qc_passed_by, "bi-patch-check-fill", "质检"),
    )
    for at, by, icon, text in ticks:
        if at:
            parts.append(
                format_html(
                    '<span class="text-success small text-nowrap" title="{} {}">'
                    '<i class="bi {}" aria-hidden="true"></i> {}</span>',
                    by,
                    date_filter(at, "m-d H:i"),
                    icon,
                    text,
                )
            )
    return SafeString(" ".join(parts))
