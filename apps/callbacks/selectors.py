"""Reads of the callbacks area: the call queue's state, one queue item with what the clerk
needs to see (its callbacks, the customer's cars, the repairs they declined), the call
screen (the visits and sales asked about, the customer's earlier callbacks, calls and
problems), the problems' list, the 工作台's figures (the clerk's day, open problems) and
what a second callback found (the complaints' close)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.pagination import KeysetPage, keyset_page
from apps.core.settings import current_settings
from apps.workorders.models import Recommendation, WorkOrderLine
from apps.workshop.models import Job

from .calling_hours import callable_now, calling_resumes_at
from .models import (
    CallAttempt,
    Callback,
    CallbackSettings,
    CallItem,
    CallOutcome,
    Problem,
)
from .questionnaires import VERSIONS
from .satisfaction import SATISFIED_SCORE, percent

HISTORY_ROWS = 10  # earlier callbacks, calls and problems shown on the call screen


@dataclass(frozen=True)
class QueueState:
    waiting: int  # today's items no one has called yet
    claimed: int
    done: int
    callable_now: int  # waiting items whose customer may be called now
    resumes_at: dt.datetime | None  # when calling resumes, if nothing may be called now


def call_queue_state(*, now: dt.datetime) -> QueueState:
    """Today's queue in figures (one query), and when calling resumes if no waiting item
    may be called now (rest hours, or customers who want another time)."""
    rules = current_settings(CallbackSettings)
    open_now = callable_now(now, rules)
    counts = CallItem.objects.filter(day=timezone.localdate(now)).aggregate(
        waiting=Count("id", filter=Q(status=CallItem.Status.WAITING)),
        claimed=Count("id", filter=Q(status=CallItem.Status.CLAIMED)),
        done=Count("id", filter=Q(status=CallItem.Status.DONE)),
        callable_now=Count(
            "id", filter=Q(status=CallItem.Status.WAITING, preferred_time__in=open_now)
        ),
    )
    resumes_at = None
    if counts["waiting"] and not counts["callable_now"]:
        waiting_times = (
            CallItem.objects.filter(day=timezone.localdate(now), status=CallItem.Status.WAITING)
            .values_list("preferred_time", flat=True)
            .distinct()
        )
        resumes_at = calling_resumes_at(now, rules, waiting_times)
    return QueueState(resumes_at=resumes_at, **counts)


def call_item_for(*, pk: int) -> CallItem:
    """One queue item with its customer, its open callbacks (oldest due first) with what
    each is about, and the open recommendations of the cars concerned."""
    item = (
        CallItem.objects.select_related("customer", "claimed_by")
        .prefetch_related(
            Prefetch(
                "callbacks",
                queryset=Callback.objects.select_related(
                    "vehicle", "work_order", "sales_file", "parent"
                ).order_by("due_on", "id"),
            )
        )
        .get(pk=pk)
    )
    vehicles = {callback.vehicle_id for callback in item.callbacks.all()}
    item.declined = list(
        Recommendation.objects.filter(vehicle_id__in=vehicles, status=Recommendation.Status.OPEN)
        .select_related("vehicle")
        .order_by("-created_at", "-id")
    )
    return item


def call_held_by(*, user, now: dt.datetime) -> CallItem | None:
    """The item `user` holds now (claimed today, not expired), with its details."""
    pk = call_held_by_pk(user=user, now=now)
    return None if pk is None else call_item_for(pk=pk)


def call_held_by_pk(*, user, now: dt.datetime) -> int | None:
    """The pk of the item `user` holds now (claimed today, not expired)."""
    rules = current_settings(CallbackSettings)
    return (
        CallItem.objects.filter(
            day=timezone.localdate(now),
            status=CallItem.Status.CLAIMED,
            claimed_by=user,
            claimed_at__gte=now - dt.timedelta(minutes=rules.callback_claim_minutes),
        )
        .values_list("pk", flat=True)
        .first()
    )


def call_screen(*, pk: int) -> CallItem:
    """The call screen's item: `call_item_for`, and for each callback the work order asked
    about with its lines, advisor and technicians (or the sales file); the customer's
    earlier callbacks, calls and problems (the latest HISTORY_ROWS each). A fixed number of
    queries, however many callbacks, lines or earlier calls."""
    item = (
        CallItem.objects.select_related("customer", "claimed_by")
        .prefetch_related(
            Prefetch(
                "callbacks",
                queryset=Callback.objects.select_related(
                    "vehicle", "work_order__advisor", "sales_file", "parent"
                )
                .prefetch_related(
                    Prefetch(
                        "work_order__lines",
                        queryset=WorkOrderLine.objects.order_by("id"),
                    ),
                    Prefetch(
                        "work_order__jobs",
                        queryset=Job.objects.select_related("technician__user").order_by("id"),
                    ),
                )
                .order_by("due_on", "id"),
            )
        )
        .get(pk=pk)
    )
    callbacks = list(item.callbacks.all())
    for callback in callbacks:
        order = callback.work_order
        callback.technicians = (
            sorted({str(job.technician) for job in order.jobs.all()}) if order else []
        )
    item.open_callbacks = [c for c in callbacks if c.status == Callback.Status.OPEN]
    vehicles = {callback.vehicle_id for callback in callbacks}
    item.declined = list(
        Recommendation.objects.filter(vehicle_id__in=vehicles, status=Recommendation.Status.OPEN)
        .select_related("vehicle")
        .order_by("-created_at", "-id")
    )
    item.earlier_callbacks = list(
        Callback.objects.filter(customer_id=item.customer_id)
        .exclude(status=Callback.Status.OPEN)
        .select_related("vehicle", "closed_by")
        .order_by("-closed_at", "-id")[:HISTORY_ROWS]
    )
    item.earlier_calls = list(
        CallAttempt.objects.filter(customer_id=item.customer_id)
        .select_related("by")
        .order_by("-at", "-id")[:HISTORY_ROWS]
    )
    item.problems = list(
        Problem.objects.filter(customer_id=item.customer_id).order_by("-created_at", "-id")[
            :HISTORY_ROWS
        ]
    )
    return item


def problems(*, base: QuerySet[Problem], after: str | None, before: str | None) -> KeysetPage:
    """One page of problems (the filtered `base`), newest first, with the customer, the
    callback and who handled it; each row knows its escalation link (`escalate_url`)."""
    page = keyset_page(
        base.select_related("customer", "callback", "handled_by"),
        order=("-id",),
        after=after,
        before=before,
    )
    for problem in page.rows:
        problem.escalate_url = escalate_url(problem)
    return page


def escalate_url(problem: Problem) -> str | None:
    """Where an open problem becomes a complaint (转投诉: the complaints app's page, named,
    not imported: complaints sits above callbacks); None once it is handled."""
    if problem.status != Problem.Status.OPEN:
        return None
    return reverse("complaints:create_from_problem", args=[problem.pk])


def problem_for(*, pk: int) -> Problem:
    return Problem.objects.select_related("customer", "callback__vehicle", "handled_by").get(pk=pk)


def answers_shown(callback: Callback) -> list[tuple[str, str]]:
    """A reached callback's answers for a page, in the order asked: (the question as worded
    in the questionnaire version the customer was asked, the answer: "N 分", 是/否 or the
    customer's words). Reads `callback.answers.all()` (prefetch it for a list)."""
    shown = []
    for answer in callback.answers.all():
        asked = VERSIONS[answer.version].questions if answer.version in VERSIONS else ()
        text = next((q.text for q in asked if q.code == answer.code), answer.code)
        if answer.score is not None:
            value = f"{answer.score} 分"
        elif answer.yes is not None:
            value = "是" if answer.yes else "否"
        else:
            value = answer.text
        shown.append((text, value))
    return shown


