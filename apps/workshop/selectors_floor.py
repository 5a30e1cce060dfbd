"""Reads of the floor pages after dispatch: the technician's tablet, the check queues, the
proposals on the work-order page and the advisor's home, and the workshop's figures
(efficiency and first-time fix). Each owns its joins, so a page runs the same number of
queries whatever the data (the tests count them)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.periods import Period
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine

from .models import Check, CheckItem, Job, JobClock, JobLine, ProposedItem, Team, Technician

J = Job.Status
S = WorkOrder.Status
OPEN_JOB_STATES = (J.ASSIGNED, J.IN_PROGRESS, J.PAUSED)
# Each list is bounded: a technician has a handful of jobs a day, a queue a few dozen cars.
LIST_LIMIT = 50


def technician_of(user) -> Technician | None:
    """The user's technician record (with the team), or None for a user who is not one."""
    return Technician.objects.select_related("team").filter(user=user).first()


def _live_lines() -> Prefetch:
    return Prefetch(
        "job_lines",
        queryset=JobLine.objects.filter(active=True).select_related("line").order_by("line_id"),
        to_attr="live_lines",
    )


def _open_stretch() -> Prefetch:
    return Prefetch(
        "clock", queryset=JobClock.objects.filter(ended_at__isnull=True), to_attr="open_stretch"
    )


def with_timer(job: Job, now: dt.datetime) -> Job:
    """Set `running_since` (the open stretch's start, or None) and `elapsed_seconds` (the
    closed stretches plus the open one until `now`) on a job loaded with `_open_stretch`."""
    stretch = job.open_stretch[0] if job.open_stretch else None
    job.running_since = stretch.started_at if stretch else None
    running = int((now - stretch.started_at).total_seconds()) if stretch else 0
    job.elapsed_seconds = job.worked_seconds + max(0, running)
    return job


@dataclass(frozen=True)
class MyJobs:
    """The technician's tablet: open jobs (running first), today's finished ones, and the
    cars of their jobs waiting for the wash."""

    open: list[Job]
    finished_today: list[Job]
    to_wash: list[WorkOrder]


STATUS_ORDER = {J.IN_PROGRESS: 0, J.PAUSED: 1, J.ASSIGNED: 2}


def my_jobs(*, technician: Technician, now: dt.datetime, wash_step: bool) -> MyJobs:
    """5 queries (4 without the wash step): open jobs with order and vehicle, their lines,
    their open stretches; today's finished jobs; orders of the technician's waiting for the
    wash. Served by job_technician_status_idx and job_technician_finished_idx."""
    jobs = (
        Job.objects.filter(technician=technician, status__in=OPEN_JOB_STATES)
        .select_related("work_order__vehicle", "bay")
        .prefetch_related(_live_lines(), _open_stretch())
        .order_by("assigned_at", "id")[:LIST_LIMIT]
    )
    open_jobs = sorted(
        (with_timer(job, now) for job in jobs),
        key=lambda job: (job.is_rework is False, STATUS_ORDER[job.status]),
    )
    finished = list(
        Job.objects.filter(
            technician=technician,
            finished_at__gte=day_start(timezone.localdate(now)),
            status=J.FINISHED,
        )
        .select_related("work_order__vehicle")
        .order_by("-finished_at", "-id")[:LIST_LIMIT]
    )
    to_wash = []
    if wash_step:
        to_wash = list(
            WorkOrder.objects.filter(
                status=S.QC_PASSED,
                pk__in=Job.objects.filter(technician=technician)
                .exclude(status=J.CANCELLED)
                .values("work_order"),
            )
            .select_related("vehicle")
            .order_by("promised_at", "id")[:LIST_LIMIT]
        )
    return MyJobs(open=open_jobs, finished_today=finished, to_wash=to_wash)


def job_page(*, pk: int, now: dt.datetime) -> Job:
    """One job with what its tablet page shows: the job with order, vehicle, bay, team and
    technician (1), its live lines (1), open stretch (1), every stretch (1), its
    self-checks (1) and its proposals (1). Raises Job.DoesNotExist. (Only the tables the
    page names are joined: each joined table costs the planner time on every view.)"""
    job = (
        Job.objects.select_related("work_order__vehicle", "bay", "team", "technician__user")
        .prefetch_related(
            _live_lines(),
            _open_stretch(),
            Prefetch("clock", queryset=JobClock.objects.order_by("started_at", "id")),
            Prefetch(
                "checks",
                queryset=Check.objects.select_related("by").order_by("-at", "-id"),
            ),
        )
        .get(pk=pk)
    )
    job.proposals = list(
        ProposedItem.objects.filter(job=job).select_related("decided_by").order_by("-id")
    )
    return with_timer(job, now)


