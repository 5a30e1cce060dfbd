"""Writes of the callbacks area: the generator of every callback kind (DOMAIN.md §5), the
second callback after a resolved problem, the call queue, the call screen's record of a
call (`call_record`: the attempt, the answers, the problems) and the problems' handling.

The generator is set-based: per kind one query reads the events whose window (opens …
due) meets the days asked for and that have no callback of that kind yet, and one
INSERT … ON CONFLICT DO NOTHING writes them all (the partial unique constraints of
`Callback` make a second run, or two at once, add nothing). Windows are in calendar days
(DOMAIN §5: "calendar days after the event") and come from `CallbackSettings`.

Which day makes a callback: the generator for day D makes every callback whose window
contains D (opens_on ≤ D ≤ due_on) — on the day it opens, normally; a sales file entered a
few days late still gets its 7DC while the window lasts. Every event of such a window
happened before D (each window opens at least a day after its event), so the daily job
may run any time on D and give the same answer.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from apps.core.calendar import add_months, day_start
from apps.core.settings import current_settings
from apps.customers.models import Customer, SalesFile
from apps.workorders.models import WorkOrder

from .calling_hours import callable_now
from .models import (
    FAILED_OUTCOMES,
    CallAnswer,
    CallAttempt,
    Callback,
    CallbackSettings,
    CallItem,
    CallOutcome,
    Problem,
)
from .questionnaires import SCORE, WORDS, YES_NO, questionnaire_for, visit_conditions
from .satisfaction import satisfaction_add

Kind = Callback.Kind
INSERT_BATCH = 2000  # rows per INSERT statement
# Orders of the dealership's own cars (内部: demo and courtesy cars) have no customer to
# ask: the "customer" is the dealership itself.
NO_CALLBACK_KINDS = (WorkOrder.Kind.INTERNAL,)
# A sampled 3DC/7DC and a sampled new-car customer are decided by the callback's or sales
# file's id, hashed with these words: the same row always gets the same answer, so a rerun
# samples nothing new, and the sample does not depend on which other rows exist.
SAMPLE_SALT = {Kind.LEVEL2: "level2", Kind.LEVEL3: "level3"}


@dataclass(frozen=True)
class Window:
    opens_on: dt.date
    due_on: dt.date

    def meets(self, first: dt.date, last: dt.date) -> bool:
        return self.opens_on <= last and self.due_on >= first


def sampled(kind: str, key: int, percent: Decimal) -> bool:
    """Whether the row `key` falls in a `percent` % sample of `kind`: a stable pseudo-random
    draw (SHA-256 of kind and key, read as a fraction of 1)."""
    digest = hashlib.sha256(f"{SAMPLE_SALT[kind]}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100 < percent


def _months_meeting(first: dt.date, last: dt.date, due_days: int) -> list[dt.date]:
    """The first days of the months whose window (the 1st … the 1st + `due_days`) meets
    first … last."""
    month = (first - dt.timedelta(days=due_days)).replace(day=1)
    months = []
    while month <= last:
        if month + dt.timedelta(days=due_days) >= first:
            months.append(month)
        month = add_months(month, 1)
    return months


def _callbacks_of_work_orders(first, last, rules) -> list[Callback]:
    """3DC of every delivered work order (DOMAIN §5)."""

    def window(delivered_on: dt.date) -> Window:
        return Window(
            delivered_on + dt.timedelta(days=rules.callback_3dc_open_day),
            delivered_on + dt.timedelta(days=rules.callback_3dc_due_day),
        )

    since = first - dt.timedelta(days=rules.callback_3dc_due_day)
    until = last - dt.timedelta(days=rules.callback_3dc_open_day)
    orders = (
        WorkOrder.objects.filter(
            delivered_at__gte=day_start(since), delivered_at__lt=day_start(until + dt.timedelta(1))
        )
        .exclude(kind__in=NO_CALLBACK_KINDS)
        .exclude(Exists(Callback.objects.filter(kind=Kind.SERVICE_3DC, work_order=OuterRef("pk"))))
        .values_list("pk", "customer_id", "vehicle_id", "delivered_at")
    )
    made = []
    for pk, customer_id, vehicle_id, delivered_at in orders:
        event_on = timezone.localdate(delivered_at)
        span = window(event_on)
        if span.meets(first, last):
            made.append(
                Callback(
                    kind=Kind.SERVICE_3DC,
                    customer_id=customer_id,
                    vehicle_id=vehicle_id,
                    work_order_id=pk,
                    event_on=event_on,
                    opens_on=span.opens_on,
                    due_on=span.due_on,
                )
            )
    return made


def _7dc_window(rules, delivered_on, invoiced_on, via_outlet) -> tuple[dt.date, Window]:
    """7DC: day 7-10 after delivery; a secondary outlet's sale counts from its invoice,
    day 10-13 (DOMAIN §5). An outlet sale with no invoice date yet counts from delivery."""
    if via_outlet and invoiced_on is not None:
        return invoiced_on, Window(
            invoiced_on + dt.timedelta(days=rules.callback_7dc_outlet_open_day),
            invoiced_on + dt.timedelta(days=rules.callback_7dc_outlet_due_day),
        )
    return delivered_on, Window(
        delivered_on + dt.timedelta(days=rules.callback_7dc_open_day),
        delivered_on + dt.timedelta(days=rules.callback_7dc_due_day),
    )


def _sales_files(kind: str, **filters):
    """Sales files of new cars sold here with no `kind` callback yet: (id, vehicle, owner,
    delivered, invoiced, via an outlet, owner a club member)."""
    return (
        SalesFile.objects.filter(**filters)
        .exclude(Exists(Callback.objects.filter(kind=kind, sales_file=OuterRef("pk"))))
        .values_list(
            "pk",
            "vehicle_id",
            "vehicle__owner_id",
            "delivered_on",
            "invoiced_on",
            "via_secondary_outlet",
            "vehicle__owner__club_member_number",
        )
    )


def _callbacks_7dc(first, last, rules) -> list[Callback]:
    reach_delivery = rules.callback_7dc_due_day
    reach_invoice = rules.callback_7dc_outlet_due_day
    rows = _sales_files(Kind.SALES_7DC).filter(
        Q(
            delivered_on__gte=first - dt.timedelta(days=reach_delivery),
            delivered_on__lte=last,
        )
        | Q(
            via_secondary_outlet=True,
            invoiced_on__gte=first - dt.timedelta(days=reach_invoice),
            invoiced_on__lte=last,
        )
    )
    made = []
    for pk, vehicle_id, owner_id, delivered_on, invoiced_on, via_outlet, _club in rows:
        event_on, span = _7dc_window(rules, delivered_on, invoiced_on, via_outlet)
        if span.meets(first, last):
            made.append(_of_sales_file(Kind.SALES_7DC, pk, vehicle_id, owner_id, event_on, span))
    return made


def _of_sales_file(kind, pk, vehicle_id, owner_id, event_on, span) -> Callback:
    return Callback(
        kind=kind,
        customer_id=owner_id,
        vehicle_id=vehicle_id,
        sales_file_id=pk,
        event_on=event_on,
        opens_on=span.opens_on,
        due_on=span.due_on,
    )


def _callbacks_months_after_delivery(
    first, last, *, kind, months: int, due_days: int, sample_percent: Decimal | None = None
) -> list[Callback]:
    """Callbacks `months` calendar months after a new car's delivery, open `due_days`
    days: monthly, annual, and level 3's new-car sample (club members never sampled out)."""

    def window(delivered_on: dt.date) -> Window:
        opens_on = add_months(delivered_on, months)
        return Window(opens_on, opens_on + dt.timedelta(days=due_days))

    # add_months never moves a day by more than 3 days against plain month arithmetic.
    since = add_months(first - dt.timedelta(days=due_days), -months) - dt.timedelta(days=3)
    until = add_months(last, -months) + dt.timedelta(days=3)
    rows = _sales_files(kind, delivered_on__gte=since, delivered_on__lte=until)
    made = []
    for pk, vehicle_id, owner_id, delivered_on, _invoiced, _outlet, club in rows:
        span = window(delivered_on)
        if not span.meets(first, last):
            continue
        if sample_percent is not None and not (club or sampled(kind, pk, sample_percent)):
            continue
        made.append(_of_sales_file(kind, pk, vehicle_id, owner_id, delivered_on, span))
    return made


