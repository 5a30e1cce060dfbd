"""The workshop demo (`seed_demo`): the floor (teams with leads, technicians in the
technician role with skills, bays), today's jobs in the states their orders imply, orders
waiting on the dispatch board, a finished job with clock and checks for every settled
order, nothing dated after the moment the demo is loaded, loaded once."""

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.db.models import Max, Sum

from apps.core import seeding
from apps.core.calendar import day_start
from apps.customers import demo as customers_demo
from apps.workorders.models import WorkOrder
from apps.workshop import demo as workshop_demo
from apps.workshop import selectors_board, selectors_dispatch
from apps.workshop.models import Bay, Check, Job, JobAssignment, JobClock, JobLine, Team, Technician
from tests.factories.clock import SHANGHAI

pytestmark = pytest.mark.django_db

SMALL = 300  # customers a year
LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)
S = WorkOrder.Status
J = Job.Status


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", SMALL)
    monkeypatch.setattr(customers_demo, "BATCH", 200)
    with time_machine.travel(LOADED_AT, tick=False):
        run = seeding.seed_all(seeding.DemoRun(seed=7, years=1, now=LOADED_AT, log=lambda _: None))
        yield run


def _the_floor_has_teams_with_leads_technicians_with_skills_and_bays():
    assert Team.objects.count() == len(workshop_demo.TEAMS)
    assert not Team.objects.filter(lead__isnull=True).exists()
    technicians = Technician.objects.select_related("user").prefetch_related("skills")
    assert technicians.count() == len(workshop_demo.TECHNICIANS)
    for technician in technicians:
        assert technician.user.groups.filter(name="technician").exists()
        assert technician.skills.exists()
    assert technicians.get(user__username="technician").team.name == "快保组"
    assert Bay.objects.count() == 12


def _today_jobs(status):
    return Job.objects.filter(
        work_order__status=status, work_order__opened_at__gte=day_start(LOADED_AT.date())
    )


def _todays_orders_have_the_jobs_their_state_implies():
    for status in (S.SELF_CHECKED, S.TEAM_CHECKED, S.QC_PASSED, S.WASHED, S.READY, S.SETTLED):
        jobs = _today_jobs(status).filter(work_order__status_changes__isnull=False).distinct()
        assert jobs.exists(), status
        assert set(jobs.values_list("status", flat=True)) == {J.FINISHED}, status
    self_checked = _today_jobs(S.SELF_CHECKED).first().work_order
    assert set(Check.objects.filter(work_order=self_checked).values_list("kind", flat=True)) == {
        "self"
    }
    qc_passed = _today_jobs(S.QC_PASSED).first().work_order
    kinds = set(Check.objects.filter(work_order=qc_passed).values_list("kind", flat=True))
    assert kinds == {"self", "team", "final"}
    waiting = _today_jobs(S.IN_PROGRESS).get(
        technician__user__username="technician", work_order__status_changes__transition="start"
    )
    assert (waiting.status, waiting.pause_reason) == (J.PAUSED, Job.PauseReason.APPROVAL)
    assert set(_today_jobs(S.DISPATCHED).values_list("status", flat=True)) == {J.ASSIGNED}


def _the_dispatch_board_has_orders_waiting_and_the_job_board_work_going_on():
    waiting, dispatched = selectors_dispatch.dispatch_board_orders()

    assert len(waiting) >= 4
    assert any(order.customer_waiting for order in waiting)
    assert any(order.live_jobs and order.lines_waiting for order in waiting)  # partly
    assert dispatched
    board = selectors_board.job_board(now=LOADED_AT)
    assert sum(len(technician.jobs) for technician in board.technicians) >= 5


def _every_settled_order_has_a_finished_job_whose_clock_adds_up():
    settled = WorkOrder.objects.filter(status__in=(S.SETTLED, S.DELIVERED))
    assert not settled.filter(jobs__isnull=True).exists()
    finished = Job.objects.filter(status=J.FINISHED)
    clock = defaultdict(int)
    for job_id, started, ended in JobClock.objects.values_list("job_id", "started_at", "ended_at"):
        if ended is not None:
            clock[job_id] += int((ended - started).total_seconds())
    for job in finished:
        assert job.worked_seconds == clock[job.pk], job.pk
        assert job.assigned_at <= job.started_at <= job.finished_at
    assert JobAssignment.objects.count() == Job.objects.count()
    assert not JobLine.objects.filter(active=True).values("line").annotate(n=Sum(1)).filter(n__gt=1)
    reworked = finished.filter(is_rework=True)
    assert reworked.exists()
    # Each failed team check names the job it sent back, as services_floor records it (the
    # figures count a technician's failed checks through it).
    failed = Check.objects.filter(kind="team", passed=False)
    assert failed.exists()
    assert not failed.filter(job__isnull=True).exists()
    assert set(failed.values_list("job_id", flat=True)) <= set(
        reworked.values_list("id", flat=True)
    )


def _nothing_on_the_floor_is_dated_after_the_moment_the_demo_is_loaded():
    latest = [
        Job.objects.aggregate(a=Max("created_at"), b=Max("assigned_at"), c=Max("finished_at")),
        JobClock.objects.aggregate(a=Max("started_at"), b=Max("ended_at")),
        JobAssignment.objects.aggregate(a=Max("at")),
        Check.objects.aggregate(a=Max("at")),
    ]
    for values in latest:
        assert all(value is None or value <= LOADED_AT for value in values.values()), values


def test_the_demo_floor_is_whole_and_consistent(demo):
    """One seeded demo for every check (seeding takes a minute on this machine)."""
    _the_floor_has_teams_with_leads_technicians_with_skills_and_bays()
    _todays_orders_have_the_jobs_their_state_implies()
    _the_dispatch_board_has_orders_waiting_and_the_job_board_work_going_on()
    _every_settled_order_has_a_finished_job_whose_clock_adds_up()
    _nothing_on_the_floor_is_dated_after_the_moment_the_demo_is_loaded()


def test_the_floor_is_loaded_once(demo):
    counts = (Job.objects.count(), Check.objects.count(), Technician.objects.count())

    with time_machine.travel(LOADED_AT + dt.timedelta(minutes=5), tick=False):
        workshop_demo.seed(demo)

    assert (Job.objects.count(), Check.objects.count(), Technician.objects.count()) == counts
