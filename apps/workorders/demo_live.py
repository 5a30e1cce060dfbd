"""The demo's live flow: work orders built through the services by the demo logins, as the
shop would have made them (apps/workorders/demo.py runs it after the bulk history).

1. The last FLOW_DAYS days: a few settled orders a day — canned jobs and catalogue lines,
   approvals by phone or signed on the tablet, declined lines left on the vehicles as
   open recommendations, added items (增项), discounts (one beyond the limit, approved
   by the manager), payments of mixed methods, insurance and warranty shares left as
   receivables. Each is built now, then `demo_flow.backdate` moves the times the services
   stamped back to its day. Their printed documents are not queued
   (`documents_not_queued`): they print on demand from the order page.
2. Today: an order in every state of WorkOrder.Status (a draft with its reception sheet,
   damage marks, a photo and a canned job; an order taken back at reception from a
   recommendation; an added item waiting for approval; settled with two payments;
   cancelled with a reason), one promise at risk and one with a delay notice. Their
   documents are queued as the services do (a worker renders them; tests queue nothing:
   their transaction never commits).

Loaded once: nothing is added when an order made through the services (with a status
change) exists already. Deterministic for a seed and a moment (its own random stream).
"""

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.seeding import DemoRun
from apps.customers.models import Vehicle
from apps.parts.models import Part

from . import documents, services
from .demo_catalogue import ELECTRIC
from .demo_flow import (
    SIGNATURE_POINTS,
    Crew,
    backdate,
    order_take_to,
    png_data_url,
    signature_png,
)
from .models import (
    CannedJob,
    DamageMark,
    DelayNotice,
    Inspection,
    LabourOperation,
    Payer,
    Payment,
    Recommendation,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)

S = WorkOrder.Status
FLOW_DAYS = 14  # days of settled orders before today
ORDERS_A_DAY = (2, 4)
DAILY_KM = 40  # how far a demo car drives a day between visits
RESERVE_DAYS = 60  # vehicles whose last visit is older than this take part

# Today's orders, in the order they came in; (status, what is special about it).
TODAY = (
    (S.SETTLED, "two_payments"),
    (S.DELIVERED, ""),
    (S.READY, ""),
    (S.WASHED, ""),
    (S.QC_PASSED, ""),
    (S.TEAM_CHECKED, "at_risk"),
    (S.SELF_CHECKED, ""),
    (S.IN_PROGRESS, "added_waiting"),
    (S.DISPATCHED, ""),
    (S.APPROVED, "recommendation"),
    (S.CANCELLED, ""),
    (S.DRAFT, "sheet"),
)
WORDS = ("做保养", "刹车有异响", "空调不凉", "仪表盘亮故障灯", "方向盘抖动", "")
METHODS = (Payment.Method.WECHAT, Payment.Method.ALIPAY, Payment.Method.CARD, Payment.Method.CASH)


def crew() -> Crew:
    users = get_user_model().objects.in_bulk(
        ["advisor", "supervisor", "technician", "qc", "manager", "parts"], field_name="username"
    )
    return Crew(
        advisor=users["advisor"],
        supervisor=users["supervisor"],
        technician=users["technician"],
        qc=users["qc"],
        manager=users["manager"],
        parts=users.get("parts"),
    )


