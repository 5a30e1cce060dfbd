"""Reads of the supervisor's dispatch board (派工看板): the orders waiting for dispatch in
priority order, and each technician's skills and load.

Priority (DOMAIN.md §3, issue 9 point 4), in this order: rework first, then the promised
time (earliest first, none last), then customers waiting in the shop
(`WorkOrder.customer_waiting`), then orders that came by appointment
(`work_order.appointment`), then the time the car came in.

Load of a technician (`technician_loads`): from their open jobs (待开工, 作业中, 暂停) —
assigned = the jobs' standard hours; left = what remains of each job's standard hours
after the time worked on it (closed stretches + the open one), never below zero; against
what is left of their working day (their own hours, else the dealership's business hours).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from apps.core.models import DealershipSettings
from apps.core.prepared import PreparedQuery
from apps.core.settings import current_settings
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine

from .models import Bay, Job, JobClock, JobLine, Skill, Technician
from .services_dispatch import LIVE, MOVABLE, required_skill, skill_mismatches, skills_by_operation

S = WorkOrder.Status
HOUR = Decimal(3600)


def _appointment_exists():
    """Whether the order came by appointment: `Appointment.work_order` (related_name
    "appointment", the appointments app) when that field exists, else never (this reader
    works before and after the appointments app adds it)."""
    try:
        relation = WorkOrder._meta.get_field("appointment")
    except FieldDoesNotExist:
        return Value(False, output_field=BooleanField())
    appointments = relation.related_model._default_manager
    return Exists(appointments.filter(**{relation.field.name: OuterRef("pk")}))


def _uncovered_line_exists():
    return Exists(
        WorkOrderLine.objects.filter(
            work_order=OuterRef("pk"),
            kind=WorkOrderLine.Kind.LABOUR,
            status=LineStatus.APPROVED,
            done_at__isnull=True,
        ).exclude(Exists(JobLine.objects.filter(line=OuterRef("pk"), active=True)))
    )


# Orders per page of each section of the board: the queue, and the dispatched orders (each
# with its jobs' reassign and take-back forms, for the supervisor who moves one).
BOARD_PAGE = 20
DISPATCHED_PAGE = 10


def _board_candidates(pk: int | None = None):
    """The orders the board shows, most urgent first, with vehicle and the flags that
    place them (one query, no lines yet: the board reads lines for the orders it shows)."""
    rework_waiting = Exists(
        Job.objects.filter(work_order=OuterRef("pk"), is_rework=True, status__in=MOVABLE)
    )
    orders = (
        WorkOrder.objects.filter(status__in=(S.APPROVED, S.DISPATCHED, S.IN_PROGRESS))
        .exclude(source=WorkOrder.Source.IMPORT)
        .annotate(
            has_rework=rework_waiting,
            has_appointment=_appointment_exists(),
            has_uncovered=_uncovered_line_exists(),
            has_live_job=Exists(Job.objects.filter(work_order=OuterRef("pk"), status__in=LIVE)),
        )
        # The cheap tests first: PostgreSQL evaluates the OR in this order, and the
        # per-order EXISTS of an uncovered line is then asked only of orders with no live job.
        .filter(
            Q(status=S.APPROVED) | Q(has_live_job=True) | Q(has_rework=True) | Q(has_uncovered=True)
        )
        .select_related("vehicle")
        .order_by(
            F("has_rework").desc(),
            F("promised_at").asc(nulls_last=True),
            F("customer_waiting").desc(),
            F("has_appointment").desc(),
            "opened_at",
            "id",
        )
    )
    return orders.filter(pk=pk) if pk is not None else orders


def _is_waiting(order: WorkOrder) -> bool:
    return order.status == S.APPROVED or order.has_uncovered or order.has_rework


def _with_work(orders: list[WorkOrder]) -> list[WorkOrder]:
    """Each order's approved lines (with the live job holding each), live jobs, the lines
    waiting for dispatch and the skill they need: three queries whatever the orders."""
    live_job_of_line = JobLine.objects.filter(line=OuterRef("pk"), active=True).values("job_id")
    lines = (
        WorkOrderLine.objects.filter(status=LineStatus.APPROVED)
        .annotate(live_job_id=Subquery(live_job_of_line[:1]))
        .order_by("id")
    )
    jobs = (
        Job.objects.filter(status__in=LIVE)
        .select_related("technician__user", "bay", "skill")
        .order_by("assigned_at", "id")
    )
    prefetch_related_objects(
        orders,
        Prefetch("lines", queryset=lines, to_attr="approved_lines"),
        Prefetch("jobs", queryset=jobs, to_attr="live_jobs"),
    )
    known = skills_by_operation(
        line.labour_operation_id
        for order in orders
        for line in order.approved_lines
        if line.labour_operation_id
    )
    for order in orders:
        has_labour = any(line.kind == WorkOrderLine.Kind.LABOUR for line in order.approved_lines)
        order.whole = not has_labour
        order.lines_waiting = [
            line
            for line in order.approved_lines
            if line.live_job_id is None
            and line.done_at is None
            and (order.whole or line.kind == WorkOrderLine.Kind.LABOUR)
        ]
        if order.whole and order.live_jobs:  # the one job of an order without labour lines
            order.lines_waiting = []
        order.skill = required_skill(order.lines_waiting, known)
    return orders


def dispatch_board_orders() -> tuple[list[WorkOrder], list[WorkOrder]]:
    """(waiting, dispatched): every order the board shows, most urgent first.

    Waiting for dispatch (`dispatch_queue`):
    - 已确认 (approved; partly dispatched ones too);
    - 已派工 / 维修中 with an approved labour line in no job (an added item approved on the
      floor, a job taken back);
    - with a rework job waiting (待开工 or 暂停, `is_rework`): the supervisor may move it.
    Dispatched: the other orders with live jobs (the supervisor reassigns or takes back).

    Each order gets `has_rework`, `has_appointment`, `lines_waiting` (approved, not done, in no
    live job), `live_jobs`, and `whole` (no labour line: all its lines go as one job).
    """
    result = _with_work(list(_board_candidates()))
    return [o for o in result if _is_waiting(o)], [o for o in result if not _is_waiting(o)]


@dataclass(frozen=True)
class BoardPages:
    waiting: Page
    dispatched: Page


FLAGS = ("has_rework", "has_appointment", "has_uncovered")


def dispatch_board_pages(
    *, waiting_page=1, dispatched_page=1, size=BOARD_PAGE, dispatched_size=DISPATCHED_PAGE
) -> BoardPages:
    """One page of each section of the board (as dispatch_board_orders): the orders are
    ranked in one light query (ids, status and flags) and only the shown ones are read
    whole, with their lines and jobs, so a busy floor with hundreds of open orders renders
    a bounded page in five queries."""
    ranked = [dict(zip(("pk", "status", *FLAGS), row, strict=True)) for row in RANKED.rows()]
    flags = {row["pk"]: row for row in ranked}

    def waiting(row) -> bool:
        return row["status"] == S.APPROVED or row["has_uncovered"] or row["has_rework"]

    pages = [
        Paginator([row["pk"] for row in ranked if waiting(row)], size).get_page(waiting_page),
        Paginator([row["pk"] for row in ranked if not waiting(row)], dispatched_size).get_page(
            dispatched_page
        ),
    ]
    shown = WorkOrder.objects.select_related("vehicle").in_bulk(
        [pk for page in pages for pk in page.object_list]
    )
    for order in shown.values():
        for name in FLAGS:
            setattr(order, name, flags[order.pk][name])
    for page in pages:
        page.object_list = [shown[pk] for pk in page.object_list if pk in shown]
    _with_work([order for page in pages for order in page.object_list])
    return BoardPages(waiting=pages[0], dispatched=pages[1])


# The ranking takes nothing from the request: compiled once (apps/core/prepared.py).
RANKED = PreparedQuery(lambda: _board_candidates().values_list("pk", "status", *FLAGS))


def dispatch_queue(*, pk: int | None = None) -> list[WorkOrder]:
    """The orders waiting for dispatch, most urgent first (see dispatch_board_orders); `pk`
    reads one order only (a dispatch post)."""
    return [o for o in _with_work(list(_board_candidates(pk))) if _is_waiting(o)]


# --- technicians and their load ---------------------------------------------------------------


@dataclass
class Load:
    """A technician's open work against what is left of their day, in hours."""

    assigned: Decimal = Decimal(0)  # standard hours of their open jobs
    left: Decimal = Decimal(0)  # of which not yet worked
    jobs: int = 0
    shift: Decimal = Decimal(0)  # their working day
    shift_left: Decimal = Decimal(0)  # what is left of it at `now`
    working_on: list[str] = field(default_factory=list)  # orders being worked on now

    @property
    def free(self) -> Decimal:
        return self.shift_left - self.left

    @property
    def overloaded(self) -> bool:
        return self.left > self.shift_left

    @property
    def percent(self) -> int:
        """How full what is left of the day is (for the bar), capped at 100."""
        if self.shift_left <= 0:
            return 100 if self.left > 0 else 0
        return min(int(self.left * 100 / self.shift_left), 100)