# --- the checks' queues ------------------------------------------------------------------


def _order_jobs() -> Prefetch:
    return Prefetch(
        "jobs",
        queryset=Job.objects.exclude(status=J.CANCELLED)
        .select_related("technician__user", "team")
        .order_by("id"),
        to_attr="live_jobs",
    )


def _queue(queryset: QuerySet[WorkOrder]) -> list[WorkOrder]:
    return list(
        queryset.select_related("vehicle", "advisor")
        .prefetch_related(_order_jobs())
        .order_by("promised_at", "opened_at", "id")[:LIST_LIMIT]
    )


@dataclass(frozen=True)
class TeamQueue:
    to_check: list[WorkOrder]  # 自检 done: the lead's check
    to_self_check: list[WorkOrder]  # every job finished, still 维修中 (each with .refusals)


def team_queue(*, user, all_teams: bool) -> TeamQueue:
    """The team lead's queue: the self-checked orders with a job of a team they lead (every
    team for a supervisor standing in), and those whose jobs are all finished but which
    did not move to 自检. 4 queries (2 per list)."""
    jobs = Job.objects.filter(work_order=OuterRef("pk")).exclude(status=J.CANCELLED)
    if not all_teams:
        jobs = jobs.filter(team__lead=user)
    mine = WorkOrder.objects.filter(Exists(jobs))
    unfinished = Job.objects.filter(work_order=OuterRef("pk"), status__in=OPEN_JOB_STATES)
    stuck = _queue(
        mine.filter(status=S.IN_PROGRESS)
        .filter(Exists(Job.objects.filter(work_order=OuterRef("pk"), status=J.FINISHED)))
        .exclude(Exists(unfinished))
    )
    return TeamQueue(to_check=_queue(mine.filter(status=S.SELF_CHECKED)), to_self_check=stuck)


@dataclass(frozen=True)
class QcQueue:
    to_check: list[WorkOrder]  # 班组长检验 done: the final QC
    to_release: list[WorkOrder]  # washed (or passed, with the wash step off): → 待交车


def qc_queue(*, wash_step: bool) -> QcQueue:
    """The inspectors' queue (every order: QC checks 100%): 4 queries."""
    release = [S.WASHED] if wash_step else [S.WASHED, S.QC_PASSED]
    return QcQueue(
        to_check=_queue(WorkOrder.objects.filter(status=S.TEAM_CHECKED)),
        to_release=_queue(WorkOrder.objects.filter(status__in=release)),
    )


def check_page(*, pk: int) -> WorkOrder:
    """An order as the team lead and the inspector check it: vehicle and advisor (1), its
    approved lines (1), its jobs with technician and team (1), its checks (1)."""
    return (
        WorkOrder.objects.select_related("vehicle", "advisor")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=WorkOrderLine.objects.filter(status=LineStatus.APPROVED).order_by("id"),
                to_attr="approved_lines",
            ),
            _order_jobs(),
            Prefetch(
                "checks",
                queryset=Check.objects.select_related("by", "job__technician__user").order_by(
                    "-at", "-id"
                ),
                to_attr="all_checks",
            ),
        )
        .get(pk=pk)
    )


# --- proposals for the advisor ---------------------------------------------------------------


def order_proposals(work_order: WorkOrder) -> list[ProposedItem]:
    """The proposals of one order, newest first, with who proposed and the lines taken: 2
    queries."""
    return list(
        ProposedItem.objects.filter(work_order=work_order)
        .select_related("proposed_by__user", "decided_by")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )


def free_added_lines(order: WorkOrder) -> list[WorkOrderLine]:
    """Added items waiting for the customer that no proposal took yet (the advisor may have
    put a proposal on the order from the catalogue box)."""
    return list(
        WorkOrderLine.objects.filter(work_order=order, status=LineStatus.PROPOSED, is_added=True)
        .exclude(pk__in=ProposedItem.lines.through.objects.values("workorderline_id"))
        .order_by("id")
    )


