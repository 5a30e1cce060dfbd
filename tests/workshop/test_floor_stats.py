"""The workshop's figures (selectors_floor.floor_stats) on a hand-computed month, the
period selector (apps.core.periods), and a rework counted against first-time fix through
the services."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.http import QueryDict

from apps.core.periods import Period, PeriodForm, preset_period
from apps.workshop import services_dispatch as dispatch
from apps.workshop import services_floor as floor
from apps.workshop.models import Check, CheckItem, Job
from apps.workshop.selectors_floor import floor_stats
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import flow_user
from tests.workshop.floor import (
    all_ticked,
    at,
    dispatched_order,
    job_for,
    role_user,
    team,
    technician,
    work,
)

pytestmark = pytest.mark.django_db
JULY = Period(dt.date(2026, 7, 1), dt.date(2026, 7, 31), "2026年7月")


def _moment(day: int, hour: int = 15, month: int = 7) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def _finished_job(order, tech, *, standard: str, worked: int, rework=False, at_=None) -> Job:
    """A job as the clock leaves it when finished (the clock's own tests cover the clock)."""
    job = job_for(order, tech)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FINISHED,
        standard_hours=Decimal(standard),
        worked_seconds=worked,
        is_rework=rework,
        started_at=at_,
        finished_at=at_,
    )
    return Job.objects.get(pk=job.pk)


@pytest.fixture
def month():
    """Team 1: 王 (3 jobs, one reworked) and 李 (1 job); team 2: 赵 (1 reworked job); jobs
    just outside July and one still open are left out; one failed check each for 王 and 赵
    in July, one in June."""
    team_1, team_2 = team("机修一组"), team("钣金组")
    wang = technician(team_=team_1, display_name="王师傅")
    li = technician(team_=team_1, display_name="李师傅")
    zhao = technician(team_=team_2, display_name="赵师傅")
    # Each job needs its own lines: one live job per line (a database constraint).
    orders = iter(_orders(9))
    wang_jobs = [
        _finished_job(next(orders), wang, standard="1.00", worked=3600, at_=_moment(2)),
        _finished_job(
            next(orders), wang, standard="2.00", worked=5400, rework=True, at_=_moment(9)
        ),
        _finished_job(next(orders), wang, standard="0.50", worked=1800, at_=_moment(31, 23)),
    ]
    _finished_job(next(orders), li, standard="3.00", worked=14400, at_=_moment(15))
    zhao_job = _finished_job(
        next(orders), zhao, standard="1.50", worked=3600, rework=True, at_=_moment(20)
    )
    # Outside July: finished at 23:00 on 30 June, and at midnight starting 1 August.
    _finished_job(next(orders), wang, standard="8.00", worked=3600, at_=_moment(30, 23, month=6))
    _finished_job(next(orders), wang, standard="8.00", worked=3600, at_=_moment(1, 0, month=8))
    job_for(next(orders), li)  # still to do
    inspector = flow_user()
    for job, day, kind in (
        (wang_jobs[1], _moment(10), CheckItem.Kind.FINAL),
        (zhao_job, _moment(12), CheckItem.Kind.TEAM),
        (zhao_job, _moment(28, month=6), CheckItem.Kind.TEAM),
    ):
        Check.objects.create(  # as services_floor records a failed check
            work_order=job.work_order,
            job=job,
            technician_id=job.technician_id,
            team_id=job.team_id,
            kind=kind,
            passed=False,
            reason="不合格",
            by=inspector,
            at=day,
        )


def _orders(count: int):
    with time_machine.travel(at(8), tick=False):
        return [dispatched_order() for _ in range(count)]


def _row(figures) -> tuple:
    return (
        figures.name,
        figures.jobs,
        figures.reworked,
        figures.first_time_fix,
        figures.failed_checks,
        figures.standard_hours,
        figures.worked_hours,
        figures.efficiency,
    )


def test_efficiency_and_first_time_fix_per_technician_and_team_of_a_month(
    month, django_assert_num_queries
):
    # The finished jobs per technician and team (1), the failed checks per technician and
    # team they count against (1), the technicians' names (1), the teams' names (1).
    with django_assert_num_queries(4):
        stats = floor_stats(period=JULY)

    D = Decimal
    # 王: 3.50 h sold in 3 h worked = 116.7 %; 2 of 3 jobs right first time = 66.7 %.
    # 李: 3.00 h in 4 h = 75.0 %; 赵: 1.50 h in 1 h = 150.0 %, his one job reworked = 0.0 %.
    assert [_row(person) for person in stats.technicians] == [
        ("李师傅", 1, 0, D("100.0"), 0, D("3.00"), D("4.00"), D("75.0")),
        ("王师傅", 3, 1, D("66.7"), 1, D("3.50"), D("3.00"), D("116.7")),
        ("赵师傅", 1, 1, D("0.0"), 1, D("1.50"), D("1.00"), D("150.0")),
    ]
    # 机修一组: 6.50 h in 7 h = 92.9 %, 3 of 4 = 75.0 %; 钣金组 as 赵.
    assert [_row(group) for group in stats.teams] == [
        ("机修一组", 4, 1, D("75.0"), 1, D("6.50"), D("7.00"), D("92.9")),
        ("钣金组", 1, 1, D("0.0"), 1, D("1.50"), D("1.00"), D("150.0")),
    ]
    # 8.00 h in 8 h = 100.0 %; 3 of 5 = 60.0 %.
    assert _row(stats.total) == ("合计", 5, 2, D("60.0"), 2, D("8.00"), D("8.00"), D("100.0"))
    assert stats.technicians[0].team == "机修一组"


