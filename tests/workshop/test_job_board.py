"""The job board (车间看板): every technician and bay with the job on it, time worked against
the standard hours at a fixed clock, waiting-for-parts and overdue flagged, two queries
whatever the size of the floor, and the body that the page swaps in by itself."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.workorders.models import WorkOrder
from apps.workshop import selectors_board
from apps.workshop.models import Job, JobClock
from tests.factories.clock import SHANGHAI
from tests.factories.workshop import BayFactory, TechnicianFactory, dispatched_order

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 14, 0, tzinfo=SHANGHAI)


def _job(technician, bay, *, status, hours="1.0", worked=0, open_since=None, pause="", **order):
    _order, job = dispatched_order(technician=technician, bay=bay, **order)
    Job.objects.filter(pk=job.pk).update(
        status=status, standard_hours=Decimal(hours), worked_seconds=worked, pause_reason=pause
    )
    if open_since is not None:
        JobClock.objects.create(job=job, technician=technician, started_at=open_since)
    return job


@time_machine.travel(NOW, tick=False)
def test_the_board_shows_each_technicians_current_job_and_the_time_worked():
    working = TechnicianFactory(user__display_name="李师傅")
    bay = BayFactory(code="A01", name="举升机1")
    BayFactory(code="A02", name="举升机2")
    job = _job(
        working,
        bay,
        status=Job.Status.IN_PROGRESS,
        hours="2.0",
        worked=1800,
        open_since=NOW - dt.timedelta(minutes=30),
        promised_at=NOW + dt.timedelta(hours=3),
    )
    queued = _job(working, None, status=Job.Status.ASSIGNED)
    idle = TechnicianFactory(user__display_name="赵师傅")

    board = selectors_board.job_board(now=NOW)

    rows = {technician.id: technician for technician in board.technicians}
    current = rows[working.pk].current
    assert current.id == job.id
    assert (current.worked_seconds, current.percent, current.worked_hours) == (3600, 50, 1)
    assert not current.overdue
    assert [queued_job.id for queued_job in rows[working.pk].queued] == [queued.id]
    assert rows[idle.pk].current is None
    bays = {bay.code: bay for bay in board.bays}
    assert (bays["A01"].job.id, bays["A01"].technician) == (job.id, "李师傅")
    assert bays["A02"].job is None
    assert board.counts == {"working": 1, "parts": 0, "overdue": 0, "idle": 1}


@time_machine.travel(NOW, tick=False)
def test_waiting_for_parts_and_overdue_are_flagged():
    parts = _job(
        TechnicianFactory(),
        None,
        status=Job.Status.PAUSED,
        pause=Job.PauseReason.PARTS,
        promised_at=NOW + dt.timedelta(hours=3),
    )
    over_hours = _job(
        TechnicianFactory(),
        None,
        status=Job.Status.IN_PROGRESS,
        hours="1.0",
        worked=3000,
        open_since=NOW - dt.timedelta(minutes=20),  # 50 + 20 minutes of 60
        promised_at=NOW + dt.timedelta(hours=3),
    )
    past_promise = _job(
        TechnicianFactory(),
        None,
        status=Job.Status.ASSIGNED,
        promised_at=NOW - dt.timedelta(minutes=1),
    )

    board = selectors_board.job_board(now=NOW)

    jobs = {t.current.id: t.current for t in board.technicians if t.current}
    assert jobs[parts.id].waiting_for_parts and not jobs[parts.id].overdue
    assert jobs[over_hours.id].over_standard and jobs[over_hours.id].overdue
    assert jobs[past_promise.id].past_promise and not jobs[past_promise.id].over_standard
    assert board.counts == {"working": 1, "parts": 1, "overdue": 2, "idle": 0}


@time_machine.travel(NOW, tick=False)
def test_the_job_being_worked_on_is_the_current_one_before_older_waiting_jobs():
    technician = TechnicianFactory()
    first = _job(technician, None, status=Job.Status.ASSIGNED)
    paused = _job(technician, None, status=Job.Status.PAUSED, pause=Job.PauseReason.BREAK)
    working = _job(technician, None, status=Job.Status.IN_PROGRESS, open_since=NOW)

    [row] = selectors_board.job_board(now=NOW).technicians

    assert [job.id for job in row.jobs] == [working.id, paused.id, first.id]


@time_machine.travel(NOW, tick=False)
def test_finished_and_cancelled_jobs_and_absent_technicians_are_off_the_board():
    technician = TechnicianFactory()
    _job(technician, None, status=Job.Status.FINISHED)
    _job(technician, None, status=Job.Status.CANCELLED)
    TechnicianFactory(active=False)

    [row] = selectors_board.job_board(now=NOW).technicians

    assert (row.id, row.jobs) == (technician.pk, [])


@time_machine.travel(NOW, tick=False)
def test_the_board_reads_two_queries_for_one_technician_or_many(django_assert_num_queries):
    _job(TechnicianFactory(), BayFactory(), status=Job.Status.IN_PROGRESS, open_since=NOW)
    with django_assert_num_queries(2):  # technicians with their open jobs; the bays
        selectors_board.job_board(now=NOW)
    for _ in range(5):
        technician = TechnicianFactory()
        _job(technician, BayFactory(), status=Job.Status.IN_PROGRESS, open_since=NOW)
        _job(technician, None, status=Job.Status.ASSIGNED)
        _job(technician, None, status=Job.Status.FINISHED)

    with django_assert_num_queries(2):
        board = selectors_board.job_board(now=NOW)

    assert len(board.technicians) == 6
    assert sum(len(t.jobs) for t in board.technicians) == 11


@time_machine.travel(NOW, tick=False)
def test_the_refresh_answers_the_body_alone_in_a_constant_number_of_queries(
    role_client, django_assert_num_queries, settings_row
):
    client = role_client("supervisor")
    _job(TechnicianFactory(), BayFactory(), status=Job.Status.IN_PROGRESS, open_since=NOW)
    url = reverse("workshop:job_board_body")
    client.get(url)  # warm: templates

    # the session, the user, the permissions; the board: technicians with their jobs, the
    # bays
    with django_assert_num_queries(5):
        response = client.get(url, headers={"HX-Request": "true"})
    for _ in range(4):
        _job(TechnicianFactory(), BayFactory(), status=Job.Status.PAUSED, pause="parts")
    with django_assert_num_queries(5):
        client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["X-Job-Board"] == "1"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<html" not in page and "<nav" not in page
    assert 'class="table table-sm bg-white mb-0 job-board-technicians"' in page


@time_machine.travel(NOW, tick=False)
def test_the_page_polls_its_body_from_a_script_file_not_an_inline_filter(role_client):
    response = role_client("qc").get(reverse("workshop:job_board"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{reverse("workshop:job_board_body")}"' in page
    assert 'hx-trigger="jobboard:refresh"' in page  # fired by static/js/jobboard.js
    assert 'data-refresh-seconds="10"' in page
    assert "/static/js/jobboard.js" in page
    assert "[document" not in page  # no eval-style hx-trigger filter (CSP: no eval)


@time_machine.travel(NOW, tick=False)
def test_the_board_marks_parts_and_overdue_rows_on_the_page(role_client):
    late = TechnicianFactory()
    _job(late, None, status=Job.Status.ASSIGNED, promised_at=NOW - dt.timedelta(hours=1))
    waiting = TechnicianFactory()
    _job(
        waiting,
        BayFactory(code="A03"),
        status=Job.Status.PAUSED,
        pause="parts",
        promised_at=NOW + dt.timedelta(hours=2),
    )

    page = role_client("manager").get(reverse("workshop:job_board")).content.decode()

    assert f'id="board-technician-{late.pk}" class="job-overdue"' in page
    assert f'id="board-technician-{waiting.pk}" class="job-parts"' in page
    assert "暂停·等待配件" in page
    assert 'bay-tile bay-parts" id="board-bay-A03"' in page
    assert WorkOrder.objects.count() == 2
