"""The demo dealership (`seed_demo`): each app's demo module, run in INSTALLED_APPS order;
deterministic; the same volume per year; nothing dated after the moment it is loaded.

A small dealership keeps these fast: CUSTOMERS_PER_YEAR is patched down (the volume a
year is a module constant, so the patched run is the real code at a smaller scale).
"""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from apps.appointments.models import AppointmentSlot
from apps.callbacks.models import CallAnswer, CallAttempt, Callback, CallItem, Problem
from apps.complaints.models import Channel, Complaint, ComplaintStep
from apps.complaints.selectors import overdue_q
from apps.core import seeding
from apps.core.calendar import day_start
from apps.core.discovery import app_modules
from apps.core.models import JobRun
from apps.customers import demo as customers_demo
from apps.customers.models import Customer, SalesDocument, SalesFile, Vehicle, VehicleOwnership
from apps.parts.models import Part
from apps.stock import demo as stock_demo
from apps.stock.models import (
    GoodsReceipt,
    IssueSlip,
    PurchaseRequest,
    Stock,
    StockCount,
    StockMovement,
)
from apps.warranty.models import DocumentBatch, MonthlyStatement, WarrantyWatch
from apps.workorders.models import (
    CannedJob,
    LabourOperation,
    NumberSequence,
    WorkOrder,
    WorkOrderLine,
)
from apps.workshop.models import Job
from tests.factories.clock import SHANGHAI

pytestmark = pytest.mark.django_db

SMALL = 300  # customers a year: a few visits every day, loaded in a couple of seconds
# A Friday afternoon: today's visits until now exist, later ones must not.
LOADED_AT = dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI)


@pytest.fixture
def small_demo(monkeypatch):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", SMALL)
    monkeypatch.setattr(customers_demo, "BATCH", 200)  # several batches, as at full size
    # A wider catalogue of a few hundred parts instead of a few thousand.
    monkeypatch.setattr(stock_demo, "WIDER_KINDS", stock_demo.WIDER_KINDS[:4])


def _seed(*, seed=7, years=1, now=LOADED_AT) -> seeding.DemoRun:
    return seeding.seed_all(seeding.DemoRun(seed=seed, years=years, now=now, log=lambda _: None))


def test_every_app_with_demo_data_has_its_own_module_run_lower_layers_first():
    assert [module.__name__ for module in app_modules("demo")] == [
        "apps.core.demo",
        "apps.accounts.demo",
        "apps.customers.demo",
        "apps.workorders.demo",
        "apps.appointments.demo",
        "apps.stock.demo",
        "apps.warranty.demo",
        "apps.workshop.demo",
        "apps.callbacks.demo",
        "apps.complaints.demo",
    ]
    assert [module.__name__ for module in app_modules("bench")] == [
        "apps.customers.bench",
        "apps.workorders.bench",
        "apps.appointments.bench",
        "apps.stock.bench",
        "apps.warranty.bench",
        "apps.workshop.bench",
        "apps.callbacks.bench",
        "apps.complaints.bench",
        "apps.dashboard.bench",
    ]


@time_machine.travel(LOADED_AT, tick=False)
def test_nothing_in_the_demo_is_dated_after_the_moment_it_is_loaded(small_demo):
    now = timezone.now()

    _seed(now=now, years=3)

    today = timezone.localdate()
    # Not vacuous: the demo has visits today before now, and cars still in the workshop
    # (opened today or yesterday, delivery still ahead).
    today_start = dt.datetime.combine(today, dt.time.min, tzinfo=SHANGHAI)
    assert WorkOrder.objects.filter(opened_at__gte=today_start).exists()
    in_workshop = WorkOrder.objects.filter(status=WorkOrder.Status.IN_PROGRESS)
    assert in_workshop.exists()
    assert not in_workshop.filter(delivered_at__isnull=False).exists()
    assert not WorkOrder.objects.filter(
        status=WorkOrder.Status.SETTLED, delivered_at__isnull=True
    ).exists()
    latest = WorkOrder.objects.aggregate(opened=Max("opened_at"), delivered=Max("delivered_at"))
    assert latest["opened"] <= now
    assert latest["delivered"] <= now
    for model in apps.get_models():
        if any(field.name == "created_at" for field in model._meta.fields):
            newest = model.objects.aggregate(newest=Max("created_at"))["newest"]
            assert newest is None or newest <= now, model.__name__
    for model, field in [
        (Vehicle, "sale_date"),
        (Vehicle, "mileage_recorded_on"),
        (VehicleOwnership, "started_on"),
        (SalesFile, "delivered_on"),
        (SalesFile, "documents_completed_on"),
        (SalesDocument, "received_on"),
        (Customer, "club_joined_on"),
    ]:
        assert model.objects.aggregate(last=Max(field))["last"] <= today, f"{model}.{field}"


