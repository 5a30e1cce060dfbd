"""The warranty pages in `make bench` (apps.core.benchmark): the claim list (page 1, and
one state in one month), a claim's page, the 三包 counts of a vehicle with 30 visits, and
the warranty clerk's 工作台 (its deadlines, rejections, invoice reminders and 三包 warnings).

The vehicle with 30 visits: the demo's busiest vehicle, its history topped up to 30 visits
(a warranty repair with its claim every few months, marked BENCH_WORDS) when it has fewer,
once; later runs find it again.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import Operation
from apps.customers.models import Vehicle
from apps.workorders.models import Payer, WorkOrder, WorkOrderLine
from apps.workorders.services import stored_totals, work_order_totals

from . import services
from .models import ClaimLine, WarrantyClaim

VISITS = 30  # the "a vehicle with 30 visits"
BENCH_WORDS = "性能测试:30 次进厂"


def data() -> dict[str, int]:
    return {"warranty claims": WarrantyClaim.objects.count()}


def thirty_visit_vehicle() -> Vehicle:
    """The vehicle the counts are measured on: the one with the most visits, topped up
    with warranty repairs (and their claims) to VISITS visits when it has fewer."""
    marked = WorkOrder.objects.filter(customer_words=BENCH_WORDS).values("vehicle_id").first()
    if marked:
        return Vehicle.objects.get(pk=marked["vehicle_id"])
    busiest = (
        Vehicle.objects.annotate(visits=Count("work_orders")).order_by("-visits", "id").first()
    )
    missing = VISITS - busiest.visits
    clerk = get_user_model().objects.filter(username="warranty").first()
    last = busiest.work_orders.order_by("-opened_at").values_list("opened_at", flat=True).first()
    last = last or timezone.now() - dt.timedelta(days=365)
    for serial in range(max(missing, 1)):
        opened = last - dt.timedelta(days=45 * (serial + 1))
        lines = [
            WorkOrderLine(
                kind=WorkOrderLine.Kind.PART,
                description="三包更换零件",
                quantity=Decimal(1),
                unit_price=Decimal("900.00"),
                amount=Decimal("900.00"),
                payer=Payer.WARRANTY,
            ),
        ]
        order = WorkOrder.objects.create(
            number=f"WO{timezone.localdate(opened):%Y%m%d}8{serial:04d}",
            vehicle=busiest,
            customer_id=busiest.owner_id,
            kind=WorkOrder.Kind.WARRANTY,
            status=WorkOrder.Status.SETTLED,
            opened_at=opened,
            delivered_at=opened + dt.timedelta(days=1),
            settled_at=opened + dt.timedelta(days=1),
            mileage=max(busiest.mileage - 2000 * (serial + 1), 0),
            customer_words=BENCH_WORDS,
            created_at=opened,
            **stored_totals(work_order_totals(lines)),
        )
        lines[0].work_order = order
        WorkOrderLine.objects.bulk_create(lines)
        if clerk is not None:
            claim = services.claim_create(work_order=order, by=clerk)
            WarrantyClaim.objects.filter(pk=claim.pk).update(
                system="engine",
                main_part="点火线圈",
                fault_code="P0300",
                problem_key="engine:P0300",
                fault_description="发动机抖动",
            )
            ClaimLine.objects.filter(claim=claim).update(old_part_fault="点火线圈击穿")
    return busiest


def operations(data: dict[str, int]) -> list[Operation]:
    claims = data.get("warranty claims", 0)
    vehicle = thirty_visit_vehicle()
    claim = WarrantyClaim.objects.order_by("-id").first()
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    listing = reverse("warranty:claim_list")
    clerk = get_user_model().objects.filter(username="warranty").first()
    clerk_client = Client()
    if clerk is not None:
        clerk_client.force_login(clerk)
    home = reverse("dashboard:home")

    def clerk_home():
        response = clerk_client.get(home)
        if response.status_code != 200:
            raise RuntimeError(f"home (warranty clerk) answered {response.status_code}")

    visits = vehicle.work_orders.count()
    return [
        Operation("claim list page 1", listing, claims),
        Operation(
            "claim list (state, month)", f"{listing}?status=paid&month={month:%Y-%m}", claims
        ),
        Operation("claim page", reverse("warranty:claim_detail", args=[claim.pk]), claims),
        Operation(
            f"三包 counts ({VISITS} visits)",
            reverse("warranty:vehicle_status", args=[vehicle.pk]),
            visits,
        ),
        Operation("home (warranty clerk)", clerk_home, claims),
    ]
