"""Writes of appointments. Each service owns its transaction; keyword-only arguments; `by`
is the acting user; a refusal is a ValidationError with a Chinese sentence.

Booking locks the slot's row (`AppointmentSlot`) while it counts the places held, so two
advisors taking the last place at once cannot both get it; every move of an appointment
is claimed with a conditional UPDATE and recorded as an AppointmentStatusChange; an
arrival opens the work order through the work-order services and fills its estimate with
the booked canned jobs and recommendations.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from apps.core.settings import current_settings
from apps.customers.models import Customer, Vehicle
from apps.parts.models import Part
from apps.workorders import services as workorder_services
from apps.workorders.models import (
    CannedJob,
    CannedJobLine,
    MaintenanceInterval,
    Recommendation,
    ServiceSettings,
    WorkOrder,
    WorkOrderLine,
)

from .models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Appointment,
    AppointmentPart,
    AppointmentSlot,
    AppointmentStatusChange,
    Reason,
    Source,
    Target,
    UnreachablePhone,
)
from .selectors import Rules, add_months, day_slots, nearest_free_slots, slot_moment
from .transitions import TRANSITIONS, Transition

S = Appointment.Status


class SlotFull(ValidationError):
    """A slot (or the advisor's share of it) is full; `nearest` are the free slots to
    offer instead (selectors.Slot)."""

    def __init__(self, message: str, *, nearest: list):
        super().__init__({"starts_at": message})
        self.nearest = nearest


@dataclass(frozen=True)
class NeededPart:
    part: Part
    quantity: Decimal


def _label(day: dt.date, starts_at: dt.time) -> str:
    return f"{day.month}月{day.day}日 {starts_at:%H:%M}"


def _check_slot(day: dt.date, starts_at: dt.time, rules: Rules, now: dt.datetime) -> None:
    if starts_at not in day_slots(rules):
        raise ValidationError({"starts_at": "请选择营业时间内的预约时段。"})
    if slot_moment(day, starts_at) <= now:
        raise ValidationError({"starts_at": f"{_label(day, starts_at)} 已过,请选择之后的时段。"})


def _lock_slot(day: dt.date, starts_at: dt.time) -> None:
    """1. Make sure the slot's row exists (INSERT … ON CONFLICT DO NOTHING: two first
    bookings of a slot cannot both create it).
    2. Lock it until the caller's transaction ends: a second booking of the slot waits
    here, then counts the places with the first one's appointment committed."""
    AppointmentSlot.objects.bulk_create(
        [AppointmentSlot(date=day, starts_at=starts_at)], ignore_conflicts=True
    )
    AppointmentSlot.objects.select_for_update().get(date=day, starts_at=starts_at)


def _take_place(
    *, day: dt.date, starts_at: dt.time, advisor, rules: Rules, now, exclude_id=None
) -> None:
    """Under the slot's lock: refuse when the slot, or the advisor's share of it, is full
    (SlotFull, with the nearest free slots for that advisor)."""
    _lock_slot(day, starts_at)
    held = dict(
        Appointment.objects.filter(
            date=day, starts_at=slot_moment(day, starts_at), status__in=ACTIVE_STATUSES
        )
        .exclude(pk=exclude_id)
        .values_list("advisor_id")
        .annotate(cars=Count("id"))
        .order_by()
    )
    total, mine = sum(held.values()), held.get(advisor.pk, 0)
    if total < rules.capacity and mine < rules.advisor_capacity:
        return
    nearest = nearest_free_slots(
        day=day, starts_at=starts_at, advisor=advisor, now=now, rules=rules, exclude_id=exclude_id
    )
    offers = "、".join(_label(slot.day, slot.starts_at) for slot in nearest) or "无"
    if total >= rules.capacity:
        message = f"{_label(day, starts_at)} 时段已约满({total}/{rules.capacity} 台)。"
    else:
        message = (
            f"{advisor} 在 {_label(day, starts_at)} 已有 {mine} 台预约"
            f"(每位顾问每时段上限 {rules.advisor_capacity} 台)。"
        )
    raise SlotFull(f"{message}最近的空闲时段:{offers}。", nearest=nearest)


