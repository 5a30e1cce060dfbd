"""The job board (车间看板): every technician and bay, the job each is on, its state and the
time worked against the standard hours, waiting-for-parts and overdue highlighted.

The board refreshes itself every few seconds on a big screen all day, so its reader is two
queries whatever the size of the history: the technicians LEFT JOINed to their open jobs
(a FilteredRelation: one row per technician and open job, a technician with none still
gets a row), each job's order and car, its open clock stretch and its lines' names as
correlated subqueries; and the bays. Rows come back as plain values, not model instances.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone

from apps.core.aggregates import JoinedText
from apps.core.prepared import PreparedQuery

from .models import Bay, Job, JobClock, JobLine, Technician
from .services_dispatch import LIVE

# How the board picks the job a technician is on: working, then paused, then next up.
CURRENT_FIRST = {Job.Status.IN_PROGRESS: 0, Job.Status.PAUSED: 1, Job.Status.ASSIGNED: 2}


@dataclass
class BoardJob:
    id: int
    status: str
    status_label: str
    pause_reason: str
    pause_label: str
    is_rework: bool
    number: str
    plate: str
    model_name: str
    lines: str
    bay: str
    standard_hours: Decimal
    worked_seconds: int  # closed stretches + the open one, at the board's `now`
    assigned_at: dt.datetime
    promised_at: dt.datetime | None
    now: dt.datetime

    @property
    def worked_hours(self) -> Decimal:
        return (Decimal(self.worked_seconds) / 3600).quantize(Decimal("0.1"))

    @property
    def worked_minutes(self) -> int:
        return self.worked_seconds // 60

    @property
    def over_standard(self) -> bool:
        """Worked longer than the standard hours sold (超工时)."""
        return self.standard_hours > 0 and self.worked_seconds > self.standard_hours * 3600

    @property
    def past_promise(self) -> bool:
        """The car was promised to the customer before now (逾期)."""
        return self.promised_at is not None and self.promised_at < self.now

    @property
    def overdue(self) -> bool:
        return self.over_standard or self.past_promise

    @property
    def waiting_for_parts(self) -> bool:
        return self.status == Job.Status.PAUSED and self.pause_reason == Job.PauseReason.PARTS

    @property
    def badge(self) -> str:
        """The state badge's colours."""
        if self.status == Job.Status.IN_PROGRESS:
            return "text-bg-success"
        if self.waiting_for_parts:
            return "text-bg-warning"
        if self.status == Job.Status.PAUSED:
            return "text-bg-secondary"
        return "text-bg-light border"

    @property
    def percent(self) -> int:
        """Worked time as a share of the standard hours, capped at 100 (the bar)."""
        if self.standard_hours <= 0:
            return 0
        return min(int(self.worked_seconds * 100 / (self.standard_hours * 3600)), 100)


@dataclass
class BoardTechnician:
    id: int
    name: str
    team: str
    jobs: list[BoardJob] = field(default_factory=list)

    @property
    def current(self) -> BoardJob | None:
        return self.jobs[0] if self.jobs else None

    @property
    def queued(self) -> list[BoardJob]:
        return self.jobs[1:]


@dataclass
class BoardBay:
    code: str
    name: str
    job: BoardJob | None = None
    technician: str = ""


@dataclass
class JobBoard:
    now: dt.datetime
    technicians: list[BoardTechnician]
    bays: list[BoardBay]

    @property
    def counts(self) -> dict[str, int]:
        jobs = [job for technician in self.technicians for job in technician.jobs]
        return {
            "working": sum(job.status == Job.Status.IN_PROGRESS for job in jobs),
            "parts": sum(job.waiting_for_parts for job in jobs),
            "overdue": sum(job.overdue for job in jobs),
            "idle": sum(not technician.jobs for technician in self.technicians),
        }


STATUS_LABELS = dict(Job.Status.choices)
PAUSE_LABELS = dict(Job.PauseReason.choices)


def _board_rows():
    """Every active technician LEFT JOINed to their open jobs (the SQL takes nothing from
    the call: compiled once, apps/core/prepared.py)."""
    open_since = JobClock.objects.filter(job=OuterRef("live__id"), ended_at__isnull=True).values(
        "started_at"
    )
    line_names = (
        JobLine.objects.filter(job=OuterRef("live__id"))
        .values("job")
        .annotate(names=JoinedText("line__description", "、", order_by="line_id"))
        .values("names")
    )
    return (
        Technician.objects.annotate(
            live=FilteredRelation("jobs", condition=Q(jobs__status__in=LIVE))
        )
        .filter(Q(active=True) | Q(live__id__isnull=False))
        .annotate(open_since=Subquery(open_since[:1]), line_names=Subquery(line_names[:1]))
        .order_by("team__name", "user__username", "live__assigned_at", "live__id")
        .values_list(
            "id",
            "user__display_name",
            "user__username",
            "team__name",
            "live__id",
            "live__status",
            "live__pause_reason",
            "live__is_rework",
            "live__standard_hours",
            "live__worked_seconds",
            "live__assigned_at",
            "live__bay__code",
            "live__work_order__number",
            "live__work_order__promised_at",
            "live__work_order__vehicle__plate",
            "live__work_order__vehicle__model_name",
            "open_since",
            "line_names",
        )
    )


BOARD_ROWS = PreparedQuery(_board_rows)
ACTIVE_BAYS = PreparedQuery(
    lambda: Bay.objects.filter(active=True).order_by("code").values_list("code", "name")
)


def job_board(*, now: dt.datetime | None = None) -> JobBoard:
    """The board at `now` (default: the clock), in two queries."""
    now = now or timezone.now()
    rows = BOARD_ROWS.rows()
    technicians: dict[int, BoardTechnician] = {}
    for (
        technician_id,
        display_name,
        username,
        team,
        job_id,
        status,
        pause_reason,
        is_rework,
        standard_hours,
        worked_seconds,
        assigned_at,
        bay,
        number,
        promised_at,
        plate,
        model_name,
        open_since_at,
        names,
    ) in rows:
        technician = technicians.setdefault(
            technician_id, BoardTechnician(technician_id, display_name or username, team)
        )
        if job_id is None:
            continue
        running = max(int((now - open_since_at).total_seconds()), 0) if open_since_at else 0
        technician.jobs.append(
            BoardJob(
                id=job_id,
                status=status,
                status_label=STATUS_LABELS[status],
                pause_reason=pause_reason,
                pause_label=PAUSE_LABELS.get(pause_reason, ""),
                is_rework=is_rework,
                number=number,
                plate=plate,
                model_name=model_name,
                lines=names or "",
                bay=bay or "",
                standard_hours=standard_hours,
                worked_seconds=worked_seconds + running,
                assigned_at=assigned_at,
                promised_at=promised_at,
                now=now,
            )
        )
    for technician in technicians.values():
        technician.jobs.sort(key=lambda job: (CURRENT_FIRST[job.status], job.assigned_at, job.id))
    bays = [BoardBay(code, name) for code, name in ACTIVE_BAYS.rows()]
    by_code = {bay.code: bay for bay in bays}
    for technician in technicians.values():
        # A bay shows the job being worked there (else the first one waiting for it).
        for job in technician.jobs:
            bay = by_code.get(job.bay)
            if bay is None:
                continue
            if bay.job is None or CURRENT_FIRST[job.status] < CURRENT_FIRST[bay.job.status]:
                bay.job, bay.technician = job, technician.name
    return JobBoard(now=now, technicians=list(technicians.values()), bays=bays)
