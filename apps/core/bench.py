"""The benchmark behind `make bench`: real pages through the whole Django stack, measured
at ten years of data. One line per operation; the same figures go to var/bench/latest.json
so that runs can be compared.
"""

import json
import statistics
import time
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from apps.customers.models import Customer, Vehicle
from apps.workorders.models import WorkOrder, WorkOrderLine

WARM_UP = 3  # runs discarded: first-touch caches, template loading
RUNS = 30  # measured runs per operation: enough for a stable p95


@dataclass
class Figure:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    sql_ratio: float
    rows: int


class SqlTimer:
    """connection.execute_wrapper that counts queries and adds up their time."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def measure(client: Client, name: str, url: str, rows: int) -> Figure:
    totals, sql_totals, counts = [], [], set()
    for run in range(WARM_UP + RUNS):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}")
        if run >= WARM_UP:
            totals.append(elapsed)
            sql_totals.append(timer.seconds)
            counts.add(timer.queries)
    if len(counts) != 1:
        raise RuntimeError(f"{name}: query count varies between runs: {sorted(counts)}")
    totals.sort()
    p95 = totals[min(len(totals) - 1, round(0.95 * len(totals)) - 1)]
    sql = sum(sql_totals) or 1e-9
    return Figure(
        name=name,
        median_ms=round(statistics.median(totals) * 1000, 2),
        p95_ms=round(p95 * 1000, 2),
        queries=counts.pop(),
        sql_ratio=round(sum(totals) / sql, 2),
        rows=rows,
    )


def subjects() -> dict:
    """Real values to search for and pages to open, picked from the seeded data."""
    by_visits = Customer.objects.annotate(visits=Count("work_orders")).values_list("id", "visits")
    # The card the issue names (a customer with about 30 visits) and the heaviest one.
    typical = by_visits.filter(visits__gte=30).order_by("visits", "id").first()
    loyal = by_visits.order_by("-visits", "id").first()
    vehicle = Vehicle.objects.filter(owner_id=loyal[0]).order_by("id").first()
    customer = Customer.objects.filter(kind=Customer.Kind.PERSON).order_by("id")[1000]
    three_char = (
        Customer.objects.filter(kind=Customer.Kind.PERSON, name__regex=r"^.{3}$")
        .order_by("id")
        .values_list("name", flat=True)[500]
    )
    page_500_cursor = Customer.objects.order_by("-id").values_list("id", flat=True)[500 * 25 - 1]
    return {
        "card_customer": typical[0],
        "card_visits": typical[1],
        "loyal_customer": loyal[0],
        "loyal_visits": loyal[1],
        "vehicle": vehicle,
        "plate_fragment": vehicle.plate[3:7],
        "vin_last6": vehicle.vin[-6:],
        "phone_last4": customer.mobile[-4:],
        "surname": three_char[0],
        "given_name": three_char[1:],
        "full_name": three_char,
        "page_500_cursor": page_500_cursor,
    }


def run(*, out_dir, log=print) -> list[Figure]:
    customers = Customer.objects.count()
    vehicles = Vehicle.objects.count()
    work_orders = WorkOrder.objects.count()
    log(
        f"data: {customers} customers · {vehicles} vehicles · {work_orders} work orders"
        f" · {WorkOrderLine.objects.count()} lines"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    s = subjects()
    search = reverse("customers:search")
    operations = [
        ("search plate fragment", f"{search}?q={s['plate_fragment']}", vehicles),
        ("search VIN last 6", f"{search}?q={s['vin_last6']}", vehicles),
        ("search phone last 4", f"{search}?q={s['phone_last4']}", customers),
        ("search surname (1 char)", f"{search}?q={s['surname']}", customers),
        ("search given name (2 chars)", f"{search}?q={s['given_name']}", customers),
        ("search full name (3 chars)", f"{search}?q={s['full_name']}", customers),
        (
            f"customer card ({s['card_visits']} visits)",
            reverse("customers:customer_detail", args=[s["card_customer"]]),
            work_orders,
        ),
        (
            f"customer card ({s['loyal_visits']} visits)",
            reverse("customers:customer_detail", args=[s["loyal_customer"]]),
            work_orders,
        ),
        (
            "vehicle detail",
            reverse("customers:vehicle_detail", args=[s["vehicle"].pk]),
            work_orders,
        ),
        ("customer list page 1", reverse("customers:customer_list"), customers),
        (
            "customer list page 500",
            f"{reverse('customers:customer_list')}?after={s['page_500_cursor']}",
            customers,
        ),
        ("vehicle list page 1", reverse("customers:vehicle_list"), vehicles),
        ("home (advisor)", reverse("accounts:home"), work_orders),
    ]
    figures = []
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(get_user_model().objects.get(username="advisor"))
        header = ("operation", "median ms", "p95 ms", "queries", "total/SQL", "rows")
        log("{:32} {:>10} {:>8} {:>8} {:>10} {:>9}".format(*header))
        for name, url, rows in operations:
            figure = measure(client, name, url, rows)
            figures.append(figure)
            log(
                f"{figure.name:32} {figure.median_ms:10.2f} {figure.p95_ms:8.2f}"
                f" {figure.queries:8d} {figure.sql_ratio:10.2f} {figure.rows:9d}"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(
        json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=2)
    )
    return figures