def _callbacks_level2(first, last, rules) -> list[Callback]:
    """Level 2 (二级回访): a sample of last month's completed 3DC and 7DC callbacks, worked
    in the first week of the month (the 1st to the settings' day); every club member's
    callback is taken (never sampled out)."""
    due_days = rules.callback_level2_due_day - 1
    made = []
    for month in _months_meeting(first, last, due_days):
        span = Window(month, month + dt.timedelta(days=due_days))
        parents = (
            Callback.objects.filter(
                kind__in=[Kind.SERVICE_3DC, Kind.SALES_7DC],
                status=Callback.Status.DONE,
                closed_at__gte=day_start(add_months(month, -1)),
                closed_at__lt=day_start(month),
            )
            .exclude(Exists(Callback.objects.filter(kind=Kind.LEVEL2, parent=OuterRef("pk"))))
            .values_list(
                "pk",
                "customer_id",
                "vehicle_id",
                "work_order_id",
                "sales_file_id",
                "closed_at",
                "customer__club_member_number",
            )
        )
        for pk, customer_id, vehicle_id, work_order_id, sales_file_id, closed_at, club in parents:
            if club or sampled(Kind.LEVEL2, pk, rules.callback_level2_sample_percent):
                made.append(
                    Callback(
                        kind=Kind.LEVEL2,
                        customer_id=customer_id,
                        vehicle_id=vehicle_id,
                        work_order_id=work_order_id,
                        sales_file_id=sales_file_id,
                        parent_id=pk,
                        event_on=timezone.localdate(closed_at),
                        opens_on=span.opens_on,
                        due_on=span.due_on,
                    )
                )
    return made