def _needed_parts(canned_jobs, recommendations, parts) -> list[NeededPart]:
    """The parts of the booked work: the canned jobs' part lines, the recommended parts
    (by part number) and the parts typed in, one row per part with the quantities added."""
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    by_id: dict[int, Part] = {}
    lines = CannedJobLine.objects.filter(
        canned_job__in=canned_jobs, part__isnull=False
    ).select_related("part")
    for line in lines:
        by_id[line.part_id] = line.part
        quantities[line.part_id] += line.quantity
    codes = {
        r.code: r.quantity for r in recommendations if r.kind == WorkOrderLine.Kind.PART and r.code
    }
    for part in Part.objects.filter(number__in=codes):
        by_id[part.pk] = part
        quantities[part.pk] += codes[part.number]
    for needed in parts:
        by_id[needed.part.pk] = needed.part
        quantities[needed.part.pk] += needed.quantity
    return [NeededPart(by_id[pk], quantities[pk]) for pk in sorted(quantities)]


def _checked_work(*, vehicle, requested_work, canned_jobs, recommendations, parts) -> str:
    requested_work = requested_work.strip()
    if not (requested_work or canned_jobs or recommendations):
        raise ValidationError({"requested_work": "请填写预约项目,或选择套餐、建议项目。"})
    if any(not job.active for job in canned_jobs):
        raise ValidationError({"canned_jobs": "所选套餐已停用。"})
    for recommendation in recommendations:
        if recommendation.vehicle_id != vehicle.pk:
            raise ValidationError({"recommendations": "所选建议项目不属于这辆车。"})
        if recommendation.status != Recommendation.Status.OPEN:
            raise ValidationError({"recommendations": "所选建议项目已处理,请刷新页面。"})
    for needed in parts:
        if needed.quantity <= 0:
            raise ValidationError({"parts": f"配件 {needed.part.number} 的数量必须大于 0。"})
    return requested_work


def _refuse_second_booking(vehicle: Vehicle) -> None:
    existing = (
        Appointment.objects.filter(vehicle=vehicle, status__in=OPEN_STATUSES)
        .select_related("advisor")
        .first()
    )
    if existing is not None:
        when = timezone.localtime(existing.starts_at)
        raise ValidationError(
            f"这辆车已有预约:{_label(when.date(), when.time())}(服务顾问 {existing.advisor}),"
            "如需换时间请在该预约上改约。"
        )


def _create(
    *,
    vehicle: Vehicle,
    by,
    day: dt.date,
    starts_at: dt.time,
    advisor,
    requested_work: str,
    canned_jobs,
    recommendations,
    parts: list[NeededPart],
    source: str,
    rebooked_from: Appointment | None = None,
) -> Appointment:
    """The appointment, its work, its parts and its first status row (inside the
    caller's transaction, after the place was taken)."""
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                date=day,
                starts_at=slot_moment(day, starts_at),
                advisor=advisor,
                customer_id=vehicle.owner_id,
                vehicle=vehicle,
                requested_work=requested_work,
                source=source,
                created_by=by,
                rebooked_from=rebooked_from,
            )
    except IntegrityError:  # one open appointment per car: another booking got there first
        _refuse_second_booking(vehicle)
        raise
    appointment.canned_jobs.set(canned_jobs)
    appointment.recommendations.set(recommendations)
    AppointmentPart.objects.bulk_create(
        [
            AppointmentPart(appointment=appointment, part=needed.part, quantity=needed.quantity)
            for needed in parts
        ]
    )
    AppointmentStatusChange.objects.create(
        appointment=appointment,
        transition="book" if rebooked_from is None else "rebooked_in",
        from_status="",
        to_status=S.BOOKED,
        by=by,
        at=appointment.created_at,
    )
    return appointment