def proposals_waiting(*, advisor) -> list[ProposedItem]:
    """Proposals waiting for the advisor (on their own orders; every advisor's for a user
    with no order of their own, e.g. a manager): 1 query, proposeditem_status_idx."""
    items = ProposedItem.objects.filter(status=ProposedItem.Status.PROPOSED)
    if advisor is not None:
        items = items.filter(work_order__advisor=advisor)
    return list(
        items.select_related("work_order__vehicle", "proposed_by__user").order_by(
            "created_at", "id"
        )[:LIST_LIMIT]
    )


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """A technician's or a team's finished jobs of a period."""

    name: str
    team: str = ""
    jobs: int = 0
    reworked: int = 0  # finished jobs that were sent back by a check at least once
    failed_checks: int = 0  # team / final checks failed, counted per job sent back
    standard_hours: Decimal = Decimal(0)
    worked_seconds: int = 0
    members: list = field(default_factory=list)

    @property
    def worked_hours(self) -> Decimal:
        return (Decimal(self.worked_seconds) / 3600).quantize(Decimal("0.01"))

    @property
    def efficiency(self) -> Decimal | None:
        """Standard hours sold ÷ hours worked, in % (None before any time is clocked)."""
        if not self.worked_seconds:
            return None
        return (self.standard_hours * 3600 * 100 / self.worked_seconds).quantize(Decimal("0.1"))

    @property
    def first_time_fix(self) -> Decimal | None:
        """Finished jobs never reworked ÷ finished jobs, in %."""
        if not self.jobs:
            return None
        return (Decimal(self.jobs - self.reworked) * 100 / self.jobs).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class FloorStats:
    period: Period
    technicians: list[Figures]
    teams: list[Figures]
    total: Figures


def floor_stats(*, period: Period) -> FloorStats:
    """Efficiency and first-time fix per technician and team for the jobs finished in the
    period, and the team / final checks failed in it: 4 queries whatever the period.

    The sums are grouped by ids only, so a year of jobs is read from the covering index
    (job_finished_figures_idx: an index-only scan, no join per job), and the failed checks
    from theirs (check_failed_by_at_idx: a failed check names the technician and team whose
    work it sent back, services_floor._send_back); the names come from
    the technicians and teams found. A technician is listed with the team of the jobs (a
    move between teams in the period lists the first)."""
    finished = (
        Job.objects.filter(
            status=J.FINISHED, finished_at__gte=period.start_at, finished_at__lt=period.end_before
        )
        .values("technician_id", "team_id")
        .annotate(
            # finished_at, not id: every column read is in the covering index.
            jobs=Count("finished_at"),
            reworked=Count("finished_at", filter=Q(is_rework=True)),
            standard=Sum("standard_hours"),
            worked=Sum("worked_seconds"),
        )
        .order_by()
    )
    failed = list(
        Check.objects.filter(
            kind__in=(CheckItem.Kind.TEAM, CheckItem.Kind.FINAL),
            passed=False,
            technician__isnull=False,
            at__gte=period.start_at,
            at__lt=period.end_before,
        )
        .values("technician_id", "team_id")
        # at, not id: every column read is in the covering index check_failed_by_at_idx.
        .annotate(failed=Count("at"))
        .order_by()
    )
    finished = list(finished)
    rows = finished + failed
    people = {
        person.pk: person.user.display_name or person.user.username
        for person in Technician.objects.filter(
            pk__in={row["technician_id"] for row in rows}
        ).select_related("user")
    }
    team_names = dict(
        Team.objects.filter(pk__in={row["team_id"] for row in rows}).values_list("pk", "name")
    )
    technicians: dict[int, Figures] = {}
    teams: dict[int, Figures] = {}
    total = Figures(name="合计")

    def figures_of(row: dict) -> tuple[Figures, Figures]:
        name, team_name = people[row["technician_id"]], team_names[row["team_id"]]
        person = technicians.setdefault(row["technician_id"], Figures(name=name, team=team_name))
        team = teams.setdefault(row["team_id"], Figures(name=team_name))
        if name not in team.members:
            team.members.append(name)
        return person, team

    # The team a technician is listed with: their first by team name, as before.
    for row in sorted(finished, key=lambda row: (team_names[row["team_id"]], row["technician_id"])):
        for figures in (*figures_of(row), total):
            figures.jobs += row["jobs"]
            figures.reworked += row["reworked"]
            figures.standard_hours += row["standard"] or 0
            figures.worked_seconds += row["worked"] or 0
    for row in failed:
        for figures in (*figures_of(row), total):
            figures.failed_checks += row["failed"]
    return FloorStats(
        period=period,
        technicians=sorted(technicians.values(), key=lambda person: (person.team, person.name)),
        teams=sorted(teams.values(), key=lambda team: team.name),
        total=total,
    )
