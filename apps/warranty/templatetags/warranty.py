"""The warranty blocks other apps' pages include (`{% load warranty %}`): the 三包 counts
of a vehicle (vehicle page, reception) and the claims of a work order's warranty lines
(work-order page). Each checks the viewer's permission and runs its queries only when
it shows something, so the pages that include it stay as they were for everyone else."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from ..models import WarrantyClaim, WarrantyWatch
from ..selectors import vehicle_warranty_status, warranty_lines, work_order_claims

register = template.Library()

S = WarrantyClaim.Status
CLAIM_BADGES = {
    S.DRAFT: "text-bg-secondary",
    S.SUBMITTED: "text-bg-primary",
    S.RESUBMITTED: "text-bg-primary",
    S.APPROVED: "text-bg-info",
    S.REJECTED: "text-bg-danger",
    S.PAID: "text-bg-success",
}
LEVEL_BADGES = {
    WarrantyWatch.Level.CLEAR: ("无预警", "text-bg-success"),
    WarrantyWatch.Level.NEAR: ("差一次", "text-bg-warning"),
    WarrantyWatch.Level.REACHED: ("已达到", "text-bg-danger"),
}
VIEW = "warranty.view_warrantyclaim"


@register.simple_tag
def claim_badge(claim):
    return format_html(
        '<span class="badge {}">{}</span>',
        CLAIM_BADGES.get(claim.status, "text-bg-light"),
        claim.get_status_display(),
    )


@register.simple_tag
def level_badge(level):
    label, css = LEVEL_BADGES[level]
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.inclusion_tag("warranty/partials/status_block.html", takes_context=True)
def warranty_vehicle_block(context, vehicle, compact=False):
    """The vehicle's 三包 counts and warnings (2 queries), for users who see claims."""
    user = context["request"].user
    if not user.has_perm(VIEW):
        return {"show": False}
    return {
        "show": True,
        "vehicle": vehicle,
        "status": vehicle_warranty_status(vehicle, now=timezone.now()),
        "compact": compact,
    }


@register.inclusion_tag("warranty/partials/workorder_panel.html", takes_context=True)
def warranty_work_order_panel(context, order, lines):
    """The order's warranty lines with their claims, the button that files a claim, and
    the vehicle's 三包 counts. Nothing (and no query) on an order without warranty lines
    or for a user who does not see claims."""
    user = context["request"].user
    lines = warranty_lines(order, lines)
    if not lines or not user.has_perm(VIEW):
        return {"show": False}
    claims = work_order_claims(work_order=order)
    claim_of_line = {
        claim_line.line_id: claim for claim in claims for claim_line in claim.lines.all()
    }
    rows = [(line, claim_of_line.get(line.pk)) for line in lines]
    unclaimed = [line for line, claim in rows if claim is None]
    return {
        "show": True,
        "order": order,
        "rows": rows,
        "claims": claims,
        "unclaimed": unclaimed,
        "can_create": bool(unclaimed)
        and user.has_perm("warranty.add_warrantyclaim")
        and order.source != order.Source.IMPORT
        and order.status != order.Status.CANCELLED,
        "status": vehicle_warranty_status(order.vehicle, now=timezone.now()),
        "csrf_token": context.get("csrf_token"),
    }