def appointment_book(
    *,
    vehicle: Vehicle,
    by,
    day: dt.date,
    starts_at: dt.time,
    advisor,
    requested_work: str = "",
    canned_jobs: list[CannedJob] = (),
    recommendations: list[Recommendation] = (),
    parts: list[NeededPart] = (),
    source: str = Source.PHONE,
) -> Appointment:
    """Book `vehicle` into the slot of `day` starting at `starts_at`, with `advisor`.

    1. The slot is one of the day's (business hours, slot length) and still ahead; the
       work is named (text, canned jobs or the car's open recommendations); the car has no
       other open appointment (a partial unique constraint backs this).
    2. Under the slot row's lock (`_lock_slot`): the places held in the slot and the
       advisor's share are counted; a full slot is refused with the nearest free slots.
    3. The appointment, its canned jobs, recommendations and parts, and its status row.
    """
    if source not in Source.values or source == Source.REBOOK:
        raise ValidationError({"source": "请选择预约来源。"})
    canned_jobs, recommendations = list(canned_jobs), list(recommendations)
    requested_work = _checked_work(
        vehicle=vehicle,
        requested_work=requested_work,
        canned_jobs=canned_jobs,
        recommendations=recommendations,
        parts=parts,
    )
    rules, now = Rules.now(), timezone.now()
    _check_slot(day, starts_at, rules, now)
    _refuse_second_booking(vehicle)
    with transaction.atomic():
        _take_place(day=day, starts_at=starts_at, advisor=advisor, rules=rules, now=now)
        return _create(
            vehicle=vehicle,
            by=by,
            day=day,
            starts_at=starts_at,
            advisor=advisor,
            requested_work=requested_work,
            canned_jobs=canned_jobs,
            recommendations=recommendations,
            parts=_needed_parts(canned_jobs, recommendations, parts),
            source=source,
        )


# --- moves -----------------------------------------------------------------------------------


def _checked_reason(transition: Transition, reason_code: str, reason: str) -> tuple[str, str]:
    reason = reason.strip()[:200]
    if not transition.reasons:
        return "", reason
    if reason_code not in transition.reasons:
        raise ValidationError({"reason_code": f"请选择{transition.label}的原因。"})
    if reason_code == Reason.OTHER and not reason:
        raise ValidationError({"reason": "原因为“其他”时请写明具体原因。"})
    return reason_code, reason


def _move(
    appointment: Appointment,
    name: str,
    *,
    by,
    reason_code: str = "",
    reason: str = "",
    extra: dict | None = None,
) -> AppointmentStatusChange:
    """Claim one move and record it (inside the caller's transaction).

    1. The move starts from the status the user saw (`appointment.status`), needs its
       permissions and, for cancel / no-show / re-book, one of its reasons.
    2. UPDATE … WHERE id = … AND status = <that status>: when someone moved the
       appointment first, no row matches and nothing is written.
    3. The status row, in the same transaction as the claim.
    """
    transition = TRANSITIONS[name]
    from_status = appointment.status
    if from_status not in transition.sources:
        raise ValidationError(f"预约当前为“{S(from_status).label}”,不能“{transition.label}”。")
    if not by.has_perms(transition.permissions):
        raise ValidationError(f"您没有“{transition.label}”的权限。")
    reason_code, reason = _checked_reason(transition, reason_code, reason)
    now = timezone.now()
    fields = {"status": transition.target, "updated_at": now, **(extra or {})}
    if transition.reasons:
        fields |= {"reason_code": reason_code, "reason": reason}
    claimed = Appointment.objects.filter(pk=appointment.pk, status=from_status).update(**fields)
    if not claimed:
        current = Appointment.objects.filter(pk=appointment.pk).values_list("status", flat=True)
        raise ValidationError(
            f"预约状态已被他人更新(当前:{S(current.get()).label}),请刷新后再操作。"
        )
    for name_, value in fields.items():
        setattr(appointment, name_, value)
    return AppointmentStatusChange.objects.create(
        appointment=appointment,
        transition=transition.name,
        from_status=from_status,
        to_status=transition.target,
        by=by,
        at=now,
        reason_code=reason_code,
        reason=reason,
    )


def appointment_confirm(*, appointment: Appointment, by) -> AppointmentStatusChange:
    """The customer confirmed (the call before the slot): booked → confirmed."""
    with transaction.atomic():
        return _move(
            appointment,
            "confirm",
            by=by,
            extra={"confirmed_at": timezone.now(), "confirmed_by": by},
        )


def appointment_cancel(
    *, appointment: Appointment, by, reason_code: str, reason: str = ""
) -> AppointmentStatusChange:
    """Cancelled, with one of the cancel reasons (and a note; required for 其他)."""
    with transaction.atomic():
        return _move(appointment, "cancel", by=by, reason_code=reason_code, reason=reason)


def appointment_no_show(
    *, appointment: Appointment, by, reason_code: str, reason: str = ""
) -> AppointmentStatusChange:
    """The car did not come (爽约): only once the slot has started."""
    if timezone.now() < appointment.starts_at:
        raise ValidationError("预约时间还没到,不能标记爽约。")
    with transaction.atomic():
        return _move(appointment, "no_show", by=by, reason_code=reason_code, reason=reason)