def test_a_period_without_finished_jobs_has_no_rates():
    stats = floor_stats(period=JULY)

    assert (stats.technicians, stats.teams) == ([], [])
    assert (stats.total.efficiency, stats.total.first_time_fix) == (None, None)


def test_a_job_reworked_after_a_failed_final_check_counts_against_first_time_fix():
    lead = role_user("technician")
    tech = technician(team_=team("机修一组", lead=lead))
    qc = role_user("qc")
    with time_machine.travel(at(9), tick=False) as traveller:
        order = dispatched_order()
        job = job_for(order, tech)
        work(job, tech, traveller, start=at(9), end=at(10))
        floor.team_check(
            work_order=order,
            by=lead,
            answers=all_ticked(CheckItem.Kind.TEAM, order=order),
            passed=True,
        )
        floor.final_check(
            work_order=order,
            by=qc,
            answers=floor.Answers(ok=frozenset()),
            passed=False,
            reason="异响未排除",
        )
        work(job, tech, traveller, start=at(10, 30), end=at(11))

    (person,) = floor_stats(period=JULY).technicians

    # One job, reworked once: 0 % first time; 1.00 h sold in 1 h 30 min worked = 66.7 %.
    assert (person.jobs, person.reworked, person.failed_checks) == (1, 1, 1)
    assert (person.first_time_fix, person.efficiency) == (Decimal("0.0"), Decimal("66.7"))


def test_a_failed_check_stays_with_the_technician_whose_work_failed():
    """The rework goes to another technician: the failure counts against the first one (and
    their team), the rework's job and hours against the second."""
    lead = role_user("technician")
    first = technician(team_=team("机修一组", lead=lead), display_name="王师傅")
    second = technician(team_=team("机修二组"), display_name="李师傅")
    with time_machine.travel(at(9), tick=False) as traveller:
        order = dispatched_order()
        job = job_for(order, first)
        work(job, first, traveller, start=at(9), end=at(10))
        floor.team_check(
            work_order=order,
            by=lead,
            answers=floor.Answers(ok=frozenset()),
            passed=False,
            reason="螺栓力矩不足",
        )
        dispatch.job_reassign(
            job=job, technician=second, bay=None, by=flow_user(), reason="王师傅请假"
        )
        work(job, second, traveller, start=at(10, 30), end=at(11))

    stats = floor_stats(period=JULY)

    by_name = {person.name: person for person in stats.technicians}
    assert (by_name["王师傅"].jobs, by_name["王师傅"].failed_checks) == (0, 1)
    assert (by_name["李师傅"].jobs, by_name["李师傅"].failed_checks) == (1, 0)
    failed = {group.name: group.failed_checks for group in stats.teams}
    assert failed == {"机修一组": 1, "机修二组": 0}


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("today", dt.date(2026, 8, 12), dt.date(2026, 8, 12)),
        ("week", dt.date(2026, 8, 10), dt.date(2026, 8, 12)),  # Monday to today (Wednesday)
        ("month", dt.date(2026, 8, 1), dt.date(2026, 8, 12)),
        ("last_month", dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
        ("quarter", dt.date(2026, 7, 1), dt.date(2026, 8, 12)),
        ("year", dt.date(2026, 1, 1), dt.date(2026, 8, 12)),
    ],
)
def test_each_preset_names_its_days(preset, start, end):
    period = preset_period(preset, today=dt.date(2026, 8, 12))

    assert (period.start, period.end) == (start, end)
    assert period.start_at == dt.datetime(start.year, start.month, start.day, tzinfo=SHANGHAI)
    assert period.end_before == dt.datetime.combine(
        end + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI
    )


def test_the_period_selector_takes_a_custom_range_and_refuses_a_reversed_one():
    today = dt.date(2026, 8, 12)

    empty = PeriodForm(QueryDict(""), today=today)
    custom = PeriodForm(QueryDict("period=custom&start=2026-03-01&end=2026-03-31"), today=today)
    reversed_ = PeriodForm(QueryDict("period=custom&start=2026-03-31&end=2026-03-01"), today=today)
    half = PeriodForm(QueryDict("period=custom&start=2026-03-01"), today=today)

    assert empty.is_bound is False
    assert empty.chosen_period() == preset_period("month", today=today)
    assert custom.chosen_period() == Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "自定义")
    assert reversed_.errors == {"__all__": ["开始日期不能晚于结束日期。"]}
    assert reversed_.chosen_period() == preset_period("month", today=today)
    assert half.errors == {"__all__": ["自定义期间请填写开始日期和结束日期。"]}
