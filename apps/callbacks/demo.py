"""The demo's callbacks: every callback of the demo's history, made by the generator itself
(`callbacks_generate`, a month at a time) and, for the last week, by the daily job through
the ledger, as the beat task makes them, with each day's call queue; those whose window
has passed are closed as the clerks would have closed them (and the past days' calls
made), so today's queue holds what opens today and what is a day or two overdue. Run by
`seed_demo` through apps.core.seeding in `finish`, after the customers' segments (level 3
takes the VIP customers' repairs).

A closed callback was done on its first day, or the next afternoon after a call nobody
answered, or closed unreachable after three failed calls; demo_history then writes the
calls, the questionnaires' answers and the problems they raised (handled or still open),
and the second callbacks after the handled ones.
"""

import datetime as dt
import time
import zlib

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from apps.core import daily_jobs
from apps.core.calendar import add_months
from apps.core.models import JobRun
from apps.core.seeding import DemoRun

from . import demo_history
from .models import CallAttempt, Callback, CallItem, CallOutcome, Problem
from .services import call_queue_build, callbacks_generate

LIVE_DAYS = 7  # the last days made by the daily job, as the ledger shows them
OVERDUE_DAYS = 2  # callbacks due in the last days stay open: today's overdue ones
UNREACHABLE_EVERY = 20  # one callback in 20 ends unreachable (three failed attempts)
# 10:00 and 17:00 in Shanghai as hours after midnight UTC of the day (a date + an interval
# is a UTC time on the connection): when the demo's clerks close a callback.
DONE_AT = dt.timedelta(hours=2)
GAVE_UP_AT = dt.timedelta(hours=9)
CALLED_AT = dt.time(10, 30)  # the live days' calls
LATE_EVERY = 8  # one callback in 8 is not answered on its first day, reached on the next
LATE_AT = dt.timedelta(days=1, hours=7, minutes=30)  # the next day at 15:30


def finish(run: DemoRun) -> None:
    if Callback.objects.exists():
        return
    started = time.perf_counter()
    clerk = get_user_model().objects.filter(username="callback").first()
    live_from = run.today - dt.timedelta(days=LIVE_DAYS - 1)
    month = run.start.replace(day=1)
    while month < live_from:
        last = min(add_months(month, 1) - dt.timedelta(days=1), live_from - dt.timedelta(days=1))
        with transaction.atomic():
            callbacks_generate(first=max(month, run.start), last=last)
            _close(before=min(last, run.today - dt.timedelta(days=OVERDUE_DAYS)), clerk=clerk)
        if month.month == 1:
            run.log(f"  回访 {month.year} 年 · 共 {Callback.objects.count()} 条")
        month = add_months(month, 1)
    generate = daily_jobs.job_named("callbacks-generate")
    build_queue = daily_jobs.job_named("callbacks-build-queue")
    for back in range(LIVE_DAYS - 1, -1, -1):
        on = run.today - dt.timedelta(days=back)
        trigger = JobRun.Trigger.SCHEDULE if back == 0 else JobRun.Trigger.CATCH_UP
        daily_jobs.job_run(job=generate, on=on, trigger=trigger)
        daily_jobs.job_run(job=build_queue, on=on, trigger=trigger)
        # What the day's calls were about was closed, except what is due today or a day or
        # two ago …
        _close(before=min(on, run.today - dt.timedelta(days=OVERDUE_DAYS)), clerk=clerk)
        # … and the day's calls were made (those about a callback still open were not).
        if back:
            _calls_made(on)
    run.log(f"  回访:{Callback.objects.count()} 条({time.perf_counter() - started:.1f} 秒)")
    started = time.perf_counter()
    made = demo_history.history(run, clerk=clerk)
    # A past day's item left waiting (one of its callbacks stayed open) that a call closing
    # another of its callbacks was made on: called after all.
    last_call = CallAttempt.objects.filter(item=OuterRef("pk")).order_by("-at").values("at")[:1]
    CallItem.objects.filter(
        day__lt=run.today, status=CallItem.Status.WAITING, attempts__isnull=False
    ).update(status=CallItem.Status.DONE, outcome=CallOutcome.REACHED, done_at=Subquery(last_call))
    # The second callbacks the problems' handling opened join today's queue.
    call_queue_build(on=run.today)
    run.log(
        f"  回访记录:{made['calls']} 次拨打 · {made['answers']} 条答案 · "
        f"{made['problems']} 个问题 · {made['seconds']} 条二次回访"
        f"({time.perf_counter() - started:.1f} 秒)"
    )
    run.summary.append(lambda: summary(run))


