"""One definition of a paid visit (DOMAIN.md §8): every visit except cancelled ones and
free-campaign-only ones; warranty and insurance visits count. Segments and the card's
visit continuity both use it."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.customers import services
from apps.customers.models import Customer
from apps.workorders.models import Payer, WorkOrder, WorkOrderLine
from apps.workorders.selectors import is_paid_visit, paid_visits
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory, WorkOrderLineFactory

pytestmark = pytest.mark.django_db

# (kind, status, payers of its lines, customer paid, counts as a paid visit)
CASES = {
    "customer_paid": ("maintenance", "settled", ["customer"], "600", True),
    "warranty_only": ("warranty", "settled", ["warranty", "warranty"], "0", True),
    "insurance_only": ("accident", "settled", ["insurance"], "0", True),
    "internal": ("internal", "settled", ["internal"], "0", True),
    "campaign_only": ("campaign", "settled", ["campaign", "campaign"], "0", False),
    "campaign_plus_paid_part": ("campaign", "settled", ["campaign", "customer"], "80", True),
    "cancelled": ("maintenance", "cancelled", ["customer"], "600", False),
    "no_lines_yet": ("maintenance", "draft", [], "0", True),
    "campaign_no_lines_yet": ("campaign", "draft", [], "0", False),
}


def _visit(vehicle, kind, status, payers, paid, *, on=dt.date(2026, 6, 1)):
    visit = WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        kind=kind,
        status=status,
        opened_at=timezone.make_aware(dt.datetime.combine(on, dt.time(10))),
        customer_paid_amount=Decimal(paid),
    )
    for payer in payers:
        WorkOrderLineFactory(work_order=visit, payer=payer)
    return visit


def test_the_queryset_and_the_loaded_visit_agree_on_every_kind_of_visit():
    vehicle = VehicleFactory()
    visits = {name: _visit(vehicle, *case[:4]) for name, case in CASES.items()}
    expected = {name for name, case in CASES.items() if case[4]}

    in_queryset = set(paid_visits().values_list("pk", flat=True))
    loaded = WorkOrder.objects.prefetch_related("lines")
    by_predicate = {wo.pk for wo in loaded if is_paid_visit(wo)}

    assert {name for name, v in visits.items() if v.pk in in_queryset} == expected
    assert by_predicate == in_queryset


@time_machine.travel(dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC), tick=False)
def test_warranty_visits_count_for_the_segment_and_campaign_only_ones_do_not():
    # Given a customer with two warranty visits the maker paid for (customer paid 0)
    warranty_customer = CustomerFactory()
    car = VehicleFactory(owner=warranty_customer)
    for month in (3, 9):
        _visit(car, "warranty", "settled", ["warranty"], "0", on=dt.date(2026, month, 1))
    # and one with two free campaign checks only
    campaign_customer = CustomerFactory()
    other = VehicleFactory(owner=campaign_customer)
    for month in (3, 9):
        _visit(other, "campaign", "settled", ["campaign"], "0", on=dt.date(2026, month, 1))

    services.customers_recompute_segments(on=dt.date(2026, 12, 1))

    segments = dict(Customer.objects.values_list("pk", "segment"))
    # 2 paid visits make a 普通客户 (segment_normal_visits = 2)
    assert segments[warranty_customer.pk] == Customer.Segment.NORMAL
    assert segments[campaign_customer.pk] == Customer.Segment.SMALL


def test_the_card_counts_a_warranty_visit_as_the_last_paid_visit(role_client):
    car = VehicleFactory()
    _visit(car, "maintenance", "settled", ["customer"], "600", on=dt.date(2026, 3, 1))
    _visit(car, "warranty", "settled", ["warranty"], "0", on=dt.date(2026, 6, 1))
    _visit(car, "campaign", "settled", ["campaign"], "0", on=dt.date(2026, 9, 1))
    client = role_client("advisor")

    response = client.get(reverse("customers:customer_detail", args=[car.owner.pk]))

    summary = response.context["summary"]
    assert summary["paid_count"] == 2
    assert timezone.localdate(summary["last_paid_visit"]) == dt.date(2026, 6, 1)
    assert WorkOrderLine.objects.filter(payer=Payer.CAMPAIGN).count() == 1
