"""`manage.py bench` (make bench) on a small demo: it seeds an empty database or reuses a
seeded one, refuses a half-seeded one, and measures the same operations, by the same
names, as before each app listed its own (so figures stay comparable between runs), and the
search paging and the reveal added since, and the work-order pages."""

import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.core.management import call_command

from apps.core import benchmark
from apps.customers import demo as customers_demo
from apps.customers.models import Customer
from apps.stock import demo as stock_demo
from tests.factories.clock import SHANGHAI
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db

SMALL = 200  # customers a year
OPERATIONS = [  # patterns: the card's name says how many visits the chosen card has
    "search plate fragment",
    "search VIN last 6",
    "search phone last 4",
    r"search surname \(1 char\)",
    "search surname page 2",
    r"search given name \(2 chars\)",
    r"search full name \(3 chars\)",
    "search work-order prefix",
    "search work-order last 6",
    r"reveal mobile \(显示, logged\)",
    r"customer card \(\d+ visits\)",
    r"customer card \(\d+ visits\)",
    "vehicle detail",
    "customer list page 1",
    "customer list page 500",
    "vehicle list page 1",
    r"work-order page \(40 lines\)",
    "work-order list page 1",
    r"work-order list \(advisor, month\)",
    "advisor home",
    r"estimate PDF \(render\)",
    r"appointment board \(busy day\)",
    "targets: maintenance due",
    "targets: insurance expiring",
    "targets: open recommendations",
    "appointment confirmations",
    r"appointment stats \(4 weeks\)",
    r"appointment stats \(a year\)",
    r"booking form \(tomorrow's slots\)",
    r"stock search \(name\)",
    r"stock search \(number prefix\)",
    "stock below minimum",
    "busy part at a past date",
    r"issue-slip creation \(5 lines\)",
    "work-order parts block",
    "claim list page 1",
    r"claim list \(state, month\)",
    "claim page",
    r"三包 counts \(\d+ visits\)",
    r"home \(warranty clerk\)",
    r"technician's jobs \(tablet\)",
    "technician's job page",
    "team lead's check queue",
    "final QC queue",
    r"workshop stats \(month\)",
    r"workshop stats \(year\)",
    "dispatch board",
    "job board",
    "job board refresh",
    r"call queue: next call \+ release",
    "call queue: 10 clerks at once",
    r"call queue page \(clerk\)",
    r"call screen \(long history\)",
    "callbacks: one day's generation",
    r"daily jobs: nothing due \(beat\)",
    r"jobs page \(manager\)",
    r"satisfaction \(month\)",
    r"satisfaction \(year\)",
    "complaint list",
    r"complaint list \(open, category\)",
    "complaint page",
    r"home \(advisor\)",
]


@pytest.fixture
def small_bench(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(customers_demo, "CUSTOMERS_PER_YEAR", SMALL)
    monkeypatch.setattr(stock_demo, "WIDER_KINDS", stock_demo.WIDER_KINDS[:4])  # fewer parts
    monkeypatch.setattr(benchmark, "WARM_UP", 0)
    monkeypatch.setattr(benchmark, "RUNS", 2)  # two: the query count must not vary
    settings.VAR_DIR = tmp_path
    return tmp_path


def _bench(err=None, **options) -> list[str]:
    out = io.StringIO()
    call_command("bench", stdout=out, stderr=err or io.StringIO(), **options)
    return out.getvalue().splitlines()


@time_machine.travel(dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI))
def test_bench_seeds_an_empty_database_then_measures_every_operation(small_bench):
    lines = _bench(years=1, seed=5)

    assert lines[0] == "seeding 1 years (seed 5) …"
    seeded = lines.index(next(line for line in lines if line.startswith("seeded in ")))
    assert re.fullmatch(r"seeded in \d+ s", lines[seeded])
    assert re.fullmatch(
        rf"data: {SMALL} customers · \d+ vehicles · \d+ work orders · \d+ lines"
        r" · \d+ appointments · \d+ targets · \d+ parts · \d+ stock movements"
        r" · \d+ warranty claims · \d+ jobs · \d+ callbacks · \d+ complaints",
        lines[seeded + 1],
    )
    assert lines[seeded + 2].split() == [
        "operation", "median", "ms", "p95", "ms", "queries", "total/SQL", "rows",
    ]  # fmt: skip
    measured = lines[seeded + 3 : -1]
    assert len(measured) == len(OPERATIONS)
    # The ten clerks' figures after the table: every round gave each item to one clerk.
    assert re.fullmatch(
        r"call queue, 10 clerks at once: \d+ next calls \(\d+ given\), p95 [\d.]+ ms,"
        r" 0 duplicates",
        lines[-1],
    ), lines[-1]
    for line, name in zip(measured, OPERATIONS, strict=True):
        assert re.fullmatch(rf"{name} +[\d.]+ +[\d.]+ +\d+ +[\d.]+ +\d+", line), line
    figures = json.loads((small_bench / "bench" / "latest.json").read_text())
    assert len(figures) == len(OPERATIONS)
    for figure, name in zip(figures, OPERATIONS, strict=True):
        assert re.fullmatch(name, figure["name"]), figure


@time_machine.travel(dt.datetime(2026, 11, 20, 14, 10, tzinfo=SHANGHAI))
def test_bench_reuses_a_seeded_database(small_bench):
    _bench(years=1, seed=5)
    customers = list(Customer.objects.values_list("id", flat=True))

    lines = _bench(years=1, seed=6)

    assert lines[0] == f"reusing the seeded data ({SMALL} customers)"
    assert list(Customer.objects.values_list("id", flat=True)) == customers


def test_bench_refuses_a_database_with_part_of_the_data(small_bench):
    CustomerFactory.create_batch(3)
    err = io.StringIO()

    with pytest.raises(SystemExit):
        _bench(err, years=1)

    assert err.getvalue() == f"3 customers found, {SMALL} wanted: reseed an empty DB.\n"
    assert Customer.objects.count() == 3
