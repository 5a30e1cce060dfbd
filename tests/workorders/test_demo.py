"""The work-order demo (`seed_demo`): the catalogue, the bulk history whose stored totals
come from the one totals function, and the live flow built through the services — today
an order in every state, the last two weeks settled with approvals, recommendations,
added items, payments and receivables — loaded once."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from apps.core import seeding
from apps.core.calendar import day_start
from apps.customers import demo as customers_demo
from apps.stock import demo as stock_demo
from apps.workorders import demo_live
from apps.workorders.models import (
    Approval,
    CannedJob,
    DamageMark,
    DelayNotice,
    Payment,
    Receivable,
    Recommendation,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)
from apps.workorders.selectors import work_orders_at_risk
from apps.workorders.services import approval_verify
from tests.factories.clock import SHANGHAI

pytestmark = pytest.mark.django_db

SMALL = 300  # customers a year
LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)
S = WorkOrder.Status


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", SMALL)
    monkeypatch.setattr(stock_demo, "WIDER_KINDS", stock_demo.WIDER_KINDS[:4])  # fewer parts
    monkeypatch.setattr(customers_demo, "BATCH", 200)
    with time_machine.travel(LOADED_AT, tick=False):
        run = seeding.seed_all(seeding.DemoRun(seed=7, years=1, now=LOADED_AT, log=lambda _: None))
        yield run


def _flow_orders():
    """Orders opened through the services (work_order_open gives each its reception sheet;
    the bulk history has none)."""
    return WorkOrder.objects.filter(inspection__isnull=False)


def test_today_has_an_order_in_every_state_through_the_services(demo):
    today = _flow_orders().filter(opened_at__gte=day_start(LOADED_AT.date()))
    assert set(today.values_list("status", flat=True)) == set(S.values)
    assert not WorkOrder.objects.filter(opened_at__gt=LOADED_AT).exists()
    draft = today.get(status=S.DRAFT, inspection__signature__isnull=False)
    assert draft.inspection.marks.filter(kind=DamageMark.Kind.SCRATCH).exists()
    assert draft.inspection.photos.count() == 1
    assert draft.lines.filter(canned_job__isnull=False).exists()
    waiting = today.get(status=S.IN_PROGRESS)
    assert waiting.lines.filter(is_added=True, status="proposed").exists()
    assert DelayNotice.objects.filter(work_order=waiting).exists()
    cancelled = today.get(status=S.CANCELLED)
    assert cancelled.status_changes.get().reason
    settled = today.get(status=S.SETTLED)
    assert settled.payments.count() == 2
    at_risk = work_orders_at_risk(now=LOADED_AT)
    assert [order.status for order in at_risk] == [S.TEAM_CHECKED]
    # The acting users are the demo logins of their roles.
    movers = set(StatusChange.objects.values_list("transition", "by__username"))
    assert ("dispatch", "supervisor") in movers
    assert ("start", "technician") in movers
    assert ("final_qc", "qc") in movers
    assert ("settle", "advisor") in movers


def test_the_last_two_weeks_have_settled_orders_with_the_flows_records(demo):
    past = _flow_orders().filter(
        opened_at__lt=day_start(LOADED_AT.date()),
        opened_at__gte=day_start(LOADED_AT.date() - dt.timedelta(days=demo_live.FLOW_DAYS)),
    )
    assert past.count() >= 2 * demo_live.FLOW_DAYS
    assert set(past.values_list("status", flat=True)) == {S.SETTLED}
    # Each order's times are its day's: opened, moved, settled on the day of its number.
    for order in past.prefetch_related("status_changes", "payments"):
        day = order.opened_at.astimezone(SHANGHAI).date()
        assert order.number.startswith(f"WO{day:%Y%m%d}")
        times = [change.at for change in order.status_changes.all()]
        assert times == sorted(times)
        assert order.opened_at < times[0] and times[-1] == order.settled_at
        assert {payment.received_at for payment in order.payments.all()} <= {order.settled_at}
        assert order.settled_at.astimezone(SHANGHAI).date() == day
    methods = Approval.objects.filter(work_order__in=past).values_list("method", flat=True)
    assert set(methods) == set(Approval.Method.values)
    assert Approval.objects.filter(kind=Approval.Kind.ADDED, work_order__in=past).exists()
    assert all(approval_verify(a) for a in Approval.objects.filter(method="signature")[:5])
    assert Recommendation.objects.filter(status=Recommendation.Status.OPEN).exists()
    assert Recommendation.objects.filter(status=Recommendation.Status.ACCEPTED).exists()
    assert len(set(Payment.objects.values_list("method", flat=True))) >= 3
    assert Receivable.objects.exists()
    assert WorkOrderLine.objects.filter(discount_approved_by__username="manager").exists()
    assert CannedJob.objects.exists()


def test_every_flow_orders_history_leads_to_its_status(demo):
    orders = _flow_orders().exclude(status=S.DRAFT).prefetch_related("status_changes")
    assert orders.count() > 20
    for order in orders:
        changes = sorted(order.status_changes.all(), key=lambda change: change.pk)
        assert changes[0].from_status == S.DRAFT
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_status == before.to_status, order.number
        assert changes[-1].to_status == order.status, order.number


def test_stored_totals_of_the_whole_demo_check_out(demo):
    out = io.StringIO()

    call_command("check_workorder_totals", stdout=out)  # exits 1 when any differs

    assert out.getvalue() == "all stored work-order totals match their lines\n"


def test_the_live_flow_is_loaded_once(demo):
    counts = (
        WorkOrder.objects.count(),
        StatusChange.objects.count(),
        Recommendation.objects.count(),
    )

    with time_machine.travel(LOADED_AT + dt.timedelta(hours=1), tick=False):
        demo_live.seed_flow(demo)
        call_command("seed_demo", years=1, if_empty=True, stdout=io.StringIO())

    assert (
        WorkOrder.objects.count(),
        StatusChange.objects.count(),
        Recommendation.objects.count(),
    ) == counts
    assert not WorkOrder.objects.values("number").annotate(n=Count("id")).filter(n__gt=1)
