"""The demo service history: the visits (work orders with their lines) of the vehicles
the archive demo loaded, from a few months after each sale until today or until the
vehicle stopped coming. Run by `seed_demo` through apps.core.seeding, after the archive.

Nothing happens after the moment the demo is loaded: a visit later today has not
started yet, and a car whose delivery time is still ahead is in the workshop.

Order of the steps: the service catalogue (demo_catalogue), the bulk history of visits
(batches, settled), then the live flow (demo_live: the last two weeks and today's orders
in every state, built through the services by the demo logins).
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.core.seeding import DemoRun
from apps.customers.demo import LABOUR_RATES
from apps.customers.models import Vehicle

from . import demo_live
from .demo_catalogue import seed_catalogue
from .models import Payer, WorkOrder, WorkOrderLine
from .services import stored_totals, work_order_totals

BATCH = 2000  # vehicles per transaction
DEFAULT_LABOUR_RATE = 180  # yuan an hour, for a model the catalogue does not list

# (kind, code, description, quantity or hours, lowest and highest unit price in yuan);
# labour lines are priced at the model's hourly rate.
SERVICE_ITEMS = {
    "maintenance": (
        ("labour", "LB-0101", "常规保养工时", Decimal("1.0"), None),
        ("part", "PT-06L115562", "机油滤清器", Decimal("1"), (68, 98)),
        ("part", "PT-G052195", "全合成机油 5W-40(升)", Decimal("4.5"), (88, 118)),
        ("material", "MT-0001", "清洗剂", Decimal("1"), (20, 45)),
    ),
    "repair": (
        ("labour", "LB-0305", "前刹车片更换", Decimal("1.2"), None),
        ("part", "PT-5QD698151", "前刹车片", Decimal("1"), (420, 680)),
        ("labour", "LB-0720", "空调系统检修", Decimal("1.5"), None),
        ("part", "PT-5Q0820803", "空调滤芯", Decimal("1"), (95, 160)),
    ),
    "accident": (
        ("labour", "LB-0901", "前保险杠钣金", Decimal("3.0"), None),
        ("labour", "LB-0902", "前保险杠喷漆", Decimal("2.5"), None),
        ("part", "PT-5GG807221", "前保险杠皮", Decimal("1"), (1200, 2600)),
    ),
    "warranty": (
        ("labour", "LB-0410", "水泵更换", Decimal("2.0"), None),
        ("part", "PT-04E121600", "水泵总成", Decimal("1"), (900, 1500)),
    ),
    "campaign": (("labour", "LB-0001", "冬季免费检测", Decimal("0.5"), None),),
}


class VisitBuilder:
    def __init__(self, run: DemoRun, advisors: list):
        self.run = run
        self.rng: random.Random = run.rng("workorders")
        self.today = run.today
        self.advisors = advisors
        self.serial = 0

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = max((last - first).days, 0)
        return first + dt.timedelta(days=self.rng.randint(0, span))

    def visits(self, vehicle: Vehicle) -> list[tuple[WorkOrder, list[WorkOrderLine]]]:
        """Every visit of `vehicle` up to now."""
        rng = self.rng
        daily_km = rng.uniform(20, 70)
        churn_after = self.today + dt.timedelta(days=9999)
        if rng.random() < 0.35:  # a third of vehicles stop coming at some point
            churn_after = self.day_between(vehicle.sale_date, self.today)
        visits = []
        day = vehicle.sale_date + dt.timedelta(days=rng.randint(60, 200))
        while day <= min(self.today, churn_after):
            kind = rng.choices(
                ["maintenance", "repair", "accident", "warranty", "campaign"],
                weights=[60, 20, 8, 6, 6],
            )[0]
            if kind == "warranty" and day > vehicle.warranty_end:
                kind = "repair"
            visit = self.work_order(vehicle, day, kind, daily_km)
            if visit is None:  # later today: it has not happened yet
                break
            visits.append(visit)
            day += dt.timedelta(days=rng.randint(120, 240))
        return visits

    def work_order(self, vehicle: Vehicle, day: dt.date, kind: str, daily_km: float):
        rng = self.rng
        opened = timezone.make_aware(
            dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
        )
        if opened > self.run.now:
            return None
        self.serial += 1
        payer = {"warranty": Payer.WARRANTY, "campaign": Payer.CAMPAIGN}.get(kind, Payer.CUSTOMER)
        if kind == "accident" and rng.random() < 0.7:
            payer = Payer.INSURANCE
        labour_rate = Decimal(LABOUR_RATES.get(vehicle.model_name, DEFAULT_LABOUR_RATE))
        lines = []
        for line_kind, code, description, quantity, price_range in SERVICE_ITEMS[kind]:
            price = labour_rate if price_range is None else Decimal(rng.randint(*price_range))
            lines.append(
                WorkOrderLine(
                    kind=line_kind,
                    code=code,
                    description=description,
                    quantity=quantity,
                    unit_price=price,
                    amount=(price * quantity).quantize(Decimal("0.01")),
                    payer=payer,
                )
            )
        delivered = opened + dt.timedelta(hours=rng.randint(2, 30))
        done = delivered <= self.run.now  # else the car is still in the workshop
        work_order = WorkOrder(
            number=f"WO{day:%Y%m%d}{self.serial:06d}",
            vehicle=vehicle,
            customer_id=vehicle.owner_id,
            advisor=rng.choice(self.advisors) if self.advisors else None,
            kind=kind,
            status=WorkOrder.Status.SETTLED if done else WorkOrder.Status.IN_PROGRESS,
            source=WorkOrder.Source.SYSTEM,
            opened_at=opened,
            delivered_at=delivered if done else None,
            mileage=int((day - vehicle.sale_date).days * daily_km) + rng.randint(5, 50),
            customer_words=rng.choice(
                ["", "", "做保养", "刹车有异响", "空调不凉", "仪表盘亮故障灯", "前杠剐蹭"]
            ),
            created_at=opened,
            # The one totals function, as the services store them (check_workorder_totals).
            **stored_totals(work_order_totals(lines)),
        )
        return work_order, lines


def seed(run: DemoRun) -> None:
    catalogue = seed_catalogue()
    run.log(
        f"  维修目录 · {catalogue['labour operations']} 个工时项目 · {catalogue['parts']} 个配件"
        f" · {catalogue['canned jobs']} 个套餐"
    )
    seed_visits(run)
    demo_live.seed_flow(run)
    run.summary += [
        lambda: f"{WorkOrder.objects.count()} 张工单",
        lambda: f"{WorkOrderLine.objects.count()} 行明细",
    ]


def seed_visits(run: DemoRun) -> tuple[int, int]:
    """The bulk history: a visit every four to eight months per vehicle, settled (written
    in batches, not through the services: ten years are 450,000 orders)."""
    advisors = list(get_user_model().objects.filter(groups__name="advisor").order_by("id"))
    builder = VisitBuilder(run, advisors)
    # The archive demo's vehicles: sold on a known day, under warranty from it, no visits.
    vehicles = (
        Vehicle.objects.filter(
            sale_date__isnull=False, warranty_end__isnull=False, work_orders__isnull=True
        )
        .only("id", "owner_id", "sale_date", "warranty_end", "model_name")
        .order_by("id")
    )
    total = vehicles.count()
    counts = {"vehicles": 0, "work_orders": 0, "lines": 0}
    last_id = 0
    while batch := list(vehicles.filter(id__gt=last_id)[:BATCH]):
        last_id = batch[-1].id
        with transaction.atomic():
            _seed_batch(builder, batch, counts)
        run.log(f"  {counts['vehicles']}/{total} 辆车的维修记录 · {counts['work_orders']} 张工单")
    return counts["work_orders"], counts["lines"]


def _seed_batch(builder: VisitBuilder, vehicles: list[Vehicle], counts: dict) -> None:
    orders, line_groups, visited = [], [], []
    for vehicle in vehicles:
        visits = builder.visits(vehicle)
        if visits:
            visited.append(vehicle)
        for work_order, lines in visits:
            orders.append(work_order)
            line_groups.append(lines)
    WorkOrder.objects.bulk_create(orders, batch_size=BATCH)
    lines = []
    for work_order, group in zip(orders, line_groups, strict=True):
        for line in group:
            line.work_order = work_order
            lines.append(line)
    WorkOrderLine.objects.bulk_create(lines, batch_size=BATCH * 2)
    # Each vehicle's odometer as its last visit recorded it, in one UPDATE (bulk_update
    # builds a CASE per row: minutes at ten years of vehicles).
    last_visit = WorkOrder.objects.filter(vehicle=OuterRef("pk")).order_by("-opened_at", "-id")
    Vehicle.objects.filter(pk__in=[vehicle.pk for vehicle in visited]).update(
        mileage=Subquery(last_visit.values("mileage")[:1]),
        mileage_recorded_on=Subquery(
            last_visit.annotate(day=TruncDate("opened_at")).values("day")[:1]
        ),
    )
    counts["vehicles"] += len(vehicles)
    counts["work_orders"] += len(orders)
    counts["lines"] += len(lines)