def _fingerprint() -> dict:
    return {
        "customers": list(
            Customer.objects.order_by("mobile").values_list(
                "name", "mobile", "id_number", "created_at", "segment"
            )
        ),
        "vehicles": list(
            Vehicle.objects.order_by("vin").values_list(
                "vin", "plate", "owner__mobile", "created_at", "mileage", "mileage_recorded_on"
            )
        ),
        "visits": list(
            WorkOrder.objects.order_by("number").values_list(
                "number", "vehicle__vin", "opened_at", "delivered_at", "status", "total_amount"
            )
        ),
        "sales_files": list(
            SalesFile.objects.order_by("vehicle__vin").values_list(
                "vehicle__vin", "documents_due_on", "documents_completed_on"
            )
        ),
        "callbacks": sorted(
            Callback.objects.values_list(
                "kind", "vehicle__vin", "opens_on", "due_on", "status", "closed_at"
            )
        ),
        "answers": sorted(
            CallAnswer.objects.values_list(
                "callback__kind", "callback__vehicle__vin", "callback__due_on", "code", "score"
            )
        ),
        "problems": sorted(
            Problem.objects.values_list(
                "callback__vehicle__vin", "question", "score", "status", "handled_at"
            )
        ),
        "complaints": list(
            Complaint.objects.order_by("number").values_list(
                "number", "customer__mobile", "channel", "status", "received_at", "closed_at"
            )
        ),
        "stock": list(
            Stock.objects.order_by("part__number").values_list(
                "part__number", "on_hand", "value", "bin", "minimum"
            )
        ),
    }


def _delete_demo_data():
    """Everything the demo loads but the logins and the floor's set-up (found again by name
    when seeding): TRUNCATE … CASCADE also empties every table that refers to these (lines,
    claims, appointments, jobs, checks, …), whatever app added it. The catalogue goes too:
    the stock demo widens it after the visits were drawn from it."""
    models = [
        Part,
        LabourOperation,
        CannedJob,
        Customer,
        Vehicle,
        WorkOrder,
        NumberSequence,
        Stock,
        StockMovement,
        GoodsReceipt,
        IssueSlip,
        PurchaseRequest,
        StockCount,
        JobRun,
        Callback,
        CallItem,
        AppointmentSlot,
        DocumentBatch,
        MonthlyStatement,
        WarrantyWatch,
        Job,
    ]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred FK checks
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@time_machine.travel(LOADED_AT, tick=False)
def test_the_same_seed_and_moment_give_the_same_dealership(small_demo):
    # As on a fresh database: the ids start at 1 (samples are drawn by id), whatever
    # earlier tests took from the sequences.
    _delete_demo_data()
    _seed(seed=11)
    first = _fingerprint()
    _delete_demo_data()

    _seed(seed=11)

    assert _fingerprint() == first
    _delete_demo_data()
    _seed(seed=12)
    assert _fingerprint()["customers"] != first["customers"]


@time_machine.travel(LOADED_AT, tick=False)
def test_the_demo_has_the_volume_of_a_year_per_year(small_demo):
    _seed(years=2)

    assert Customer.objects.count() == 2 * SMALL
    vehicles = Vehicle.objects.count()
    assert 1.1 * 2 * SMALL < vehicles < 1.3 * 2 * SMALL  # one in five customers has two
    assert VehicleOwnership.objects.filter(ended_on__isnull=True).count() == vehicles
    created = Customer.objects.values_list("created_at", flat=True)
    start = LOADED_AT - dt.timedelta(days=2 * 365 + 1)
    assert min(created) >= start
    # Sales files only for the cars the store sold (its own brand, bought here).
    assert not SalesFile.objects.exclude(
        vehicle__brand="大众", vehicle__owner__source=Customer.Source.BOUGHT_HERE
    ).exists()
    assert WorkOrderLine.objects.count() > WorkOrder.objects.count() > 0
    # Segments are computed from the visits, after they were loaded.
    assert not Customer.objects.filter(segment_computed_on__isnull=True).exists()
    # Callbacks of every kind the history holds, made once per event by the generator;
    # those whose window passed two days ago are closed; today's queue is built.
    kinds = set(Callback.objects.values_list("kind", flat=True))
    assert {"3dc", "7dc", "monthly", "annual", "level2", "level3"} <= kinds
    today = timezone.localdate(LOADED_AT)
    start = today - dt.timedelta(days=2 * 365)
    # every delivery whose 3DC window (day 3 to 5) met a day of the demo, up to today
    assert Callback.objects.filter(kind="3dc").count() == (
        WorkOrder.objects.exclude(kind="internal")
        .filter(delivered_at__gte=day_start(start - dt.timedelta(days=5)))
        .filter(delivered_at__lt=day_start(today - dt.timedelta(days=2)))
        .count()
    )
    assert not Callback.objects.filter(
        status="open", due_on__lt=today - dt.timedelta(days=2)
    ).exists()
    assert CallItem.objects.filter(day=today, status="waiting").exists()
    assert set(
        JobRun.objects.filter(job="callbacks-generate").values_list("status", flat=True)
    ) == {"succeeded"}


