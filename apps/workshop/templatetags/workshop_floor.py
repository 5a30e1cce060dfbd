"""Display helpers of the floor pages, and the proposals waiting for an advisor (read by the
advisor's home, a page of workorders, which imports nothing of the workshop: it loads this
library by name)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.workorders.forms import default_payer

from ..forms_floor import DeclineForm, ProposalLinesForm
from ..models import Job, ProposedItem
from ..selectors_floor import free_added_lines, order_proposals, proposals_waiting

register = template.Library()

J = Job.Status
JOB_BADGES = {
    J.ASSIGNED: "text-bg-secondary",
    J.IN_PROGRESS: "text-bg-primary",
    J.PAUSED: "text-bg-warning",
    J.FINISHED: "text-bg-success",
    J.CANCELLED: "text-bg-dark",
}
PROPOSAL_BADGES = {
    ProposedItem.Status.PROPOSED: "text-bg-warning",
    ProposedItem.Status.ADDED: "text-bg-success",
    ProposedItem.Status.DECLINED: "text-bg-secondary",
}


END_REASONS = {**dict(Job.PauseReason.choices), "finish": "完工"}


@register.filter
def end_reason(code: str) -> str:
    """Why a clock stretch ended, in words (a pause reason, or 完工)."""
    return END_REASONS.get(code, "")


@register.filter
def hours_minutes(seconds) -> str:
    """Seconds as 1:05 (hours:minutes), the tablet's clock."""
    minutes = int(seconds or 0) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


@register.simple_tag
def job_badge(job) -> SafeString:
    label = job.get_status_display()
    if job.status == J.PAUSED and job.pause_reason:
        label = f"{label}·{job.get_pause_reason_display()}"
    badge = format_html('<span class="badge {}">{}</span>', JOB_BADGES.get(job.status, ""), label)
    if job.is_rework:
        badge += SafeString(' <span class="badge text-bg-danger">返工</span>')
    return badge


@register.simple_tag
def proposal_badge(item) -> SafeString:
    return format_html(
        '<span class="badge {}">{}</span>',
        PROPOSAL_BADGES.get(item.status, ""),
        item.get_status_display(),
    )


@register.simple_tag
def waiting_proposals(user) -> list:
    """The technicians' proposals waiting for `user` as advisor (1 query)."""
    return proposals_waiting(advisor=user)


@register.simple_tag
def proposals_of_order(order, user) -> list[tuple]:
    """The work-order page's 技师增项建议 card: (proposal, its add-lines form, its decline
    form) newest first; the forms only for a proposal still waiting and a user who may
    change the order. 1 query for an order with no proposal, 3 with some."""
    items = order_proposals(order)
    waiting = [item for item in items if item.status == ProposedItem.Status.PROPOSED]
    may_change = user.has_perm("workorders.change_workorder") and not order.is_read_only
    free = free_added_lines(order) if waiting and may_change else []
    rows = []
    for item in items:
        if item in waiting and may_change:
            lines_form = ProposalLinesForm(
                item=item,
                free_lines=free,
                initial={
                    "kind": "labour",
                    "description": item.description,
                    "quantity": 1,
                    "payer": default_payer(order),
                },
            )
            rows.append((item, lines_form, DeclineForm(prefix=f"decline{item.pk}")))
        else:
            rows.append((item, None, None))
    return rows