def summary(run: DemoRun) -> str:
    """The closing line's callbacks (counted when printed: the complaints demo adds second
    callbacks and today's queue items after this app's finish)."""
    queue = CallItem.objects.filter(day=run.today).count()
    problems = Problem.objects.count()
    return f"{Callback.objects.count()} 条回访(今日回访队列 {queue} 位客户,{problems} 个回访问题)"


def _calls_made(on: dt.date) -> None:
    """Mark the queue items of `on` called (reached) when all their callbacks are closed;
    the others were not reached that day (left waiting: no contact, so the customer is in
    today's queue again, overdue)."""
    at = timezone.make_aware(dt.datetime.combine(on, CALLED_AT))
    CallItem.objects.filter(day=on).exclude(callbacks__status=Callback.Status.OPEN).update(
        status=CallItem.Status.DONE, done_at=at, outcome=CallOutcome.REACHED
    )


def _moment(day_field: str, after: dt.timedelta) -> ExpressionWrapper:
    """The moment `after` the start of the day in `day_field`, in SQL. The day is cast to a
    datetime first: SQLite adds a timedelta to a date as Python does (the hours are lost),
    which left dates where moments belong."""
    return ExpressionWrapper(
        Cast(F(day_field), DateTimeField()) + after, output_field=DateTimeField()
    )


def _close(*, before: dt.date, clerk) -> None:
    """Close the open callbacks due before `before`: one in UNREACHABLE_EVERY unreachable
    on its due day, the others done on the day they opened (two set-based UPDATEs)."""
    past = Callback.objects.filter(status=Callback.Status.OPEN, due_on__lt=before)
    # Drawn from what the callback is about, not its id: the same demo whatever ids the
    # database hands out (crc32: stable across processes, unlike hash()).
    unreachable = [
        pk
        for pk, vin, kind, due_on in past.values_list("pk", "vehicle__vin", "kind", "due_on")
        if zlib.crc32(f"{vin}{kind}{due_on}".encode()) % UNREACHABLE_EVERY == 0
    ]
    past.filter(pk__in=unreachable).update(
        status=Callback.Status.UNREACHABLE,
        attempts=3,
        closed_at=_moment("due_on", GAVE_UP_AT),
        last_attempt_at=_moment("due_on", GAVE_UP_AT),
        closed_by=clerk,
        outcome=CallOutcome.NO_ANSWER,
    )
    # One in LATE_EVERY was not answered on its first day (10:00) and reached the next
    # afternoon: one failed attempt (history() writes the calls).
    late = [
        pk
        for pk, vin, kind, due_on, opens_on in past.filter(due_on__gt=F("opens_on")).values_list(
            "pk", "vehicle__vin", "kind", "due_on", "opens_on"
        )
        if zlib.crc32(f"{vin}{kind}{due_on}".encode()) % LATE_EVERY == 1
    ]
    reached_late = _moment("opens_on", LATE_AT)
    past.filter(pk__in=late).update(
        status=Callback.Status.DONE,
        attempts=1,
        closed_at=reached_late,
        last_attempt_at=reached_late,
        closed_by=clerk,
        outcome=CallOutcome.REACHED,
    )
    past.update(  # the others (past reads the open ones again)
        status=Callback.Status.DONE,
        closed_at=_moment("opens_on", DONE_AT),
        last_attempt_at=_moment("opens_on", DONE_AT),
        closed_by=clerk,
        outcome=CallOutcome.REACHED,
    )