class LiveFlow:
    def __init__(self, run: DemoRun):
        self.run = run
        self.rng: random.Random = run.rng("workorders-flow")
        self.crew = crew()
        self.catalogue = LabourOperation.objects.in_bulk(field_name="code")
        self.parts = Part.objects.in_bulk(field_name="number")
        first_day = run.today - dt.timedelta(days=FLOW_DAYS)
        ids = list(
            Vehicle.objects.filter(
                owner__isnull=False,
                sale_date__lt=first_day,
                mileage_recorded_on__lt=first_day - dt.timedelta(days=RESERVE_DAYS),
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
        self.vehicle_ids = self.rng.sample(ids, min(len(ids), 80 + FLOW_DAYS * ORDERS_A_DAY[1]))
        self.recommended: list[Vehicle] = []  # vehicles left with a declined line
        self.made: list[int] = []  # ids of the orders made

    def vehicle(self) -> Vehicle:
        if not self.vehicle_ids:
            raise RuntimeError("演示数据中可用于工单流程的车辆不足。")
        return Vehicle.objects.select_related("owner").get(pk=self.vehicle_ids.pop())

    def mileage(self, vehicle: Vehicle, day: dt.date) -> int:
        since = vehicle.mileage_recorded_on or vehicle.sale_date or day
        return vehicle.mileage + max((day - since).days, 1) * DAILY_KM + self.rng.randint(0, 99)

    # --- lines ---------------------------------------------------------------------------

    def labour(self, code: str, payer=Payer.CUSTOMER) -> services.NewLine:
        return services.line_from_labour_operation(self.catalogue[code], payer=payer)

    def part(self, number: str, payer=Payer.CUSTOMER, quantity=1) -> services.NewLine:
        return services.line_from_part(self.parts[number], quantity=quantity, payer=payer)

    def model_part(self, vehicle: Vehicle, group: str, payer=Payer.CUSTOMER):
        part = Part.objects.filter(
            number__endswith=group, fits_models__contains=vehicle.model_name
        ).first()
        return services.line_from_part(part, quantity=1, payer=payer) if part else None

    def canned_job_lines(self, vehicle: Vehicle, mileage: int) -> list[services.NewLine]:
        jobs = CannedJob.objects.filter(model_name=vehicle.model_name, active=True)
        km = 40000 if mileage % 40000 < 5000 else 20000 if mileage % 20000 < 5000 else 10000
        job = jobs.filter(mileage=km).first() or jobs.order_by("mileage").first()
        return services.lines_from_canned_job(job) if job else []

    def plan(self, vehicle: Vehicle, mileage: int, kind: str) -> tuple[list, list, int]:
        """(lines, added items, how many of the last lines the customer declines)."""
        electric = vehicle.model_name in ELECTRIC
        optional = [self.labour("LB-0201"), self.labour("LB-0113"), self.labour("LB-0112")]
        extra = self.rng.choice(optional)
        declined = 1 if self.rng.random() < 0.5 else 0
        if kind == WorkOrder.Kind.MAINTENANCE:
            lines = self.canned_job_lines(vehicle, mileage) or [self.labour("LB-0102")]
            if self.rng.random() < 0.3:
                lines[0].discount_percent = Decimal(5)  # within the limit: no manager
        elif kind == WorkOrder.Kind.ACCIDENT:
            lines = [
                self.labour("LB-0901", Payer.INSURANCE),
                self.labour("LB-0902", Payer.INSURANCE),
                self.part("000091005", Payer.INSURANCE),
            ]
        elif kind == WorkOrder.Kind.WARRANTY:
            code = "LB-0601" if electric else "LB-0502"
            lines = [self.labour("LB-0501"), self.labour(code, Payer.WARRANTY)]
        else:
            lines = [self.labour("LB-0501"), self.labour("LB-0301")]
            pads = self.model_part(vehicle, "698151")
            if pads:
                lines.append(pads)
            if self.rng.random() < 0.25:  # a loyal customer's discount, beyond the limit
                lines[-1].discount_percent = Decimal(15)
        added = []
        if self.rng.random() < 0.3:
            added = [self.labour("LB-0112")]
            wipers = self.model_part(vehicle, "955425")
            if wipers:
                added.append(wipers)
        return [*lines, extra], added, declined

    def payments(self, due: Decimal) -> list[services.NewPayment]:
        if due <= 0:
            return []
        method = self.rng.choice(METHODS)
        if due > 300 and self.rng.random() < 0.3:
            cash = Decimal(self.rng.choice((100, 200, 300)))
            return [
                services.NewPayment(Payment.Method.CASH, cash),
                services.NewPayment(method, due - cash, reference=self.reference(method)),
            ]
        return [services.NewPayment(method, due, reference=self.reference(method))]

    def reference(self, method: str) -> str:
        if method == Payment.Method.CASH:
            return ""
        return f"{self.rng.randint(10**11, 10**12 - 1)}"

    # --- the last two weeks -----------------------------------------------------------------

    def past_order(self, day: dt.date) -> WorkOrder:
        rng = self.rng
        vehicle = self.vehicle()
        mileage = self.mileage(vehicle, day)
        kind = rng.choices(
            [WorkOrder.Kind.MAINTENANCE, WorkOrder.Kind.REPAIR, "accident", "warranty"],
            weights=[60, 25, 8, 7],
        )[0]
        if kind == WorkOrder.Kind.WARRANTY and vehicle.warranty_end and day > vehicle.warranty_end:
            kind = WorkOrder.Kind.REPAIR
        lines, added, declined = self.plan(vehicle, mileage, kind)
        opened = day_start(day) + dt.timedelta(hours=8, minutes=rng.randint(0, 180))
        done = opened + dt.timedelta(hours=rng.randint(4, 8), minutes=rng.randint(0, 59))
        order = order_take_to(
            S.DELIVERED,
            crew=self.crew,
            vehicle=vehicle,
            lines=lines,
            declined=declined,
            kind=kind,
            mileage=mileage,
            promised_at=opened + dt.timedelta(hours=9),
            customer_words=rng.choice(WORDS),
            signed=rng.random() < 0.4,
            added=added,
        )
        services.work_order_settle(
            work_order=order,
            by=self.crew.advisor,
            payments=self.payments(order.customer_paid_amount),
        )
        if declined:
            self.recommended.append(vehicle)
        self.made.append(order.pk)
        return backdate(order, opened_at=opened, last_at=done)

    # --- today ---------------------------------------------------------------------------------

    def today_order(self, status: str, special: str, opened: dt.datetime) -> WorkOrder:
        rng, now, today = self.rng, self.run.now, self.run.today
        vehicle = self.vehicle()
        recommendations = []
        if special == "recommendation" and self.recommended:
            vehicle = Vehicle.objects.select_related("owner").get(pk=self.recommended[0].pk)
            recommendations = list(
                Recommendation.objects.filter(vehicle=vehicle, status=Recommendation.Status.OPEN)
            )
        mileage = self.mileage(vehicle, today)
        kind = WorkOrder.Kind.MAINTENANCE if status != S.IN_PROGRESS else WorkOrder.Kind.REPAIR
        lines, added, declined = self.plan(vehicle, mileage, kind)
        if special == "sheet":  # the reception sheet first, then a canned job in one tap
            lines, declined = [], 0
        if special == "added_waiting":
            added = [self.labour("LB-0303")]
        promised = now + dt.timedelta(minutes=rng.randint(150, 300))
        if special == "at_risk":
            promised = now + dt.timedelta(minutes=30)  # within the warning window
        if special == "added_waiting":
            promised = now + dt.timedelta(minutes=15)  # told below: the added item takes time
        if status in (S.DELIVERED, S.SETTLED):
            promised = opened + (now - opened) * 0.9
        order = order_take_to(
            S.DELIVERED if status == S.SETTLED else status,
            crew=self.crew,
            vehicle=vehicle,
            lines=lines,
            recommendations=recommendations,
            declined=declined,
            kind=kind,
            mileage=mileage,
            promised_at=promised,
            customer_words=rng.choice(WORDS),
            signed=status != S.APPROVED,
            added=added,
            added_approved=special != "added_waiting",
            cancel_reason="客户临时有事,改天再来",
        )
        if status == S.SETTLED:
            due = order.customer_paid_amount
            cash = min(Decimal(200), due / 2).quantize(Decimal("1"))
            payments = [services.NewPayment(Payment.Method.CASH, cash)] if cash > 0 else []
            payments.append(services.NewPayment(Payment.Method.WECHAT, due - cash, "4200001234"))
            services.work_order_settle(work_order=order, by=self.crew.advisor, payments=payments)
        if special == "added_waiting":
            services.work_order_delay_notice(
                work_order=order,
                by=self.crew.advisor,
                # after the clock too: a demo loaded "as of" an earlier moment (tests)
                new_promised_at=max(now, timezone.now()) + dt.timedelta(hours=3),
                how=DelayNotice.How.PHONE,
                note="增项需客户确认,交车推迟",
            )
        if special == "sheet":
            self.reception_sheet(order)
        last = opened + (now - opened) * 0.9
        self.made.append(order.pk)
        return backdate(order, opened_at=opened, last_at=last)

    def reception_sheet(self, order: WorkOrder) -> None:
        by = self.crew.advisor
        services.inspection_save(
            work_order=order,
            by=by,
            fuel_level=Inspection.Fuel.HALF,
            fluids={"机油": "ok", "冷却液": "ok", "制动液": "attention", "玻璃水": "ok"},
            spare_tyre=Inspection.Check.OK,
            tools=Inspection.Check.OK,
            interior=Inspection.Check.OK,
            electrics=Inspection.Check.OK,
            valuables="行车记录仪",
            notes="右前门有旧划痕,客户知悉",
        )
        scratch = services.damage_mark_add(
            work_order=order, by=by, x=72, y=35, kind=DamageMark.Kind.SCRATCH, note="右前门"
        )
        services.damage_mark_add(work_order=order, by=by, x=20, y=80, kind=DamageMark.Kind.DENT)
        photo = SimpleUploadedFile(
            "scratch.png", signature_png(640, 480, strokes=3), content_type="image/png"
        )
        services.inspection_photo_add(work_order=order, by=by, upload=photo, mark=scratch)
        canned = CannedJob.objects.filter(model_name=order.vehicle.model_name, active=True)
        job = canned.order_by("mileage").first()
        if job is not None:
            services.work_order_add_canned_job(work_order=order, by=by, canned_job=job)
        services.inspection_sign(
            work_order=order,
            by=by,
            signer_name=order.vehicle.owner.name,
            png_data_url=png_data_url(signature_png(strokes=2)),
            points=SIGNATURE_POINTS,
        )


def today_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When today's orders came in: from 07:30 (or midnight, early in the morning) to
    the middle of the time until now."""
    start = day_start(timezone.localdate(now)) + dt.timedelta(hours=7, minutes=30)
    if now - start < dt.timedelta(hours=2):
        start = day_start(timezone.localdate(now))
    return start, start + (now - start) / 2


def flow_exists() -> bool:
    return StatusChange.objects.exists()


def seed_flow(run: DemoRun) -> tuple[int, int]:
    """The live flow, once; returns (orders, lines) it made."""
    if flow_exists():
        run.log("  工单流程演示已存在，跳过。")
        return 0, 0
    started = time.perf_counter()
    flow = LiveFlow(run)
    settled = 0
    with documents.documents_not_queued():
        for back in range(FLOW_DAYS, 0, -1):
            day = run.today - dt.timedelta(days=back)
            for _ in range(flow.rng.randint(*ORDERS_A_DAY)):
                if len(flow.vehicle_ids) <= len(TODAY):  # a tiny demo: keep cars for today
                    break
                flow.past_order(day)
                settled += 1
    count = seed_today(run, flow)
    run.log(
        f"  工单流程：近 {FLOW_DAYS} 天 {settled} 张已结算，今日 {count} 张"
        f"（{time.perf_counter() - started:.1f} 秒）"
    )
    return settled + count, WorkOrderLine.objects.filter(work_order__in=flow.made).count()


def seed_today(run: DemoRun, flow: "LiveFlow | None" = None) -> int:
    """Today's orders in every state (also the bench's, on data seeded before the flow)."""
    flow = flow or LiveFlow(run)
    first, last = today_window(run.now)
    for index, (status, special) in enumerate(TODAY):
        opened = first + (last - first) * (index / len(TODAY))
        flow.today_order(status, special, opened)
    return len(TODAY)