def _callbacks_level3_repairs(first, last, rules) -> list[Callback]:
    """Level 3 (三级回访, the manager's office), repair customers: every work order delivered
    last month with an amount of at least the settings' threshold, an accident repair, or
    a VIP customer; listed on the 1st, worked within the settings' days."""
    due_days = rules.callback_level3_due_days
    made = []
    for month in _months_meeting(first, last, due_days):
        span = Window(month, month + dt.timedelta(days=due_days))
        orders = (
            WorkOrder.objects.filter(
                delivered_at__gte=day_start(add_months(month, -1)),
                delivered_at__lt=day_start(month),
            )
            .filter(
                Q(total_amount__gte=rules.callback_level3_amount)
                | Q(kind=WorkOrder.Kind.ACCIDENT)
                | Q(customer__segment=Customer.Segment.VIP)
            )
            .exclude(kind__in=NO_CALLBACK_KINDS)
            .exclude(Exists(Callback.objects.filter(kind=Kind.LEVEL3, work_order=OuterRef("pk"))))
            .values_list("pk", "customer_id", "vehicle_id", "delivered_at")
        )
        made += [
            Callback(
                kind=Kind.LEVEL3,
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                work_order_id=pk,
                event_on=timezone.localdate(delivered_at),
                opens_on=span.opens_on,
                due_on=span.due_on,
            )
            for pk, customer_id, vehicle_id, delivered_at in orders
        ]
    return made


