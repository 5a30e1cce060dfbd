"""The daily jobs' ledger (apps/core/daily_jobs.py): each job once per business date, missed days
caught up in order, failures recorded and retried, two workers never running a date twice;
the command and the managers' page."""

import datetime as dt
import io
import threading
import time

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from apps.callbacks.models import Callback
from apps.core import daily_jobs as jobs
from apps.core.models import DealershipSettings, JobRun
from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from tests.factories.callbacks import delivered_order
from tests.factories.clock import local_datetime
from tests.pages import PAGE_QUERIES

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)
NOW = local_datetime(TODAY, 9)


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


class Recorder:
    """A job that remembers the dates it ran for, in order, and fails on `failing` dates."""

    def __init__(self, name="test-job", *, failing=(), monthly=False, pause=0.0):
        self.dates: list[dt.date] = []
        self.failing = set(failing)
        self.pause = pause
        self.job = jobs.Job(name=name, label="测试任务", run=self.run, monthly=monthly)

    def run(self, on: dt.date) -> dict:
        if self.pause:
            time.sleep(self.pause)
        if on in self.failing:
            raise RuntimeError(f"数据源不可用 {on}")
        self.dates.append(on)
        return {"made": len(self.dates)}


def ledger(name="test-job") -> list[tuple]:
    return list(
        JobRun.objects.filter(job=name)
        .order_by("business_date")
        .values_list("business_date", "status", "attempts", "trigger")
    )


@pytest.fixture
def only(monkeypatch):
    """Make the registered jobs these recorders' jobs."""

    def register(*recorders: Recorder):
        monkeypatch.setattr(jobs, "registered_jobs", lambda: [r.job for r in recorders])

    return register


# --- one date, once ------------------------------------------------------------------------


def test_the_ledger_holds_one_row_per_job_and_business_date():
    JobRun.objects.create(job="callbacks-generate", business_date=TODAY, trigger="manual")
    JobRun.objects.create(job="callbacks-generate", business_date=day(3, 11), trigger="manual")
    JobRun.objects.create(job="other", business_date=TODAY, trigger="manual")

    with pytest.raises(IntegrityError, match="jobrun_once_per_date"), transaction.atomic():
        JobRun.objects.create(job="callbacks-generate", business_date=TODAY, trigger="schedule")


@time_machine.travel(NOW, tick=False)
def test_a_date_runs_once_and_running_it_again_changes_nothing():
    recorder = Recorder()

    first = jobs.job_run(job=recorder.job, on=TODAY, trigger="schedule")
    second = jobs.job_run(job=recorder.job, on=TODAY, trigger="manual", automatic=False)

    assert (first, second) == (jobs.Outcome.DONE, jobs.Outcome.ALREADY_DONE)
    assert recorder.dates == [TODAY]
    run = JobRun.objects.get()
    assert (run.status, run.attempts, run.trigger, run.result, run.error) == (
        "succeeded",
        1,
        "schedule",
        {"made": 1},
        "",
    )
    assert run.started_at == run.finished_at == NOW


@time_machine.travel(NOW, tick=False)
def test_a_failed_job_leaves_none_of_its_writes_and_is_retried_until_it_succeeds():
    # Given a job that makes the day's callbacks, then fails
    delivered_order(day(3, 7))

    def make_then_fail(on):
        from apps.callbacks.services import callbacks_generate

        callbacks_generate(first=on)
        raise RuntimeError("连接短信网关失败")

    failing = jobs.Job(name="callbacks-generate", label="生成回访任务", run=make_then_fail)

    # When it runs for today
    outcome = jobs.job_run(job=failing, on=TODAY, trigger="schedule")

    # Then its callbacks were rolled back with it, and the failure is in the ledger
    assert outcome == jobs.Outcome.FAILED
    assert Callback.objects.count() == 0
    run = JobRun.objects.get()
    assert (run.status, run.attempts, run.error) == ("failed", 1, "RuntimeError: 连接短信网关失败")
    assert run.finished_at == NOW

    # When the cause is gone, the next run does the date, and its callbacks exist once
    working = jobs.job_named("callbacks-generate")
    assert jobs.job_run(job=working, on=TODAY, trigger="catch_up") == jobs.Outcome.DONE
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error, run.result["3dc"]) == ("succeeded", 2, "", 1)
    assert Callback.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_after_three_failures_only_a_person_runs_the_date_again():
    recorder = Recorder(failing=[TODAY])
    for _ in range(jobs.MAX_AUTOMATIC_ATTEMPTS):
        assert jobs.job_run(job=recorder.job, on=TODAY, trigger="schedule") == "failed"

    assert jobs.job_run(job=recorder.job, on=TODAY, trigger="schedule") == jobs.Outcome.GAVE_UP
    assert ledger() == [(TODAY, "failed", 3, "schedule")]

    recorder.failing.clear()
    outcome = jobs.job_run(job=recorder.job, on=TODAY, trigger="manual", automatic=False)
    assert outcome == jobs.Outcome.DONE
    assert ledger() == [(TODAY, "succeeded", 4, "manual")]