@time_machine.travel(LOADED_AT, tick=False)
def test_seed_demo_prints_its_progress_the_totals_and_the_logins(small_demo):
    out = io.StringIO()

    call_command("seed_demo", years=1, seed=3, stdout=out)

    lines = out.getvalue().splitlines()
    counts = (
        Customer.objects.count(),
        Vehicle.objects.count(),
        WorkOrder.objects.count(),
        WorkOrderLine.objects.count(),
    )
    assert lines[0] == "生成 1 年的演示数据(seed=3)……"
    # The archive's batches, the catalogue, the visits' batches, the live flow, then the
    # stock's history by chunks of parts and its closing line.
    progress = lines[1:-2]
    assert progress[0].startswith(f"  200/{SMALL} 位客户 · ")
    assert progress[1] == f"  {SMALL}/{SMALL} 位客户 · {counts[1]} 辆车"
    assert progress[2].startswith("  维修目录 · ")
    flow_line = r"  工单流程：近 14 天 (\d+) 张已结算，今日 12 张（[\d.]+ 秒）"
    at = next(n for n, line in enumerate(progress) if line.startswith("  工单流程"))
    flow = re.fullmatch(flow_line, progress[at])
    assert flow, progress[at]
    bulk = counts[2] - int(flow[1]) - 12
    # Received appointments open orders of their own, after the bulk history.
    assert re.fullmatch(
        rf"  {counts[1]}/{counts[1]} 辆车的维修记录 · (\d+) 张工单", progress[at - 1]
    )
    assert int(re.search(r"· (\d+) 张工单", progress[at - 1])[1]) <= bulk
    callbacks = Callback.objects.count()
    queue = CallItem.objects.filter(day=timezone.localdate()).count()
    movements = StockMovement.objects.count()
    stock_line = (
        r"  配件库存 · \d+ 个扩展目录配件 · \d+ 条历史流水 · \d+ 张待到货请购单\([\d.]+ 秒\)"
    )
    history_line = (
        rf"  回访记录:\d+ 次拨打 · \d+ 条答案 · "  # (the complaints' second callbacks come after)
        rf"{Problem.objects.count()} 个问题 · \d+ 条二次回访\([\d.]+ 秒\)"
    )
    complaints_line = (
        rf"  投诉:{Complaint.objects.count()} 件\(来自回访 \d+ 件,未结案 \d+ 件\)\([\d.]+ 秒\)"
    )
    for pattern in (r"  回访:\d+ 条\([\d.]+ 秒\)", history_line, complaints_line, stock_line):
        assert sum(bool(re.fullmatch(pattern, line)) for line in progress) == 1, (pattern, progress)
    summary = lines[-2]
    assert summary.startswith(
        f"完成:{counts[0]} 位客户,{counts[1]} 辆车,{counts[2]} 张工单,{counts[3]} 行明细,"
    )
    problems = Problem.objects.count()
    assert f"{callbacks} 条回访(今日回访队列 {queue} 位客户,{problems} 个回访问题)" in summary
    assert f"{Complaint.objects.count()} 件投诉" in summary
    assert f"{movements} 条库存流水" in summary
    assert lines[-1] == "演示账号:角色代码即用户名,密码 demo1234"
    logins = get_user_model().objects.filter(username__in=["advisor", "technician", "admin"])
    assert all(user.check_password("demo1234") for user in logins)
    assert logins.count() == 3