def callbacks_generate(*, first: dt.date, last: dt.date | None = None) -> dict[str, int]:
    """Make every callback whose window meets a day of first … last (one day by default)
    and that does not exist yet; the daily job calls it with its business date, the demo
    with a month at a time.

    1. The rules are read once (CallbackSettings).
    2. Each kind reads its events in one query, leaving out those that already have their
       callback (NOT EXISTS on the once-per-event index), and keeps those whose window
       meets the days.
    3. One bulk INSERT … ON CONFLICT DO NOTHING writes them: a generator running at the
       same moment elsewhere makes no duplicate (the unique constraints decide).
    Returns the number of callbacks made per kind.
    """
    last = last or first
    rules = current_settings(CallbackSettings)
    made: dict[str, list[Callback]] = {
        Kind.SERVICE_3DC: _callbacks_of_work_orders(first, last, rules),
        Kind.SALES_7DC: _callbacks_7dc(first, last, rules),
        Kind.MONTHLY: _callbacks_months_after_delivery(
            first,
            last,
            kind=Kind.MONTHLY,
            months=rules.callback_monthly_after_months,
            due_days=rules.callback_periodic_due_days,
        ),
        Kind.ANNUAL: _callbacks_months_after_delivery(
            first,
            last,
            kind=Kind.ANNUAL,
            months=rules.callback_annual_after_months,
            due_days=rules.callback_periodic_due_days,
        ),
        Kind.LEVEL2: _callbacks_level2(first, last, rules),
        Kind.LEVEL3: _callbacks_level3_repairs(first, last, rules)
        + _callbacks_months_after_delivery(
            first,
            last,
            kind=Kind.LEVEL3,
            months=rules.callback_level3_after_months,
            due_days=rules.callback_level3_due_days,
            sample_percent=rules.callback_level3_sample_percent,
        ),
    }
    _insert(callback for callbacks in made.values() for callback in callbacks)
    return {str(kind): len(callbacks) for kind, callbacks in made.items()}


def _insert(callbacks: Iterable[Callback]) -> None:
    """One INSERT … ON CONFLICT DO NOTHING per INSERT_BATCH rows, in one transaction."""
    rows = list(callbacks)
    if rows:
        Callback.objects.bulk_create(rows, batch_size=INSERT_BATCH, ignore_conflicts=True)


def callback_schedule_second(*, parent: Callback, resolved_on: dt.date) -> Callback:
    """The second callback (二次回访) after a problem raised by `parent` was resolved (a
    quick-handling form or a complaint): it opens the day after `resolved_on` and is due
    within the settings' days of it. Once per parent: asking again returns the one made
    first (the unique constraint decides between two at once)."""
    rules = current_settings(CallbackSettings)
    opens_on = resolved_on + dt.timedelta(days=1)
    due_on = max(opens_on, resolved_on + dt.timedelta(days=rules.callback_second_within_days))
    _insert(
        [
            Callback(
                kind=Kind.SECOND,
                customer_id=parent.customer_id,
                vehicle_id=parent.vehicle_id,
                work_order_id=parent.work_order_id,
                sales_file_id=parent.sales_file_id,
                parent=parent,
                event_on=resolved_on,
                opens_on=opens_on,
                due_on=due_on,
            )
        ]
    )
    return Callback.objects.get(kind=Kind.SECOND, parent=parent)


# --- the call queue ------------------------------------------------------------------------

# Level 3 is the manager's office's (总经办) own calling, not the clerks' queue.
CLAIM_TRIES = 5  # claims lost to another clerk before "next call" gives up (SQLite only)
NOT_IN_CLERKS_QUEUE = (Kind.LEVEL3,)


def complaint_parent() -> Exists:
    """True for a callback whose parent raised a complaint (the complaints app names it the
    complaint's `source_callback`, reverse name `complaints`; not imported: complaints sits
    above callbacks). Its second callback (二次回访) is complaint work, exempt from the
    contact limit (DOMAIN §5)."""
    return Exists(Callback.objects.filter(pk=OuterRef("parent_id"), complaints__isnull=False))


