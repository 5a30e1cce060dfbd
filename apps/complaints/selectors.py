"""Reads of the complaints: the list with its filters, one complaint's page, the overdue."""

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.core.pagination import KeysetPage, keyset_page

from .models import Category, Complaint, ComplaintStep, Department

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
    vehicle, work order, callbacks and people (1), its steps with who made them (1), the
    second callback's answers (1, once it exists).
    Raises Complaint.DoesNotExist."""
    return (
        Complaint.objects.select_related(
            "customer",
            "vehicle",
            "work_order",
            "source_callback",
            "second_callback__closed_by",
            "received_by",
            "owner",
            "approved_by",
        )
        .prefetch_related(
            Prefetch(
                "steps", queryset=ComplaintStep.objects.select_related("by").order_by("at", "id")
            ),
            "second_callback__answers",  # no query before the second callback is made
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


def complaint_counts(*, today: dt.date) -> dict[str, int]:
    """The manager's 工作台: how many complaints are open and how many of them are overdue
    on `today` (one query)."""
    return Complaint.objects.exclude(status__in=Complaint.FINISHED).aggregate(
        open=Count("id"), overdue=Count("id", filter=overdue_q(today))
    )


def complaint_statistics(*, start_at: dt.datetime, end_before: dt.datetime, today: dt.date) -> dict:
    """The complaints received in [start_at, end_before) counted by category, by
    responsible department and by cause (the investigation's words, the most frequent
    first; not yet investigated: empty), with how many are open, overdue, invalid and
    closed. Two queries (the counts by category × department × status × overdue, and the
    causes), whatever the number of complaints."""
    received = Complaint.objects.filter(received_at__gte=start_at, received_at__lt=end_before)
    rows = list(
        received.values("category", "department", "status")
        .annotate(count=Count("id"), overdue=Count("id", filter=overdue_q(today)))
        .order_by()
    )
    by_category = dict.fromkeys(Category.values, 0)
    by_department = dict.fromkeys([*Department.values, ""], 0)
    totals = {"all": 0, "open": 0, "overdue": 0, "invalid": 0, "closed": 0}
    for row in rows:
        by_category[row["category"]] += row["count"]
        by_department[row["department"]] += row["count"]
        totals["all"] += row["count"]
        totals["overdue"] += row["overdue"]
        if row["status"] == S.INVALID:
            totals["invalid"] += row["count"]
        elif row["status"] == S.CLOSED:
            totals["closed"] += row["count"]
        else:
            totals["open"] += row["count"]
    causes = list(
        received.exclude(cause="")
        .values_list("cause")
        .annotate(count=Count("id"))
        .order_by("-count", "cause")[:20]
    )
    return {
        "totals": totals,
        "by_category": [(Category(key).label, count) for key, count in by_category.items()],
        "by_department": [
            (Department(key).label if key else "(尚未调查)", count)
            for key, count in by_department.items()
        ],
        "by_cause": causes,
    }
