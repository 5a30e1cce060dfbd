"""The callbacks' figures in `make bench` (apps.core.benchmark): one day's generation at
ten years of data, the beat task's run when nothing is due, the managers' jobs page, the
call queue ("next call" claimed and given back, by one clerk and by ten at once; the
clerk's page), the call screen of a customer with a long history, and the manager's
satisfaction page of a month and of a whole year.

Ten clerks at once: each run is one round of CLERKS threads (each thread its own database
connection, as ten gunicorn workers) pressing "next call" together (a barrier), then giving
the item back. The figure is the round's time; `notes()` adds the p95 of one clerk's
"next call" over all rounds and the number of duplicates (two clerks given the same item
in one round), which must be 0 (a duplicate fails the bench).

One day's generation is measured on today: in a transaction rolled back after each run,
the callbacks that open today are deleted and made again by `callbacks_generate`, so every
run does a whole day's work on the same data (the delete is counted too)."""

import datetime as dt
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core import daily_jobs
from apps.core.benchmark import Operation
from apps.core.seeding import DemoRun

from . import demo
from .models import CallAttempt, Callback, CallItem
from .services import call_next, call_queue_build, call_release, callbacks_generate

CLERKS = 10  # clerks pressing "next call" at once
CLERK_ROLE = "callback"
SCREEN_CLERK = "bench_screen"  # holds the item whose call screen is measured


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

    satisfaction_url = reverse("callbacks:satisfaction")

    def satisfaction_page(query: str):
        """The manager's 满意度统计 of a period: each department's rate and the trend of
        the 12 months before its end."""

        def get() -> None:
            status = manager.get(satisfaction_url + query).status_code
            if status != 200:
                raise RuntimeError(f"satisfaction page answered {status}")

        return get

    def queue_page_as_clerk() -> None:
        status = clerk.get(queue_page).status_code
        if status != 200:
            raise RuntimeError(f"queue page answered {status}")

    ten_clerks = TenClerks(_clerks(), morning)
    screen = _call_screen(today)

    # The beat task is measured when nothing is due: the days not done yet are done first.
    daily_jobs.jobs_catch_up(today=today)
    callbacks = data.get("callbacks", 0)
    return [
        Operation("call queue: next call + release", next_call_and_release, callbacks),
        Operation(f"call queue: {CLERKS} clerks at once", ten_clerks.round, callbacks),
        Operation("call queue page (clerk)", queue_page_as_clerk, callbacks),
        Operation("call screen (long history)", screen, callbacks),
        Operation("callbacks: one day's generation", one_days_generation, callbacks),
        Operation(
            "daily jobs: nothing due (beat)",
            lambda: daily_jobs.jobs_catch_up(today=timezone.localdate()),
            callbacks,
        ),
        Operation("jobs page (manager)", jobs_page_as_manager, callbacks),
        Operation("satisfaction (month)", satisfaction_page(""), callbacks),
        Operation(
            "satisfaction (year)",
            satisfaction_page(f"?period=pick_year&year={today.year - 1}"),
            callbacks,
        ),
    ]


def notes() -> list[str]:
    """The ten clerks' figures, after the table (one line)."""
    if _ROUNDS is None or not _ROUNDS.waits:
        return []
    waits = sorted(_ROUNDS.waits)
    p95 = waits[min(len(waits) - 1, round(0.95 * len(waits)) - 1)]
    return [
        f"call queue, {CLERKS} clerks at once: {len(waits)} next calls"
        f" ({_ROUNDS.given} given), p95 {p95 * 1000:.2f} ms, {_ROUNDS.duplicates} duplicates"
    ]


def _clerks() -> list:
    """CLERKS bench logins in the callback clerks' role (made once)."""
    group = Group.objects.get(name=CLERK_ROLE)
    users = []
    for n in range(1, CLERKS + 1):
        user, _created = get_user_model().objects.get_or_create(
            username=f"bench_clerk{n}", defaults={"display_name": f"压测客服{n}"}
        )
        user.groups.add(group)
        users.append(user)
    return users


_ROUNDS = None  # the TenClerks measured last (notes())


class TenClerks:
    """Rounds of CLERKS clerks pressing "next call" at once, then releasing."""

    def __init__(self, clerks: list, now: dt.datetime):
        global _ROUNDS
        self.clerks, self.now = clerks, now
        self.waits: list[float] = []
        self.given = self.duplicates = 0
        _ROUNDS = self

    def round(self) -> None:
        barrier = threading.Barrier(len(self.clerks))
        taken: list[int | None] = [None] * len(self.clerks)
        waits = [0.0] * len(self.clerks)
        errors: list[BaseException] = []

        def clerk(n: int) -> None:
            user = self.clerks[n]
            try:
                connection.ensure_connection()  # not timed: a worker's connection is open
                barrier.wait(timeout=60)
                start = time.perf_counter()
                item = call_next(by=user, now=self.now)
                waits[n] = time.perf_counter() - start
                taken[n] = item.pk if item else None
                barrier.wait(timeout=60)  # every clerk holds their item before any lets go
                if item is not None:
                    call_release(item=item, by=user)
            except BaseException as error:  # reported on the main thread
                errors.append(error)
                barrier.abort()
            finally:
                connection.close()

        threads = [threading.Thread(target=clerk, args=(n,)) for n in range(len(self.clerks))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        if errors:
            raise RuntimeError(f"a clerk failed: {errors[0]!r}")
        given = [pk for pk in taken if pk is not None]
        duplicates = len(given) - len(set(given))
        self.waits += waits
        self.given += len(given)
        self.duplicates += duplicates
        if duplicates:
            raise RuntimeError(f"{duplicates} items given to two clerks at once")


def _call_screen(today: dt.date):
    """The call screen (GET) of today's item whose customer has the most earlier calls,
    held by the SCREEN_CLERK login for the whole bench (the claim dated ahead once), then
    asks for the page."""
    user, _created = get_user_model().objects.get_or_create(
        username=SCREEN_CLERK, defaults={"display_name": "压测客服"}
    )
    user.groups.add(Group.objects.get(name=CLERK_ROLE))
    todays = CallItem.objects.filter(day=today).values("customer_id")
    busiest = (
        CallAttempt.objects.filter(customer_id__in=todays)
        .values("customer_id")
        .annotate(calls=Count("id"))
        .order_by("-calls", "customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    items = CallItem.objects.filter(day=today).order_by("id")
    item = (items.filter(customer_id=busiest) if busiest else items).first()
    if item is None:  # (a small demo's queue may be empty today)
        return lambda: None
    client = Client()
    client.force_login(user)
    url = reverse("callbacks:call_screen", args=[item.pk])

    # Held for the whole bench: the claim is dated an hour ahead once, so the timed request
    # is the page alone (renewing it each run timed an UPDATE and its commit's WAL flush).
    CallItem.objects.filter(pk=item.pk).update(
        status=CallItem.Status.CLAIMED,
        claimed_by=user,
        claimed_at=timezone.now() + dt.timedelta(hours=1),
    )

    def call_screen() -> None:
        status = client.get(url).status_code
        if status != 200:
            raise RuntimeError(f"call screen answered {status}")

    return call_screen
