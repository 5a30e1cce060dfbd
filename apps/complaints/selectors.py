"""Reads of the complaints: the list with its filters, one complaint's page, the overdue."""

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from apps.core.pagination import KeysetPage, keyset_page

from .models import Complaint, ComplaintStep

S = Complaint.Status
LIST_ORDER = ("-received_at", "-id")  # complaint_received_idx / complaint_status_received_idx


def overdue_q(today: dt.date) -> Q:
    """Complaints past a deadline on `today`: not acknowledged by the day after it was
    received, or not resolved (carried out and accepted) by its resolve day."""
    return Q(status=S.RECEIVED, acknowledge_due_on__lt=today) | (
        ~Q(status__in=Complaint.RESOLVED_STATES) & Q(resolve_due_on__lt=today)
    )


def complaints_for_list() -> QuerySet[Complaint]:
    return Complaint.objects.select_related("customer", "vehicle", "owner")


def complaint_list(*, base: QuerySet[Complaint], after=None, before=None) -> KeysetPage:
    """One page of complaints, newest first (each with its customer, vehicle, handler: 1)."""
    return keyset_page(base, order=LIST_ORDER, after=after, before=before)


def complaint_page(*, pk: int) -> Complaint:
    """A complaint with everything its page shows: the complaint with its customer,
    vehicle, work order, callbacks and people (1), its steps with who made them (1).
    Raises Complaint.DoesNotExist."""
    return (
        Complaint.objects.select_related(
            "customer",
            "vehicle",
            "work_order",
            "source_callback",
            "second_callback",
            "received_by",
            "owner",
            "approved_by",
        )
        .prefetch_related(
            Prefetch(
                "steps", queryset=ComplaintStep.objects.select_related("by").order_by("at", "id")
            )
        )
        .get(pk=pk)
    )


def overdue_complaints(*, today: dt.date, owner=None, limit: int = 20) -> list[Complaint]:
    """Open complaints past a deadline, the oldest deadline first (home pages). With
    `owner`: theirs and those no one has taken yet (not judged: no handler). One query."""
    queryset = complaints_for_list().filter(overdue_q(today))
    if owner is not None:
        queryset = queryset.filter(Q(owner=owner) | Q(owner__isnull=True))
    return list(queryset.order_by("resolve_due_on", "id")[:limit])


def complaints_home(*, user, today: dt.date, limit: int = 8) -> list[Complaint] | None:
    """The 工作台's overdue complaints: every one for a manager, the handler's own (and the
    unassigned) for the complaint supervisor, None for others (no panel, no query)."""
    if user.has_perm("complaints.approve_complaint"):
        return overdue_complaints(today=today, limit=limit)
    if user.has_perm("complaints.work_complaint"):
        return overdue_complaints(today=today, owner=user, limit=limit)
    return None
