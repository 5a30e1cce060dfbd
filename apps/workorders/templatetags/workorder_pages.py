"""Small display helpers of the work-order pages."""

from django import template

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


@register.inclusion_tag("workorders/partials/status_badge.html")
def status_badge(order):
    return {"label": order.get_status_display(), "css": STATUS_BADGES.get(order.status, "")}


@register.inclusion_tag("workorders/partials/line_status.html")
def line_status(line):
    label, css = LINE_STATUS[line.status]
    return {"label": label, "css": css, "line": line}