def _hours(seconds) -> Decimal:
    return (Decimal(seconds) / HOUR).quantize(Decimal("0.1"))


def working_hours(technician: Technician, dealership=None) -> tuple[dt.time, dt.time]:
    """A technician's working day: their own hours, else the dealership's business hours."""
    dealership = dealership or current_settings(DealershipSettings)
    return (
        technician.starts_at or dealership.business_opens_at,
        technician.ends_at or dealership.business_closes_at,
    )


def _shift(technician: Technician, now: dt.datetime, dealership) -> tuple[Decimal, Decimal]:
    """(hours of the working day, hours of it left at `now`)."""
    starts, ends = working_hours(technician, dealership)
    day = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(day, starts))
    end = timezone.make_aware(dt.datetime.combine(day, ends))
    whole = max((end - start).total_seconds(), 0)
    left = max((end - max(now, start)).total_seconds(), 0)
    return _hours(whole), _hours(left)


def _open_jobs():
    open_since = JobClock.objects.filter(job=OuterRef("pk"), ended_at__isnull=True).values(
        "started_at"
    )
    return (
        Job.objects.filter(status__in=LIVE)
        .annotate(open_since=Subquery(open_since[:1]))
        .values_list(
            "technician_id", "standard_hours", "worked_seconds", "open_since", "work_order__number"
        )
    )