def call_queue_build(*, on: dt.date) -> dict[str, int]:
    """The day's call queue: one item per customer listing all of their open callbacks
    that have opened by `on` (overdue ones included), so a customer with several reasons is
    called once (DOMAIN §5: one call per customer per day).

    Left out: customers who asked not to be called (免打扰); customers called
    `contact_limit_per_week` times in the six days before (the rolling week's limit), except
    for complaint work (a complaint's second callback is queued anyway, alone: the
    customer's other reasons wait); on a weekday, customers who want calls only at
    weekends. Set-based: two reads, then one bulk INSERT … ON CONFLICT DO NOTHING of the
    items and one of their callbacks (a second run adds nothing: one item per customer and
    day is a unique constraint).
    """
    rules = current_settings(CallbackSettings)
    calls_this_week = dict(
        CallItem.objects.filter(
            day__gte=on - dt.timedelta(days=6), day__lt=on, status=CallItem.Status.DONE
        )
        .exclude(outcome__in=FAILED_OUTCOMES)  # a call nobody answered is no contact
        .values("customer_id")
        .annotate(calls=Count("id"))
        .values_list("customer_id", "calls")
    )
    weekend = on.weekday() >= 5
    reasons: dict[int, list[tuple[int, dt.date]]] = {}
    preferred: dict[int, str] = {}
    call_back_at: dict[int, dt.datetime] = {}
    skipped = {"do_not_call": 0, "contact_limit": 0, "weekend_only": 0, "call_back_later": 0}
    rows = (
        Callback.objects.filter(status=Callback.Status.OPEN, opens_on__lte=on)
        .exclude(kind__in=NOT_IN_CLERKS_QUEUE)
        .annotate(complaint_parent=complaint_parent())
        .values_list(
            "pk",
            "customer_id",
            "due_on",
            "customer__do_not_call",
            "customer__preferred_contact_time",
            "call_back_at",
            "kind",
            "complaint_parent",
        )
    )
    for pk, customer_id, due_on, do_not_call, preferred_time, back_at, kind, parent in rows:
        exempt = kind == Kind.SECOND and parent  # complaint work
        back_on = timezone.localdate(back_at) if back_at else None
        if back_on and back_on > on:
            skipped["call_back_later"] += 1  # the customer asked to be called another day
        elif do_not_call:
            skipped["do_not_call"] += 1
        elif not exempt and calls_this_week.get(customer_id, 0) >= rules.contact_limit_per_week:
            skipped["contact_limit"] += 1
        elif preferred_time == Customer.ContactTime.WEEKEND and not weekend:
            skipped["weekend_only"] += 1
        else:
            reasons.setdefault(customer_id, []).append((pk, due_on))
            preferred[customer_id] = preferred_time
            if back_on == on:  # called from the time the customer asked for
                call_back_at[customer_id] = max(back_at, call_back_at.get(customer_id, back_at))
    with transaction.atomic():
        CallItem.objects.bulk_create(
            [
                CallItem(
                    customer_id=customer_id,
                    day=on,
                    due_on=min(due for _pk, due in callbacks),
                    preferred_time=preferred[customer_id],
                    call_back_at=call_back_at.get(customer_id),
                )
                for customer_id, callbacks in reasons.items()
            ],
            batch_size=INSERT_BATCH,
            ignore_conflicts=True,
        )
        items = dict(
            CallItem.objects.filter(day=on, customer_id__in=reasons).values_list(
                "customer_id", "pk"
            )
        )
        reason = CallItem.callbacks.through
        reason.objects.bulk_create(
            [
                reason(callitem_id=items[customer_id], callback_id=pk)
                for customer_id, callbacks in reasons.items()
                for pk, _due in callbacks
            ],
            batch_size=INSERT_BATCH,
            ignore_conflicts=True,
        )
    return {
        "items": len(reasons),
        "callbacks": sum(len(callbacks) for callbacks in reasons.values()),
        **skipped,
    }


def _claimable(*, now: dt.datetime, rules):
    """Today's items no one holds: waiting, or claimed longer ago than the expiry (and not
    before the time the customer asked to be called back)."""
    expired = now - dt.timedelta(minutes=rules.callback_claim_minutes)
    return CallItem.objects.filter(
        Q(status=CallItem.Status.WAITING)
        | Q(status=CallItem.Status.CLAIMED, claimed_at__lt=expired),
        Q(call_back_at__isnull=True) | Q(call_back_at__lte=now),
        day=timezone.localdate(now),
    )


