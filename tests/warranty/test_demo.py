"""The warranty demo (`seed_demo`): a claim for every settled warranty order, in every state
its age gives it, with its status changes, paper documents in monthly batches and monthly
invoices; the warning histories; nothing dated after the moment of loading; loaded once."""

import datetime as dt

import pytest
import time_machine
from django.db.models import Max

from apps.core import seeding
from apps.customers import demo as customers_demo
from apps.warranty import demo, selectors, services
from apps.warranty.models import (
    ClaimStatusChange,
    DocumentBatch,
    MonthlyStatement,
    WarrantyClaim,
    WarrantyWatch,
)
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.warranty import warranty_order
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db

LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)
S = WarrantyClaim.Status


@pytest.fixture
def loaded(monkeypatch):
    """A two-year demo of 400 customers a year (the live flow's last two weeks included)."""
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", 400)
    with time_machine.travel(LOADED_AT, tick=False):
        return seeding.seed_all(seeding.DemoRun(seed=7, years=2, now=LOADED_AT, log=lambda _: None))


def test_every_settled_warranty_order_has_its_claim_and_every_state_is_there(loaded):
    unclaimed = WorkOrder.objects.filter(
        kind=WorkOrder.Kind.WARRANTY,
        status=WorkOrder.Status.SETTLED,
        warranty_amount__gt=0,
        warranty_claims__isnull=True,
    )
    assert not unclaimed.exists()
    assert set(WarrantyClaim.objects.values_list("status", flat=True)) == set(S.values)
    # Each claim's moves lead to its state, in time order; nothing after the loading.
    for claim in WarrantyClaim.objects.prefetch_related("status_changes"):
        changes = list(claim.status_changes.all())
        path = [change.to_status for change in changes]
        assert (path[-1] if path else S.DRAFT) == claim.status, claim.number
        assert all(a.at <= b.at for a, b in zip(changes, changes[1:], strict=False))
        if claim.status == S.PAID:
            assert claim.paid_amount == claim.approved_amount <= claim.claimed_amount
    latest = [
        WarrantyClaim.objects.aggregate(Max(field))[f"{field}__max"]
        for field in ("created_at", "submitted_at", "decided_at", "paid_at", "documents_signed_at")
    ] + [ClaimStatusChange.objects.aggregate(Max("at"))["at__max"]]
    assert max(latest) <= LOADED_AT


def test_past_papers_are_batched_statements_invoiced_and_warnings_shown(loaded):
    this_month = LOADED_AT.date().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    batches = DocumentBatch.objects.all()
    assert batches.exists()
    assert all(batch.month < this_month for batch in batches)
    assert not WarrantyClaim.objects.filter(batch__isnull=False, documents_signed_at=None).exists()
    invoiced = set(MonthlyStatement.objects.values_list("month", flat=True))
    assert invoiced and max(invoiced) < last_month
    reminders = selectors.invoices_due(today=LOADED_AT.date())
    assert [due.month for due in reminders] == [last_month]
    # The warning histories reach or nearly reach their thresholds.
    lemons = WorkOrder.objects.filter(customer_words__startswith=demo.LEMON_WORDS)
    vehicles = {order.vehicle_id: order.vehicle for order in lemons.select_related("vehicle")}
    statuses = selectors.warranty_statuses(vehicles.values(), now=LOADED_AT)
    codes = {
        code
        for status in statuses.values()
        for code in (rule.code.split(":")[0] for rule in status.warnings)
    }
    assert len(vehicles) == len(demo.LEMONS)
    assert codes >= {"problem", "serious", "assembly", "days", "part", "courtesy"}
    levels = dict(
        WarrantyWatch.objects.filter(vehicle__in=vehicles).values_list("vehicle", "level")
    )
    assert set(levels.values()) == {WarrantyWatch.Level.NEAR, WarrantyWatch.Level.REACHED}


def test_a_later_claim_takes_the_next_number_and_a_second_load_adds_nothing(loaded):
    clerk = WarrantyClaim.objects.first().created_by
    with time_machine.travel(LOADED_AT + dt.timedelta(minutes=5), tick=False):
        order = warranty_order(by=flow_user())
        claim = services.claim_create(work_order=order, by=clerk)

    demo_numbers = WarrantyClaim.objects.exclude(pk=claim.pk).filter(number__startswith="CL202611")
    assert claim.number > max(demo_numbers.values_list("number", flat=True), default="")
    # A second load adds no claim.
    before = WarrantyClaim.objects.count()

    with time_machine.travel(LOADED_AT, tick=False):
        demo.seed(seeding.DemoRun(seed=7, years=2, now=LOADED_AT, log=lambda _: None))

    assert WarrantyClaim.objects.count() == before
