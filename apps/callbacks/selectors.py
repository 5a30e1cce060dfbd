"""Reads of the callbacks area: the call queue's state and one queue item with what the
clerk needs to see (its callbacks, the customer's cars, the repairs they declined)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from apps.core.settings import current_settings
from apps.workorders.models import Recommendation

from .calling_hours import callable_now, calling_resumes_at
from .models import Callback, CallbackSettings, CallItem


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
    rules = current_settings(CallbackSettings)
    pk = (
        CallItem.objects.filter(
            day=timezone.localdate(now),
            status=CallItem.Status.CLAIMED,
            claimed_by=user,
            claimed_at__gte=now - dt.timedelta(minutes=rules.callback_claim_minutes),
        )
        .values_list("pk", flat=True)
        .first()
    )
    return None if pk is None else call_item_for(pk=pk)