def call_next(*, by, now: dt.datetime | None = None) -> CallItem | None:
    """The clerk's next call: the most urgent item of today no one else holds that may be
    called now (overdue first, then by due date), claimed for `by`.

    1. A clerk still holding an unexpired claim gets that item again (one call at a time).
    2. In one transaction, the first claimable item whose customer may be called now
       (calling_hours) is locked with SELECT … FOR UPDATE SKIP LOCKED: a row another clerk
       is claiming at this moment is skipped, so ten clerks pressing at once get ten
       different items (on SQLite, one writer at a time gives the same).
    3. It is marked claimed by `by` at `now` with an UPDATE that repeats the claimable
       condition (where rows cannot be locked, a lost race claims nothing and the next
       item is tried).
    None: nothing may be called now (see selectors.call_queue_state for when it resumes).
    """
    now = now or timezone.now()
    rules = current_settings(CallbackSettings)
    held = (
        CallItem.objects.filter(
            day=timezone.localdate(now),
            status=CallItem.Status.CLAIMED,
            claimed_by=by,
            claimed_at__gte=now - dt.timedelta(minutes=rules.callback_claim_minutes),
        )
        .order_by("due_on", "id")
        .first()
    )
    if held is not None:
        return held
    claimable = _claimable(now=now, rules=rules).filter(preferred_time__in=callable_now(now, rules))
    for _attempt in range(CLAIM_TRIES):
        with transaction.atomic():
            item = claimable.order_by("due_on", "id").select_for_update(skip_locked=True).first()
            if item is None:
                return None
            # Conditional: where rows cannot be locked (SQLite), a clerk who read the same
            # item a moment earlier may have claimed it; then the next one is tried.
            claimed = claimable.filter(pk=item.pk).update(
                status=CallItem.Status.CLAIMED, claimed_by=by, claimed_at=now, updated_at=now
            )
        if claimed:
            item.refresh_from_db()
            return item
    return None


def call_release(*, item: CallItem, by) -> None:
    """Give a claimed item back to the queue (the clerk cannot take the call now)."""
    released = CallItem.objects.filter(
        pk=item.pk, status=CallItem.Status.CLAIMED, claimed_by=by
    ).update(status=CallItem.Status.WAITING, claimed_by=None, claimed_at=None)
    if not released:
        raise ValidationError("这条回访不在您名下(可能已超时释放或被他人领取)。")


# --- the call screen -----------------------------------------------------------------------

PROBLEM_SCORE = 3  # a scored answer at or below this makes a problem (DOMAIN §5)
SERIOUS_SCORE = 1  # ... a serious one at or below this


@dataclass(frozen=True)
class StatedComplaint:
    """A complaint the customer stated on the call, about one callback's visit or sale."""

    text: str
    department: str
    serious: bool = False


def _not_yours() -> ValidationError:
    return ValidationError("这条回访不在您名下(可能已超时释放或被他人领取)。")