def test_a_monthly_job_has_one_date_per_month_its_first_day():
    recorder = Recorder(monthly=True)

    with time_machine.travel(NOW, tick=False):
        jobs.job_run(job=recorder.job, on=day(3, 10), trigger="schedule")
        jobs.job_run(job=recorder.job, on=day(3, 25), trigger="schedule")

    assert recorder.dates == [day(3, 1)]
    assert ledger() == [(day(3, 1), "succeeded", 1, "schedule")]


# --- catching up ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_missed_days_are_caught_up_in_order_and_done_days_are_left(only):
    # Given a daily job done for 4 and 5 March, then down until today, 10 March
    daily = Recorder()
    only(daily)
    for done in (day(3, 4), day(3, 5)):
        jobs.job_run(job=daily.job, on=done, trigger="schedule")
    daily.dates.clear()

    # When beat's task runs today
    tried = jobs.jobs_catch_up(today=TODAY)

    # Then 6 to 10 March ran, oldest first (the window is the last 7 days, today included)
    assert daily.dates == [day(3, n) for n in range(6, 11)]
    assert [(name, on, outcome) for name, on, outcome in tried] == [
        ("test-job", day(3, n), "done") for n in range(6, 11)
    ]
    assert ledger()[-5:] == [(day(3, n), "succeeded", 1, "catch_up") for n in range(6, 10)] + [
        (TODAY, "succeeded", 1, "schedule")
    ]
    # and the next run does nothing
    daily.dates.clear()
    assert jobs.jobs_catch_up(today=TODAY) == []
    assert daily.dates == []


@time_machine.travel(NOW, tick=False)
def test_days_older_than_the_window_are_not_caught_up_and_the_window_is_a_setting(only):
    daily = Recorder()
    only(daily)
    rules = current_settings(DealershipSettings)
    rules.daily_jobs_catch_up_days = 3
    area_settings_save(rows=[rules], by=None)

    jobs.jobs_catch_up(today=TODAY)

    assert daily.dates == [day(3, 8), day(3, 9), day(3, 10)]


@time_machine.travel(NOW, tick=False)
def test_a_failed_day_holds_back_that_jobs_later_days_but_not_the_other_jobs(only):
    # Given two jobs, the first failing for 7 March
    broken = Recorder("broken", failing=[day(3, 7)])
    healthy = Recorder("healthy")
    only(broken, healthy)

    tried = jobs.jobs_catch_up(today=TODAY)

    # Then the first did 4 to 6 March and stopped; the other did every day
    assert broken.dates == [day(3, 4), day(3, 5), day(3, 6)]
    assert healthy.dates == [day(3, n) for n in range(4, 11)]
    assert ("broken", day(3, 7), "failed") in tried
    assert ledger("broken")[-1] == (day(3, 7), "failed", 1, "catch_up")
    # day by day: each day's jobs before the next day's
    assert [on for _name, on, _outcome in tried] == sorted(on for _n, on, _o in tried)

    # When the cause is gone, the next run does 7 to 10 March, in order
    broken.failing.clear()
    broken.dates.clear()
    jobs.jobs_catch_up(today=TODAY)
    assert broken.dates == [day(3, n) for n in range(7, 11)]