def appointment_rebook(
    *,
    appointment: Appointment,
    by,
    day: dt.date,
    starts_at: dt.time,
    reason_code: str,
    reason: str = "",
    advisor=None,
) -> Appointment:
    """Move an appointment to another slot (改约): the old one ends as re-booked with the
    reason, a new one (source 改约, `rebooked_from` the old) takes a place in the new slot
    with the same car, work and parts — all or nothing: a full slot is refused with the
    nearest free ones and the old appointment stays as it was."""
    advisor = advisor or appointment.advisor
    rules, now = Rules.now(), timezone.now()
    _check_slot(day, starts_at, rules, now)
    canned_jobs = list(appointment.canned_jobs.all())
    recommendations = list(appointment.recommendations.all())
    parts = [
        NeededPart(row.part, row.quantity)
        for row in appointment.parts.select_related("part").order_by("id")
    ]
    with transaction.atomic():
        _move(appointment, "rebook", by=by, reason_code=reason_code, reason=reason)
        _take_place(
            day=day,
            starts_at=starts_at,
            advisor=advisor,
            rules=rules,
            now=now,
            exclude_id=appointment.pk,
        )
        new = _create(
            vehicle=appointment.vehicle,
            by=by,
            day=day,
            starts_at=starts_at,
            advisor=advisor,
            requested_work=appointment.requested_work,
            canned_jobs=canned_jobs,
            recommendations=recommendations,
            parts=parts,
            source=Source.REBOOK,
            rebooked_from=appointment,
        )
    return new


@dataclass
class Received:
    work_order: WorkOrder
    lines: int  # lines the booked work added to the estimate
    skipped: list[str] = field(default_factory=list)  # booked items no longer available


def appointment_receive(
    *,
    appointment: Appointment,
    by,
    kind: str,
    mileage: int,
    promised_at: dt.datetime | None,
    customer_words: str = "",
    mileage_lower_reason: str = "",
    insurer: str = "",
    insurer_claim_number: str = "",
) -> Received:
    """The car arrived: reception opens its work order with the appointment's data.

    1. Only on the appointment's day (another day is a re-booking, or a walk-in).
    2. In one transaction: the arrival is claimed (booked/confirmed → arrived, the time
       recorded: on time or late against the slot), the order opened through
       `work_order_open` with the appointment's advisor, linked to the appointment, and its
       estimate filled: every booked canned job (`work_order_add_canned_job`) and every
       booked recommendation still open (`recommendation_accept`); a canned job stopped
       or a recommendation taken meanwhile is skipped and named. A refused opening (e.g.
       a lower mileage without a reason) leaves the appointment as it was.
    """
    now = timezone.now()
    if appointment.date != timezone.localdate(now):
        raise ValidationError(
            f"这是 {appointment.date:%Y-%m-%d} 的预约,今天不能按此预约接车;"
            "请先改约,或直接接车开单。"
        )
    canned_jobs = list(appointment.canned_jobs.all())
    recommendations = list(appointment.recommendations.all())
    with transaction.atomic():
        _move(appointment, "arrive", by=by, extra={"arrived_at": now})
        order = workorder_services.work_order_open(
            vehicle=appointment.vehicle,
            by=by,
            kind=kind,
            mileage=mileage,
            promised_at=promised_at,
            customer_words=customer_words,
            mileage_lower_reason=mileage_lower_reason,
            insurer=insurer,
            insurer_claim_number=insurer_claim_number,
            advisor=appointment.advisor,
        )
        Appointment.objects.filter(pk=appointment.pk).update(work_order=order)
        appointment.work_order = order
        received = Received(work_order=order, lines=0)
        for job in canned_jobs:
            if not job.active:
                received.skipped.append(f"套餐“{job.name}”已停用")
                continue
            added = workorder_services.work_order_add_canned_job(
                work_order=order, by=by, canned_job=job
            )
            received.lines += len(added)
        open_ids = set(
            Recommendation.objects.filter(
                pk__in=[r.pk for r in recommendations],
                vehicle=appointment.vehicle,
                status=Recommendation.Status.OPEN,
            ).values_list("pk", flat=True)
        )
        for recommendation in recommendations:
            if recommendation.pk not in open_ids:
                received.skipped.append(f"建议项目“{recommendation.description}”已处理")
                continue
            workorder_services.recommendation_accept(
                recommendation=recommendation, work_order=order, by=by
            )
            received.lines += 1
    return received


