"""The demo's appointments (seed_demo, after the service history): ten years of bookings
with realistic show and on-time rates, the targets computed, a busy today and the week
ahead booked. Run by apps.core.seeding after the work-order demo.

1. History (bulk rows, as the work-order demo writes its visits): about a third of the
   past visits came by appointment — an arrived appointment linked to the visit's work
   order, the car arriving around its slot (mostly on time, some late); some of those
   customers had missed, cancelled or re-booked an earlier appointment (show rate near
   90 %). Slots and the advisors' shares are never overbooked. Bulk rows have no status
   rows, as the bulk visits have none.
2. The targets (services.targets_refresh), as the nightly job computes them.
3. Today, built through the services: every slot of the day nearly full. Slots that have
   started: most cars arrived and were received (appointment_receive opens the order with
   the booked canned job; the arrival is then moved back to its time around the slot, demo
   only), some missed (爽约), a few not marked yet. Slots ahead: booked (appointment_book,
   from the maintenance targets) and many confirmed. The next DAYS_AHEAD days: a few
   bookings a slot, tomorrow's half confirmed.

Nothing is dated after the moment of loading, except the slots booked ahead. Loaded once:
nothing is added when appointments exist. Deterministic for a seed and a moment.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.accounts.demo import MORE_USERS
from apps.core.calendar import day_start
from apps.core.seeding import DemoRun
from apps.customers.models import Vehicle
from apps.workorders.models import CannedJob, WorkOrder

from . import selectors, services
from .models import Appointment, AppointmentStatusChange, Reason, Source, Target

S = Appointment.Status
BATCH = 5000  # work orders read per step of the history
P_BOOKED = 0.35  # visits that came by appointment
# Per arrived appointment: an earlier appointment of the same car that was missed,
# cancelled or re-booked (show rate = 1 / 1.12 ≈ 89 %).
EARLIER = ((0.12, S.NO_SHOW), (0.07, S.CANCELLED), (0.05, S.REBOOKED))
EARLIER_REASONS = {
    S.NO_SHOW: (Reason.FORGOT, Reason.CUSTOMER_BUSY, Reason.UNREACHABLE),
    S.CANCELLED: (Reason.CUSTOMER_BUSY, Reason.DONE_ELSEWHERE, Reason.PRICE),
    S.REBOOKED: (Reason.CUSTOMER_ASKED, Reason.DEALER, Reason.PARTS),
}
# Minutes after the slot's start a car arrives: (weight, range). Within the settings' 15
# minutes is on time (early too): about 80 %.
LATENESS = ((80, (-25, 15)), (15, (16, 45)), (5, (46, 110)))
SOURCES = (
    (Source.TARGET_MAINTENANCE, 40),
    (Source.PHONE, 35),
    (Source.CARD, 10),
    (Source.TARGET_RECOMMENDATION, 7),
    (Source.TARGET_INSURANCE, 5),
    (Source.TARGET_WARRANTY, 3),
)
WORK_BY_KIND = {
    WorkOrder.Kind.MAINTENANCE: "定期保养",
    WorkOrder.Kind.REPAIR: "故障检查维修",
    WorkOrder.Kind.ACCIDENT: "事故车定损维修",
    WorkOrder.Kind.WARRANTY: "三包维修",
    WorkOrder.Kind.CAMPAIGN: "活动免费检测",
    WorkOrder.Kind.INTERNAL: "内部车辆检修",
}
# Today: cars a slot (of six places) — busy; the days ahead: fewer, booked as calls come.
TODAY_PER_SLOT = (4, 6)
AHEAD_PER_SLOT = (1, 3)
DAYS_AHEAD = 7
# Outcomes of today's started slots: received, missed, not marked yet (still confirmed).
TODAY_OUTCOMES = ((80, S.ARRIVED), (10, S.NO_SHOW), (10, S.CONFIRMED))


def ensure_advisors() -> list:
    """The advisors appointments are booked with: the role login and the accounts demo's
    other advisors (MORE_USERS)."""
    logins = ["advisor", *(login for login, _name, role in MORE_USERS if role == "advisor")]
    return list(get_user_model().objects.filter(username__in=logins).order_by("id"))


def seed(run: DemoRun) -> None:
    if Appointment.objects.exists():
        return
    started = timezone.now()
    advisors = ensure_advisors()
    history = History(run, advisors)
    count = history.seed()
    targets = services.targets_refresh(now=run.now)
    today = Days(run, advisors).seed()
    seconds = (timezone.now() - started).total_seconds()
    run.log(f"  预约:历史 {count} 个,今日及未来 {today} 个,预约对象 {targets} 条({seconds:.1f} 秒)")
    run.summary.append(f"{Appointment.objects.count()} 个预约")


def _weighted(rng: random.Random, table):
    weights = [weight for weight, _value in table]
    return rng.choices([value for _weight, value in table], weights=weights)[0]


class Places:
    """The places held per (day, slot) and per (day, slot, advisor), so the demo never
    overbooks what the booking service would refuse."""

    def __init__(self, rules: selectors.Rules):
        self.rules = rules
        self.slot = {}
        self.advisor = {}

    def advisor_with_room(self, rng, day, time, advisors):
        if self.slot.get((day, time), 0) >= self.rules.capacity:
            return None
        free = [
            a
            for a in advisors
            if self.advisor.get((day, time, a.pk), 0) < self.rules.advisor_capacity
        ]
        return rng.choice(free) if free else None

    def take(self, day, time, advisor) -> None:
        self.slot[(day, time)] = self.slot.get((day, time), 0) + 1
        self.advisor[(day, time, advisor.pk)] = self.advisor.get((day, time, advisor.pk), 0) + 1


class History:
    def __init__(self, run: DemoRun, advisors: list):
        self.run = run
        self.rng = run.rng("appointments")
        self.advisors = advisors
        self.rules = selectors.Rules.now()
        self.times = selectors.day_slots(self.rules)
        self.places = Places(self.rules)

    def slot_of(self, moment: dt.datetime) -> dt.time:
        """The slot a car arriving at `moment` (already moved back by its lateness) booked."""
        local = timezone.localtime(moment)
        minutes = local.hour * 60 + local.minute
        opens = self.rules.opens.hour * 60 + self.rules.opens.minute
        index = (minutes - opens) // self.rules.slot_minutes
        return self.times[min(max(index, 0), len(self.times) - 1)]

    def row(self, *, vehicle_id, customer_id, day, time, advisor, status, work, **fields):
        rng = self.rng
        starts_at = selectors.slot_moment(day, time)
        booked_at = starts_at - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
        return Appointment(
            date=day,
            starts_at=starts_at,
            advisor=advisor,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            requested_work=work,
            status=status,
            source=_weighted(rng, [(w, s) for s, w in SOURCES]),
            created_by=advisor,
            created_at=min(booked_at, self.run.now),
            **fields,
        )

    def seed(self) -> int:
        first_day = self.run.start
        visits = (
            WorkOrder.objects.filter(opened_at__lt=day_start(self.run.today))
            .exclude(status=WorkOrder.Status.CANCELLED)
            .order_by("id")
            .values_list("id", "vehicle_id", "customer_id", "opened_at", "kind")
        )
        made, last_id = 0, 0
        while batch := list(visits.filter(id__gt=last_id)[:BATCH]):
            last_id = batch[-1][0]
            earlier, arrived = [], []
            for order_id, vehicle_id, customer_id, opened_at, kind in batch:
                if self.rng.random() >= P_BOOKED:
                    continue
                late = self.rng.randint(*_weighted(self.rng, LATENESS))
                day = timezone.localdate(opened_at)
                time = self.slot_of(opened_at - dt.timedelta(minutes=late))
                advisor = self.places.advisor_with_room(self.rng, day, time, self.advisors)
                if advisor is None:
                    continue  # the slot was full: the car came without an appointment
                self.places.take(day, time, advisor)
                work = WORK_BY_KIND.get(kind, "保养")
                before = self.earlier(vehicle_id, customer_id, day, work, first_day)
                arrived.append(
                    (
                        before,
                        self.row(
                            vehicle_id=vehicle_id,
                            customer_id=customer_id,
                            day=day,
                            time=time,
                            advisor=advisor,
                            status=S.ARRIVED,
                            work=work,
                            # At the slot + the lateness; reception opened the order
                            # then, or later when the desk was busy.
                            arrived_at=min(
                                selectors.slot_moment(day, time) + dt.timedelta(minutes=late),
                                opened_at,
                            ),
                            work_order_id=order_id,
                        ),
                    )
                )
                if before is not None:
                    earlier.append(before)
            with transaction.atomic():
                Appointment.objects.bulk_create(earlier, batch_size=BATCH)
                rows = []
                for before, row in arrived:
                    if before is not None and before.status == S.REBOOKED:
                        row.rebooked_from_id = before.pk
                    rows.append(row)
                Appointment.objects.bulk_create(rows, batch_size=BATCH)
            made += len(earlier) + len(rows)
        return made

    def earlier(self, vehicle_id, customer_id, day, work, first_day):
        """Maybe an earlier appointment of the car that did not happen as booked."""
        draw, status = self.rng.random(), None
        for chance, candidate in EARLIER:
            if draw < chance:
                status = candidate
                break
            draw -= chance
        if status is None:
            return None
        earlier_day = day - dt.timedelta(days=self.rng.randint(1, 10))
        if earlier_day < first_day:
            return None
        time = self.rng.choice(self.times)
        advisor = self.places.advisor_with_room(self.rng, earlier_day, time, self.advisors)
        if advisor is None:
            return None
        if status == S.NO_SHOW:  # a cancelled or re-booked one gave its place back
            self.places.take(earlier_day, time, advisor)
        return self.row(
            vehicle_id=vehicle_id,
            customer_id=customer_id,
            day=earlier_day,
            time=time,
            advisor=advisor,
            status=status,
            work=work,
            reason_code=self.rng.choice(EARLIER_REASONS[status]),
        )


class Days:
    """Today and the days ahead, through the services."""

    def __init__(self, run: DemoRun, advisors: list):
        self.run = run
        self.rng = run.rng("appointments-days")
        self.advisors = advisors
        self.rules = selectors.Rules.now()
        self.canned = {}
        for job in CannedJob.objects.filter(active=True, kind=WorkOrder.Kind.MAINTENANCE).order_by(
            "id"
        ):
            self.canned.setdefault(job.model_name, job)
        # Cars due for maintenance (the targets list), soonest due first, lost cars left out.
        self.cars = list(
            selectors.targets(kind=Target.Kind.MAINTENANCE, today=run.today, rules=self.rules)
            .order_by("-due_on", "id")
            .values_list("vehicle_id", flat=True)[:2000]
        )
        self.rng.shuffle(self.cars)

    def car(self) -> Vehicle | None:
        while self.cars:
            vehicle = Vehicle.objects.select_related("owner").get(pk=self.cars.pop())
            if not Appointment.objects.filter(
                vehicle=vehicle, status__in=("booked", "confirmed")
            ).exists():
                return vehicle
        return None

    def job_for(self, vehicle: Vehicle):
        job = self.canned.get(vehicle.model_name) or self.canned.get("")
        return [job] if job is not None else []

    def seed(self) -> int:
        made = 0
        today = self.run.today
        for offset in range(DAYS_AHEAD + 1):
            day = today + dt.timedelta(days=offset)
            for time in selectors.day_slots(self.rules):
                starts_at = selectors.slot_moment(day, time)
                per_slot = TODAY_PER_SLOT if offset == 0 else AHEAD_PER_SLOT
                for _ in range(self.rng.randint(*per_slot)):
                    vehicle = self.car()
                    if vehicle is None:
                        return made
                    advisor = self.rng.choice(self.advisors)
                    if starts_at <= self.run.now:
                        made += self.started(vehicle, day, time, advisor)
                    elif starts_at <= timezone.now() + dt.timedelta(minutes=1):
                        continue  # began while the demo was loading: no longer bookable
                    else:
                        made += self.ahead(vehicle, day, time, advisor, offset)
        return made

    def ahead(self, vehicle, day, time, advisor, offset) -> int:
        try:
            appointment = services.appointment_book(
                vehicle=vehicle,
                by=advisor,
                day=day,
                starts_at=time,
                advisor=advisor,
                requested_work="定期保养",
                canned_jobs=self.job_for(vehicle),
                source=Source.TARGET_MAINTENANCE,
            )
        except services.SlotFull:
            return 0  # this advisor's share is full: the call books another slot next time
        if offset <= 1 and self.rng.random() < 0.6:
            services.appointment_confirm(appointment=appointment, by=advisor)
        return 1

    def started(self, vehicle, day, time, advisor) -> int:
        """A slot of today that has started: booked yesterday (a row, as the booking
        service would have left it), then received, missed or not marked yet."""
        starts_at = selectors.slot_moment(day, time)
        held = Appointment.objects.filter(
            date=day, starts_at=starts_at, status__in=("booked", "confirmed", "arrived")
        )
        if held.count() >= self.rules.capacity or held.filter(advisor=advisor).count() >= (
            self.rules.advisor_capacity
        ):
            return 0
        booked_at = starts_at - dt.timedelta(days=1, hours=self.rng.randint(0, 6))
        appointment = Appointment.objects.create(
            date=day,
            starts_at=starts_at,
            advisor=advisor,
            customer_id=vehicle.owner_id,
            vehicle=vehicle,
            requested_work="定期保养",
            source=Source.TARGET_MAINTENANCE,
            created_by=advisor,
            created_at=booked_at,
            status=S.CONFIRMED,
            confirmed_by=advisor,
            confirmed_at=booked_at + dt.timedelta(hours=20),
        )
        appointment.canned_jobs.set(self.job_for(vehicle))
        AppointmentStatusChange.objects.bulk_create(
            [
                AppointmentStatusChange(
                    appointment=appointment,
                    transition="book",
                    to_status=S.BOOKED,
                    by=advisor,
                    at=booked_at,
                ),
                AppointmentStatusChange(
                    appointment=appointment,
                    transition="confirm",
                    from_status=S.BOOKED,
                    to_status=S.CONFIRMED,
                    by=advisor,
                    at=appointment.confirmed_at,
                ),
            ]
        )
        outcome = _weighted(self.rng, TODAY_OUTCOMES)
        if outcome == S.ARRIVED:
            self.receive(appointment, vehicle)
        elif outcome == S.NO_SHOW:
            services.appointment_no_show(
                appointment=appointment, by=advisor, reason_code=Reason.FORGOT
            )
        return 1

    def receive(self, appointment: Appointment, vehicle: Vehicle) -> None:
        """Received through the services, then moved back to the time the car came (demo
        only: the services stamp now). The services receive only on the clock's today: a
        demo loaded for another moment leaves the car booked."""
        if self.run.today != timezone.localdate():
            return
        late = self.rng.randint(*_weighted(self.rng, LATENESS))
        arrived = min(appointment.starts_at + dt.timedelta(minutes=late), self.run.now)
        since = vehicle.mileage_recorded_on or vehicle.sale_date or self.run.today
        mileage = vehicle.mileage + max((self.run.today - since).days, 1) * 40
        closing = selectors.slot_moment(self.run.today, self.rules.closes)
        received = services.appointment_receive(
            appointment=appointment,
            by=appointment.advisor,
            kind=WorkOrder.Kind.MAINTENANCE,
            mileage=mileage,
            promised_at=max(closing, self.run.now + dt.timedelta(hours=3)),
            customer_words=appointment.requested_work,
        )
        Appointment.objects.filter(pk=appointment.pk).update(arrived_at=arrived)
        AppointmentStatusChange.objects.filter(appointment=appointment, transition="arrive").update(
            at=arrived
        )
        WorkOrder.objects.filter(pk=received.work_order.pk).update(
            opened_at=arrived, created_at=arrived
        )