@time_machine.travel(local_datetime(day(3, 3), 0), tick=False)
def test_a_monthly_job_catches_up_each_month_of_the_window_once(only):
    monthly = Recorder("monthly", monthly=True)
    only(monthly)

    jobs.jobs_catch_up(today=day(3, 3))  # the window: 25 February to 3 March

    assert monthly.dates == [day(2, 1), day(3, 1)]
    assert [row[:2] for row in ledger("monthly")] == [
        (day(2, 1), "succeeded"),
        (day(3, 1), "succeeded"),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_catch_up_with_nothing_to_do_reads_the_ledger_once(
    only, django_assert_num_queries, settings_row
):
    daily = Recorder()
    only(daily)
    jobs.jobs_catch_up(today=TODAY)

    with django_assert_num_queries(1):  # the window's succeeded dates
        assert jobs.jobs_catch_up(today=TODAY) == []


# --- two workers at once -------------------------------------------------------------------


def _together(count: int, work) -> list:
    """`work()` in `count` threads started at the same moment; their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_one_date_at_once_run_it_once():
    recorder = Recorder(pause=0.5)  # long enough for the other worker to arrive meanwhile

    with time_machine.travel(NOW, tick=True):
        outcomes = _together(
            4, lambda: jobs.job_run(job=recorder.job, on=TODAY, trigger="schedule")
        )

    assert recorder.dates == [TODAY]
    assert sorted(outcomes) == ["busy", "busy", "busy", "done"]
    assert ledger() == [(TODAY, "succeeded", 1, "schedule")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_workers_catching_up_at_once_make_each_callback_once():
    # Given a delivery on each of the last ten days, and no daily job run for a week
    with time_machine.travel(NOW, tick=True):
        for back in range(1, 11):
            delivered_order(TODAY - dt.timedelta(days=back))

        # When four workers catch up at the same moment (the real jobs)
        _together(4, lambda: jobs.jobs_catch_up(today=TODAY))

    # Then each date of the window was done once, and each 3DC exists once
    runs = JobRun.objects.filter(job="callbacks-generate").order_by("business_date")
    assert [(r.business_date, r.status, r.attempts) for r in runs] == [
        (day(3, n), "succeeded", 1) for n in range(4, 11)
    ]
    # 3DCs whose window (day 3 to 5) meets 4-10 March: the deliveries of 28 Feb … 7 March
    assert Callback.objects.filter(kind="3dc").count() == 8
    assert sum(r.result["3dc"] for r in runs) == 8
    segments = JobRun.objects.get(job="customers-recompute-segments")
    assert (segments.business_date, segments.status, segments.attempts) == (
        day(3, 1),
        "succeeded",
        1,
    )


# --- the command ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_command_runs_one_dates_jobs_once():
    delivered_order(day(3, 2))
    out = io.StringIO()

    call_command("run_daily_jobs", "--date", "2026-03-05", stdout=out)
    call_command("run_daily_jobs", "--date", "2026-03-05", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "customers-recompute-segments 2026-03-01:完成(分级变化客户数 1)"
    assert lines[1] == "stock-prepick 2026-03-05:完成(无)"  # no appointments
    assert lines[2] == "callbacks-generate 2026-03-05:完成(3DC 维修回访 1)"
    assert lines[3] == "callbacks-build-queue 2026-03-05:完成(客户 1,回访事项 1)"
    assert lines[4].startswith("customers-recompute-segments 2026-03-01:已完成过,未重复运行(")
    assert lines[6] == "callbacks-generate 2026-03-05:已完成过,未重复运行(3DC 维修回访 1)"
    assert len(lines) == 8
    assert Callback.objects.count() == 1
    assert JobRun.objects.get(job="callbacks-generate").trigger == "manual"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-03-11"], "2026-03-11 还没有到,不能提前运行。"),
        (["--date", "2026/03/05"], "日期格式应为 YYYY-MM-DD:2026/03/05"),
        (["--date", "2026-03-05", "--job", "nightly"], "没有这个任务:nightly"),
    ],
)
def test_the_command_refuses_a_future_or_unreadable_date_and_an_unknown_job(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_daily_jobs", *args, stdout=io.StringIO())

    assert JobRun.objects.count() == 0


# --- the page ------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_managers_see_each_jobs_recent_dates_with_results_errors_and_gaps(
    role_client, django_assert_num_queries, settings_row
):
    # Given today's callbacks made, yesterday's failed, and earlier days never run
    delivered_order(day(3, 7))
    jobs.job_run(job=jobs.job_named("callbacks-generate"), on=TODAY, trigger="schedule")
    JobRun.objects.create(
        job="callbacks-generate",
        business_date=day(3, 9),
        status="failed",
        trigger="catch_up",
        attempts=2,
        error="OperationalError: 数据库连接中断",
    )
    client = role_client("manager")

    # every page's (session, user, permissions, the roles in the header); the ledger's
    # recent rows of every job (one query)
    with django_assert_num_queries(PAGE_QUERIES + 1):
        response = client.get(reverse("core:job_run_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "生成回访任务" in page and "客户分级月度重算" in page
    assert "3DC 维修回访 1" in page
    assert "失败(第 2 次)" in page and "OperationalError: 数据库连接中断" in page
    # 12 days of callbacks, 12 months of segments, 14 days of the queue and of pre-picking
    assert page.count("未运行") == 12 + 12 + 14 + 14
    assert "2026-02-25" in page and "2026-02-24" not in page  # 14 days


@time_machine.travel(NOW, tick=False)
def test_the_page_takes_the_same_queries_for_a_long_ledger(
    role_client, django_assert_num_queries, settings_row
):
    for back in range(400):
        JobRun.objects.create(
            job="callbacks-generate",
            business_date=TODAY - dt.timedelta(days=back),
            status="succeeded",
            trigger="schedule",
            result={"3dc": back},
        )
    client = role_client("manager")

    with django_assert_num_queries(PAGE_QUERIES + 1):  # as above, whatever the ledger's length
        response = client.get(reverse("core:job_run_list"))

    assert response.status_code == 200
    assert "未运行" in response.content.decode()  # the monthly job never ran