def call_record(
    *,
    item: CallItem,
    by,
    outcome: str,
    answers: dict[int, dict[str, object]] | None = None,
    complaints: dict[int, StatedComplaint] | None = None,
    note: str = "",
    call_back_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CallAttempt:
    """Record one call of the item `by` holds, and finish or requeue the item.

    `answers` (reached only): per callback pk, its questionnaire's answers by question
    code (a score 1-5, True/False, or the customer's words); `complaints`: per callback pk,
    a complaint the customer stated. Outcomes (DOMAIN §5):
    - reached: every open callback of the item is done with its answers; any score ≤ 3 or
      a stated complaint opens a Problem and marks the callback a problem;
    - no answer / busy / wrong number: each callback counts a failed attempt (once per
      day); at the settings' attempts, on different days, it closes as unreachable;
      otherwise tomorrow's queue offers it again;
    - refused: done without answers; do not disturb: the customer is never called again
      and the callbacks are cancelled;
    - call back at: today, the item returns to the queue from that time; another day, the
      callbacks wait for that day's queue.
    The item and its callbacks are locked (SELECT … FOR UPDATE) for the whole write: of
    two clerks finishing one item, the second finds it no longer theirs.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    answers, complaints = answers or {}, complaints or {}
    if outcome not in CallOutcome.values:
        raise ValidationError("请选择拨打结果。")
    if outcome == CallOutcome.CALL_BACK and (call_back_at is None or call_back_at <= now):
        raise ValidationError("请填写晚于现在的约定回拨时间。")
    rules = current_settings(CallbackSettings)
    with transaction.atomic():
        locked = CallItem.objects.select_for_update().filter(pk=item.pk).first()
        held = locked is not None and locked.status == CallItem.Status.CLAIMED
        if not held or locked.claimed_by_id != by.pk:
            raise _not_yours()
        callbacks = list(
            Callback.objects.select_for_update(of=("self",))
            .select_related("work_order")
            .filter(call_items=locked, status=Callback.Status.OPEN)
            .order_by("pk")
        )
        attempt = CallAttempt.objects.create(
            item=locked,
            customer_id=locked.customer_id,
            by=by,
            at=now,
            outcome=outcome,
            call_back_at=call_back_at if outcome == CallOutcome.CALL_BACK else None,
            note=note,
        )
        attempt.callbacks.set(callbacks)
        for callback in callbacks:
            _apply_outcome(callback, attempt, rules, answers, complaints)
        if outcome == CallOutcome.DO_NOT_DISTURB:
            Customer.objects.filter(pk=locked.customer_id).update(do_not_call=True, updated_at=now)
        if outcome == CallOutcome.CALL_BACK and timezone.localdate(call_back_at) == today:
            locked.status, locked.call_back_at = CallItem.Status.WAITING, call_back_at
            locked.claimed_by, locked.claimed_at = None, None
        else:
            locked.status, locked.done_at, locked.outcome = CallItem.Status.DONE, now, outcome
        locked.save(
            update_fields=[
                "status",
                "claimed_by",
                "claimed_at",
                "call_back_at",
                "done_at",
                "outcome",
                "updated_at",
            ]
        )
    return attempt


def _apply_outcome(callback, attempt, rules, answers, complaints) -> None:
    now, outcome = attempt.at, attempt.outcome
    closed = {"closed_at": now, "closed_by": attempt.by, "outcome": outcome}
    if outcome == CallOutcome.REACHED:
        _record_answers(
            callback, answers.get(callback.pk, {}), complaints.get(callback.pk), now=now
        )
        _set(callback, status=Callback.Status.DONE, note=attempt.note, **closed)
    elif outcome in FAILED_OUTCOMES:
        first_today = callback.last_attempt_at is None or timezone.localdate(
            callback.last_attempt_at
        ) != timezone.localdate(now)
        attempts = callback.attempts + (1 if first_today else 0)
        changes = {"attempts": attempts, "last_attempt_at": now}
        if attempts >= rules.callback_max_attempts:
            changes |= {"status": Callback.Status.UNREACHABLE, **closed}
            changes["outcome"] = CallOutcome.NO_ANSWER if outcome == CallOutcome.BUSY else outcome
        _set(callback, **changes)
    elif outcome == CallOutcome.REFUSED:
        _set(callback, status=Callback.Status.DONE, note=attempt.note, **closed)
    elif outcome == CallOutcome.DO_NOT_DISTURB:
        _set(callback, status=Callback.Status.CANCELLED, note=attempt.note, **closed)
    elif outcome == CallOutcome.CALL_BACK:
        _set(callback, call_back_at=attempt.call_back_at)  # the customer answered: no failure


def _set(callback: Callback, **changes) -> None:
    for name, value in changes.items():
        setattr(callback, name, value)
    callback.save(update_fields=[*changes, "updated_at"])


def _record_answers(
    callback: Callback, given: dict, stated: StatedComplaint | None, *, now: dt.datetime
) -> None:
    """Check the answers against the callback's questionnaire, store them with its version
    (and count them into the day's satisfaction sums), and open a problem for each score
    ≤ 3 and for a stated complaint."""
    questionnaire = questionnaire_for(callback)
    rows, problems = [], []
    for question in questionnaire.questions_for(visit_conditions(callback)):
        value = given.get(question.code)
        if value in (None, ""):
            if question.kind == SCORE:
                raise ValidationError(f"请为“{question.text}”打分(1-5 分)。")
            continue
        row = CallAnswer(
            callback=callback,
            version=questionnaire.version,
            code=question.code,
            department=question.department,
        )
        if question.kind == SCORE:
            if value not in (1, 2, 3, 4, 5):
                raise ValidationError(f"“{question.text}”的评分必须是 1-5 分。")
            row.score = value
            if value <= PROBLEM_SCORE:
                problems.append(
                    Problem(
                        question=question.code,
                        score=value,
                        what=f"{question.text} {value} 分",
                        department=question.department,
                        severity=Problem.Severity.SERIOUS
                        if value <= SERIOUS_SCORE
                        else Problem.Severity.NORMAL,
                    )
                )
        elif question.kind == YES_NO:
            row.yes = bool(value)
        elif question.kind == WORDS:
            row.text = str(value).strip()
        rows.append(row)
    words = next((row.text for row in rows if row.text), "")
    if stated is not None and stated.text.strip():
        problems.append(
            Problem(
                what=stated.text.strip(),
                department=stated.department,
                severity=Problem.Severity.SERIOUS if stated.serious else Problem.Severity.NORMAL,
            )
        )
    CallAnswer.objects.bulk_create(rows)
    satisfaction_add(callback=callback, answers=rows, day=timezone.localdate(now))
    for problem in problems:
        problem.callback, problem.customer_id = callback, callback.customer_id
        if words and problem.question:
            problem.what = f"{problem.what};客户原话:{words}"
    Problem.objects.bulk_create(problems)
    callback.is_problem = bool(problems)
    callback.save(update_fields=["is_problem", "updated_at"])


# --- problems (问题处理) ---------------------------------------------------------------------


def problem_handle(
    *,
    problem: Problem,
    by,
    department: str,
    responsible: str,
    due_on: dt.date | None,
    action: str,
    result: str,
    now: dt.datetime | None = None,
) -> Problem:
    """The quick-handling form (快速处理表): who answers for the problem, what was done and
    its result; the problem closes. When the callback has no open problem left, its second
    callback (二次回访) is scheduled."""
    now = now or timezone.now()
    if not action.strip() or not result.strip():
        raise ValidationError("请填写处理措施和处理结果。")
    with transaction.atomic():
        locked = Problem.objects.select_for_update().select_related("callback").get(pk=problem.pk)
        if locked.status != Problem.Status.OPEN:
            raise ValidationError("该问题已处理或已转投诉。")
        locked.department, locked.responsible, locked.due_on = department, responsible, due_on
        locked.action, locked.result = action.strip(), result.strip()
        locked.status, locked.handled_by, locked.handled_at = Problem.Status.CLOSED, by, now
        locked.save()
        still_open = Problem.objects.filter(
            callback_id=locked.callback_id, status=Problem.Status.OPEN
        ).exists()
        if not still_open:
            callback_schedule_second(parent=locked.callback, resolved_on=timezone.localdate(now))
    return locked


def problem_mark_escalated(*, problem: Problem, complaint_id: int, by, now=None) -> Problem:
    """The complaints app made complaint `complaint_id` of this problem: the problem leaves
    the quick-handling list (the complaint's closed loop takes over, its resolution
    schedules the second callback). Idempotent for the same complaint."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        if locked.status == Problem.Status.ESCALATED and locked.complaint_id == complaint_id:
            return locked
        if locked.status != Problem.Status.OPEN:
            raise ValidationError("该问题已处理或已转投诉,不能再转投诉。")
        locked.status, locked.complaint_id = Problem.Status.ESCALATED, complaint_id
        locked.handled_by, locked.handled_at = by, now
        locked.save()
    return locked