# --- targets ---------------------------------------------------------------------------------


def phone_mark_unreachable(*, customer: Customer, by, reason: str) -> UnreachablePhone:
    """The customer's mobile could not be reached (空号, 停机, never answers): their cars
    leave the target lists until the mobile changes. Marking twice keeps the first mark."""
    reason = reason.strip()[:200]
    if not reason:
        raise ValidationError({"reason": "请写明无法接通的情况(如:空号、停机、多次未接)。"})
    with transaction.atomic():
        mark, _created = UnreachablePhone.objects.get_or_create(
            customer=customer,
            mobile=customer.mobile,
            defaults={"reason": reason, "marked_by": by},
        )
    return mark


# A mileage rate needs visits at least this far apart (a car seen twice in a week says little
# about how far it drives in a month).
MIN_SPAN_DAYS = 30
REFRESH_BATCH = 5000  # vehicles per step: bounded memory at any archive size


@dataclass
class VisitHistory:
    """What a car's visits tell: the first and last visit with a mileage, and the last
    visit's next-maintenance date and mileage (set at delivery)."""

    first_on: dt.date | None = None
    first_mileage: int = 0
    last_on: dt.date | None = None
    last_mileage: int = 0
    next_on: dt.date | None = None
    next_km: int | None = None

    def add(self, on: dt.date, mileage: int, next_on, next_km) -> None:
        """A visit, in time order."""
        if mileage and self.first_on is None:
            self.first_on, self.first_mileage = on, mileage
        self.last_on, self.next_on, self.next_km = on, next_on, next_km
        if mileage:
            self.last_mileage = mileage


@dataclass(frozen=True)
class Forecast:
    due_on: dt.date
    due_by: str
    next_km: int | None
    daily_km: Decimal | None


def daily_km(history: VisitHistory, sale_date: dt.date | None) -> Decimal | None:
    """Kilometres a day from the car's own visits (first to last), else from the sale to
    the last visit; None when the history is too short to say."""
    if history.last_on is None or not history.last_mileage:
        return None
    if history.first_on is not None:
        span = (history.last_on - history.first_on).days
        if span >= MIN_SPAN_DAYS and history.last_mileage > history.first_mileage:
            return Decimal(history.last_mileage - history.first_mileage) / span
    if sale_date is not None:
        span = (history.last_on - sale_date).days
        if span >= MIN_SPAN_DAYS:
            return Decimal(history.last_mileage) / span
    return None


def maintenance_forecast(
    history: VisitHistory, *, sale_date: dt.date | None, months: int, km: int
) -> Forecast | None:
    """When the next maintenance is due: by date (the last visit's next-maintenance date,
    else the last visit + the interval's months) or by mileage (the day the estimated
    mileage reaches the last visit's next-maintenance mileage, else its mileage + the
    interval's km), whichever comes first. A car never seen: its sale + the interval."""
    if history.last_on is None:
        if sale_date is None:
            return None
        return Forecast(add_months(sale_date, months), Target.DueBy.DATE, km, None)
    by_date = history.next_on or add_months(history.last_on, months)
    next_km = history.next_km or (history.last_mileage + km if history.last_mileage else None)
    rate = daily_km(history, sale_date)
    rounded = rate.quantize(Decimal("0.1")) if rate is not None else None
    if rate and next_km:
        days = max(math.ceil((next_km - history.last_mileage) / rate), 0)
        by_mileage = history.last_on + dt.timedelta(days=days)
        if by_mileage < by_date:
            return Forecast(by_mileage, Target.DueBy.MILEAGE, next_km, rounded)
    return Forecast(by_date, Target.DueBy.DATE, next_km, rounded)


def _histories(vehicle_ids: list[int]) -> dict[int, VisitHistory]:
    """The visit history of each car (cancelled orders are no visits), one query."""
    histories: dict[int, VisitHistory] = defaultdict(VisitHistory)
    visits = (
        WorkOrder.objects.filter(vehicle_id__in=vehicle_ids)
        .exclude(status=WorkOrder.Status.CANCELLED)
        .order_by("vehicle_id", "opened_at", "id")
        .values_list(
            "vehicle_id", "opened_at", "mileage", "next_maintenance_on", "next_maintenance_km"
        )
    )
    for vehicle_id, opened_at, mileage, next_on, next_km in visits.iterator(chunk_size=5000):
        histories[vehicle_id].add(timezone.localdate(opened_at), mileage, next_on, next_km)
    return histories


