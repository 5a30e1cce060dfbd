"""The callbacks' figures in `make bench` (apps.core.benchmark): one day's generation at
ten years of data, the beat task's run when nothing is due, the managers' jobs page, and
the call queue ("next call" claimed and given back; the clerk's page).

One day's generation is measured on today: in a transaction rolled back after each run,
the callbacks that open today are deleted and made again by `callbacks_generate`, so every
run does a whole day's work on the same data (the delete is counted too)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core import daily_jobs
from apps.core.benchmark import Operation
from apps.core.seeding import DemoRun

from . import demo
from .models import Callback, CallItem
from .services import call_next, call_queue_build, call_release, callbacks_generate


def data() -> dict[str, int]:
    return {"callbacks": Callback.objects.count()}


class _Rollback(Exception):
    pass


def one_days_generation() -> None:
    today = timezone.localdate()
    try:
        with transaction.atomic():
            Callback.objects.filter(opens_on=today, status=Callback.Status.OPEN).delete()
            callbacks_generate(first=today)
            raise _Rollback
    except _Rollback:
        pass


def operations(data: dict[str, int]) -> list[Operation]:
    if not Callback.objects.exists():  # data seeded before the callbacks existed
        demo.finish(DemoRun(seed=2026, years=10, now=timezone.now(), log=lambda _line: None))
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="manager"))
    jobs_page = reverse("core:job_run_list")

    def jobs_page_as_manager() -> None:
        status = manager.get(jobs_page).status_code
        if status != 200:
            raise RuntimeError(f"jobs page answered {status}")

    clerk_user = get_user_model().objects.get(username="callback")
    clerk = Client()
    clerk.force_login(clerk_user)
    queue_page = reverse("callbacks:queue")
    today = timezone.localdate()
    if not CallItem.objects.filter(day=today).exists():
        call_queue_build(on=today)
    # In the morning window whatever the hour the bench runs at.
    morning = timezone.make_aware(dt.datetime.combine(today, dt.time(10, 30)))

    def next_call_and_release() -> None:
        item = call_next(by=clerk_user, now=morning)
        if item is not None:  # (a small demo's queue may be empty today)
            call_release(item=item, by=clerk_user)

    def queue_page_as_clerk() -> None:
        status = clerk.get(queue_page).status_code
        if status != 200:
            raise RuntimeError(f"queue page answered {status}")

    # The beat task is measured when nothing is due: the days not done yet are done first.
    daily_jobs.jobs_catch_up(today=today)
    callbacks = data.get("callbacks", 0)
    return [
        Operation("call queue: next call + release", next_call_and_release, callbacks),
        Operation("call queue page (clerk)", queue_page_as_clerk, callbacks),
        Operation("callbacks: one day's generation", one_days_generation, callbacks),
        Operation(
            "daily jobs: nothing due (beat)",
            lambda: daily_jobs.jobs_catch_up(today=timezone.localdate()),
            callbacks,
        ),
        Operation("jobs page (manager)", jobs_page_as_manager, callbacks),
    ]
