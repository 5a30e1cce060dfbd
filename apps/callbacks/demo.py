"""The demo's callbacks: every callback of the demo's history, made by the generator itself
(`callbacks_generate`, a month at a time) and, for the last week, by the daily job through
the ledger, as the beat task makes them, with each day's call queue; those whose window
has passed are closed as the clerks would have closed them (and the past days' calls
made), so today's queue holds what opens today and what is a day or two overdue. Run by
`seed_demo` through apps.core.seeding in `finish`, after the customers' segments (level 3
takes the VIP customers' repairs).

Until the call screen exists, a closed callback records only its end (done, or unreachable
after three attempts), not the answers: those arrive with the questionnaire.
"""

import datetime as dt
import time
import zlib

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F

from apps.core import daily_jobs
from apps.core.calendar import add_months
from apps.core.models import JobRun
from apps.core.seeding import DemoRun

from .models import Callback, CallItem
from .services import callbacks_generate

LIVE_DAYS = 7  # the last days made by the daily job, as the ledger shows them
OVERDUE_DAYS = 2  # callbacks due in the last days stay open: today's overdue ones
UNREACHABLE_EVERY = 20  # one callback in 20 ends unreachable (three failed attempts)
# 10:00 and 17:00 in Shanghai as hours after midnight UTC of the day (a date + an interval
# is a UTC time on the connection): when the demo's clerks close a callback.
DONE_AT = dt.timedelta(hours=2)
GAVE_UP_AT = dt.timedelta(hours=9)


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
        # The day's calls were made (what counts against the weekly contact limit) …
        if back:
            CallItem.objects.filter(day=on).update(status=CallItem.Status.DONE, done_at=run.now)
        # … and what they were about closed, except what is due today or a day or two ago.
        _close(before=min(on, run.today - dt.timedelta(days=OVERDUE_DAYS)), clerk=clerk)
    queue = CallItem.objects.filter(day=run.today).count()
    run.log(f"  回访:{Callback.objects.count()} 条({time.perf_counter() - started:.1f} 秒)")
    run.summary.append(f"{Callback.objects.count()} 条回访(今日回访队列 {queue} 位客户)")


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
        closed_at=ExpressionWrapper(F("due_on") + GAVE_UP_AT, output_field=DateTimeField()),
        last_attempt_at=ExpressionWrapper(F("due_on") + GAVE_UP_AT, output_field=DateTimeField()),
        closed_by=clerk,
    )
    past.update(  # the others (past reads the open ones again)
        status=Callback.Status.DONE,
        closed_at=ExpressionWrapper(F("opens_on") + DONE_AT, output_field=DateTimeField()),
        last_attempt_at=ExpressionWrapper(F("opens_on") + DONE_AT, output_field=DateTimeField()),
        closed_by=clerk,
    )