# Every open job with the start of its open clock stretch: compiled once (prepared.py).
OPEN_JOBS = PreparedQuery(_open_jobs)


def technician_loads(technicians, *, now: dt.datetime) -> dict[int, Load]:
    """Each technician's Load at `now`, from one query of the open jobs (with the start of
    each job's open clock stretch)."""
    dealership = current_settings(DealershipSettings)
    loads = {}
    for technician in technicians:
        load = Load()
        load.shift, load.shift_left = _shift(technician, now, dealership)
        loads[technician.pk] = load
    for technician_id, standard, worked_seconds, started, number in OPEN_JOBS.rows():
        load = loads.get(technician_id)
        if load is None:  # a technician not asked about (inactive, another team)
            continue
        worked = worked_seconds + (max((now - started).total_seconds(), 0) if started else 0)
        load.assigned += standard
        load.left += max(standard - Decimal(worked) / HOUR, Decimal(0))
        load.jobs += 1
        if started:
            load.working_on.append(number)
    for load in loads.values():
        load.left = load.left.quantize(Decimal("0.1"))
    return loads


def dispatch_technicians(*, now: dt.datetime) -> list[Technician]:
    """The technicians on duty with team, skills (prefetched) and `load`: three queries."""
    technicians = list(
        Technician.objects.filter(active=True, team__active=True)
        .select_related("user", "team")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.order_by("order", "code")))
        .order_by("team__name", "user__username")
    )
    loads = technician_loads(technicians, now=now)
    for technician in technicians:
        technician.load = loads[technician.pk]
    return technicians


@dataclass(frozen=True)
class TechnicianChoice:
    technician: Technician
    mismatch: bool  # lacks the skill this work needs


def technician_choices(technicians, skill: Skill | None) -> list[TechnicianChoice]:
    """The technicians for one piece of work: those with its skill first, then by free hours."""
    choices = [
        TechnicianChoice(
            technician, bool(skill_mismatches(technician=technician, skill=skill, bay=None))
        )
        for technician in technicians
    ]
    return sorted(choices, key=lambda choice: (choice.mismatch, -choice.technician.load.free))


def dispatch_bays() -> list[Bay]:
    return list(Bay.objects.filter(active=True).select_related("skill").order_by("code"))