# --- the 工作台 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClerkDay:
    queue: int  # today's items not called yet (waiting or being called)
    done: int  # today's items called
    attempts: int  # calls placed today
    reached: int  # of them, the customer answered
    reached_rate: Decimal | None  # reached / attempts, percentage with one decimal


def clerk_day(*, now: dt.datetime) -> ClerkDay:
    """The callback clerk's day in figures: today's queue left and done (one query on the
    items), today's calls and how many reached the customer (one on the attempts)."""
    today = timezone.localdate(now)
    items = CallItem.objects.filter(day=today).aggregate(
        queue=Count("id", filter=Q(status__in=(CallItem.Status.WAITING, CallItem.Status.CLAIMED))),
        done=Count("id", filter=Q(status=CallItem.Status.DONE)),
    )
    calls = CallAttempt.objects.filter(
        at__gte=day_start(today), at__lt=day_start(today + dt.timedelta(days=1))
    ).aggregate(attempts=Count("id"), reached=Count("id", filter=Q(outcome=CallOutcome.REACHED)))
    return ClerkDay(**items, **calls, reached_rate=percent(calls["reached"], calls["attempts"]))


def problems_open_count() -> int:
    """Problems waiting for their quick handling (one query, problem_open_idx)."""
    return Problem.objects.filter(status=Problem.Status.OPEN).count()


# --- what a second callback found (the complaints' "customer satisfied" close) -------------


class SecondCallResult(models.TextChoices):
    PENDING = "pending", "尚未完成"
    NOT_REACHED = "not_reached", "未接通或客户拒绝回访"
    UNHAPPY = "unhappy", "客户不满意"
    SATISFIED = "satisfied", "客户满意"


def second_callback_result(callback: Callback) -> SecondCallResult:
    """What the second callback (二次回访) recorded: still open; closed without the
    customer's answers (unreachable, refused, cancelled); or reached, and then satisfied
    only when it raised no problem, no yes/no answer (问题是否已经解决) is "no" and every
    score is 4 or 5. Reads the callback's answers when reached (no query when they are
    prefetched, as on the complaint's page)."""
    if callback.status == Callback.Status.OPEN:
        return SecondCallResult.PENDING
    if callback.status != Callback.Status.DONE or callback.outcome != CallOutcome.REACHED:
        return SecondCallResult.NOT_REACHED
    unhappy = callback.is_problem or any(
        answer.yes is False or (answer.score is not None and answer.score < SATISFIED_SCORE)
        for answer in callback.answers.all()
    )
    return SecondCallResult.UNHAPPY if unhappy else SecondCallResult.SATISFIED