@time_machine.travel(LOADED_AT, tick=False)
def test_seed_demo_if_empty_keeps_an_existing_demo_and_only_checks_the_logins(small_demo):
    call_command("seed_demo", years=1, seed=3, stdout=io.StringIO())
    before = _fingerprint()
    # A login lost (one no demo data names) and one taken out of its role.
    get_user_model().objects.filter(username="admin").delete()
    get_user_model().objects.get(username="qc").groups.clear()
    out = io.StringIO()

    call_command("seed_demo", years=1, seed=4, if_empty=True, stdout=out)

    assert out.getvalue().splitlines() == [
        "演示数据已存在,跳过生成。",
        "演示账号:角色代码即用户名,密码 demo1234",
    ]
    assert _fingerprint() == before
    assert get_user_model().objects.get(username="qc").groups.get().name == "qc"
    assert get_user_model().objects.get(username="admin").groups.get().name == "admin"


@time_machine.travel(LOADED_AT, tick=False)
def test_the_care_loop_of_the_demo_is_consistent(small_demo):
    _seed(years=2)
    now, today = timezone.now(), timezone.localdate()

    # Every reached callback has its questionnaire's answers; an unreachable one three
    # failed calls and no answers; the paint is asked only after body or paint work.
    reached = Callback.objects.filter(status="done", outcome="reached")
    assert reached.exists()
    assert not reached.filter(answers__isnull=True).exists()
    unreachable = Callback.objects.filter(status="unreachable")
    assert unreachable.exists()
    assert not unreachable.filter(answers__isnull=False).exists()
    assert {c.call_attempts.count() for c in unreachable} == {3}
    assert (
        not CallAnswer.objects.filter(code="quality_paint")
        .exclude(callback__work_order__kind="accident")
        .exists()
    )
    # Most scores are 4 or 5; some are 3 or below, and each of those is a problem.
    scores = CallAnswer.objects.filter(score__isnull=False)
    assert 0.9 <= scores.filter(score__gte=4).count() / scores.count() <= 0.97
    low = set(scores.filter(score__lte=3).values_list("callback_id", "code"))
    assert low == set(Problem.objects.exclude(question="").values_list("callback_id", "question"))
    assert set(Callback.objects.filter(is_problem=True).values_list("pk", flat=True)) == set(
        Problem.objects.values_list("callback_id", flat=True)
    )
    assert CallAnswer.objects.filter(code="words").exclude(text="").exists()
    # Problems: the recent ones open, the others handled with the quick-handling form (and
    # followed by a second callback) or escalated to a complaint of that callback.
    assert Problem.objects.filter(status="open").exists()
    closed = Problem.objects.filter(status="closed")
    assert closed.exists()
    assert not closed.filter(action="").exists()
    assert not closed.filter(handled_at__isnull=True).exists()
    assert not closed.exclude(callback__followups__kind="second").exists()
    escalated = Problem.objects.filter(status="escalated")
    assert escalated.exists()
    for problem in escalated:
        complaint = Complaint.objects.get(pk=problem.complaint_id)
        assert complaint.source_callback_id == problem.callback_id
    # Complaints: every channel and state; each step starts where the last one ended; the
    # closed ones were closed by a satisfied second callback or by the manager with a reason.
    complaints = Complaint.objects.all()
    assert set(complaints.values_list("channel", flat=True)) >= set(Channel.values) - {"other"}
    assert set(complaints.values_list("status", flat=True)) == set(Complaint.Status.values)
    assert not complaints.filter(channel="maker", maker_deadline__isnull=True).exists()
    assert complaints.filter(overdue_q(today)).exists()
    for complaint in complaints.prefetch_related("steps"):
        steps = list(complaint.steps.all())
        assert steps[0].transition == "receive"
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.from_status == before.to_status, complaint.number
            assert after.at >= before.at
        assert steps[-1].to_status == complaint.status
        if complaint.status == "closed":
            assert steps[-1].transition in ("second_satisfied", "manager_close")
            assert complaint.evaluation and complaint.closed_at
            if complaint.closed_by_manager:
                assert steps[-1].note
            elif complaint.source_callback_id:
                second = complaint.second_callback
                assert second.status == "done" and second.answers.exists()
        if complaint.status == "invalid":
            assert steps[-1].transition == "judge_invalid" and complaint.invalid_reason
    # Today's queue for the clerks: some calls due or overdue; nothing after now.
    todays = CallItem.objects.filter(day=today)
    assert todays.filter(due_on__lte=today).exists()
    for model, field in [
        (CallAttempt, "at"),
        (Problem, "handled_at"),
        (ComplaintStep, "at"),
        (Complaint, "received_at"),
        (Complaint, "closed_at"),
        (Callback, "closed_at"),
    ]:
        last = model.objects.aggregate(last=Max(field))["last"]
        assert last is None or last <= now, f"{model.__name__}.{field}"