def _recommendations(vehicle_ids: list[int]) -> dict[int, tuple]:
    """(oldest open recommendation's day, how many, their amount) by car, one query."""
    rows = (
        Recommendation.objects.filter(vehicle_id__in=vehicle_ids, status=Recommendation.Status.OPEN)
        .values("vehicle_id")
        .annotate(since=Min("created_at"), count=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    return {
        row["vehicle_id"]: (timezone.localdate(row["since"]), row["count"], row["amount"])
        for row in rows
    }


def _targets_of(vehicle, history, recommendations, *, interval, today, now) -> list[Target]:
    last_contact = history.last_on or vehicle.sale_date or timezone.localdate(vehicle.created_at)
    common = {
        "vehicle_id": vehicle.pk,
        "last_visit_on": history.last_on,
        "last_mileage": history.last_mileage or None,
        "last_contact_on": last_contact,
        "refreshed_at": now,
    }
    rows = []
    forecast = maintenance_forecast(
        history, sale_date=vehicle.sale_date, months=interval[0], km=interval[1]
    )
    if forecast is not None:
        rows.append(
            Target(
                kind=Target.Kind.MAINTENANCE,
                due_on=forecast.due_on,
                due_by=forecast.due_by,
                next_km=forecast.next_km,
                daily_km=forecast.daily_km,
                **common,
            )
        )
    # Expiries already passed are never listed (the lists start today): no row.
    if vehicle.insurance_expires_on and vehicle.insurance_expires_on >= today:
        rows.append(
            Target(kind=Target.Kind.INSURANCE, due_on=vehicle.insurance_expires_on, **common)
        )
    if vehicle.warranty_end and vehicle.warranty_end >= today:
        rows.append(Target(kind=Target.Kind.WARRANTY, due_on=vehicle.warranty_end, **common))
    if vehicle.pk in recommendations:
        since, count, amount = recommendations[vehicle.pk]
        rows.append(
            Target(
                kind=Target.Kind.RECOMMENDATION,
                due_on=since,
                recommendation_count=count,
                recommendation_amount=amount,
                **common,
            )
        )
    return rows


def targets_refresh(*, now: dt.datetime | None = None, vehicle_ids=None) -> int:
    """Compute the target rows (预约对象) of every car, or of `vehicle_ids`, as of `now`.

    1. Cars are read in id order, REFRESH_BATCH at a time; for each batch their visits
       (one query, in time order) give the maintenance forecast and the last contact, their
       open recommendations (one query) the recommendation row; the insurance and warranty
       rows copy the car's dates.
    2. One transaction replaces the rows (readers see the old ones until it commits).
    Run nightly (tasks.refresh_targets); safe to run again: the same data gives the same
    rows. Returns the number of rows written.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    rules = current_settings(ServiceSettings)
    default = (rules.maintenance_interval_months, rules.maintenance_interval_km)
    intervals = {row.model_name: (row.months, row.km) for row in MaintenanceInterval.objects.all()}
    vehicles = Vehicle.objects.only(
        "id", "model_name", "sale_date", "insurance_expires_on", "warranty_end", "created_at"
    ).order_by("id")
    if vehicle_ids is not None:
        vehicles = vehicles.filter(pk__in=list(vehicle_ids))
    written, last_id = 0, 0
    with transaction.atomic():
        stale = Target.objects.all()
        if vehicle_ids is not None:
            stale = stale.filter(vehicle_id__in=list(vehicle_ids))
        stale.delete()
        while batch := list(vehicles.filter(pk__gt=last_id)[:REFRESH_BATCH]):
            last_id = batch[-1].pk
            ids = [vehicle.pk for vehicle in batch]
            histories, recommendations = _histories(ids), _recommendations(ids)
            rows = []
            for vehicle in batch:
                rows += _targets_of(
                    vehicle,
                    histories.get(vehicle.pk, VisitHistory()),
                    recommendations,
                    interval=intervals.get(vehicle.model_name, default),
                    today=today,
                    now=now,
                )
            Target.objects.bulk_create(rows, batch_size=REFRESH_BATCH)
            written += len(rows)
    return written
