"""The benchmark behind `make bench`: real pages through the whole Django stack, measured
at ten years of data. One line per operation; the same figures go to var/bench/latest.json
so that runs can be compared.

Each app lists the operations on its own pages in `apps/<app>/bench.py` (found through
apps.core.discovery, in INSTALLED_APPS order); every function is optional:

- ``data() -> dict[str, int]``: how much data the app holds, by noun ("customers": 50000);
  printed on the first line, and passed to every app's operations;
- ``notes() -> list[str]``: lines printed after the table (figures that are no operation
  of their own, e.g. the ten clerks' "next call" p95 and duplicates);
- ``operations(data) -> list[Operation]``: a name (kept stable, so figures stay
  comparable), a URL built from values picked out of the seeded data, and the size of
  the data the page reads. For work that is no page of its own (rendering a PDF), the URL
  may be a function taking no arguments: it is timed and its queries counted the same way.
"""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from .discovery import app_modules
from .server import tuned_gc
from .settings import areas, current_settings

WARM_UP = 3  # runs discarded: first-touch caches, template loading
RUNS = 30  # measured runs per operation: enough for a stable p95


BENCH_USER = "advisor"  # the demo login whose pages are measured (apps/accounts/demo.py)


class Operation(NamedTuple):
    name: str
    url: str | Callable[[], object]  # a page, or a function timed as one
    rows: int  # the size of the data the page reads
    method: str = "get"  # "post" for an action measured like a page (e.g. a reveal)


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


def measure(client: Client, name: str, url, rows: int, method: str = "get") -> Figure:
    totals, sql_totals, counts = [], [], set()
    for run in range(WARM_UP + RUNS):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            if callable(url):
                url()
                status = 200  # a function that returns did its work; a failure raises
            else:
                status = getattr(client, method)(url).status_code
            elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"{name}: {url} answered {status}")
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
        sql_ratio=round(sum(totals) / sql, 2) if sum(sql_totals) else 0.0,  # 0: no SQL here
        rows=rows,
    )


def run(*, out_dir, log=print) -> list[Figure]:
    modules = app_modules("bench")
    data = {}
    for module in modules:
        if hasattr(module, "data"):
            data.update(module.data())
    log("data: " + " · ".join(f"{count} {noun}" for noun, count in data.items()))
    with connection.cursor() as cursor:
        # As a live database is after autovacuum: fresh statistics, and the visibility map
        # that lets the figures' covering indexes answer without the table (VACUUM cannot
        # run inside a transaction: the tests' bench only analyses).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    # Every area's rules exist and are cached, as after a dealership's first page views:
    # the first measured page must not be the one that creates a settings row.
    for model in areas():
        current_settings(model)
    operations = [
        operation
        for module in modules
        if hasattr(module, "operations")
        for operation in module.operations(data)
    ]
    figures = []
    # The collector as the server tunes it (dms/wsgi.py): what is loaded so far is frozen.
    with tuned_gc(), override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(get_user_model().objects.get(username=BENCH_USER))
        header = ("operation", "median ms", "p95 ms", "queries", "total/SQL", "rows")
        log("{:32} {:>10} {:>8} {:>8} {:>10} {:>9}".format(*header))
        for name, url, rows, method in operations:
            figure = measure(client, name, url, rows, method)
            figures.append(figure)
            log(
                f"{figure.name:32} {figure.median_ms:10.2f} {figure.p95_ms:8.2f}"
                f" {figure.queries:8d} {figure.sql_ratio:10.2f} {figure.rows:9d}"
            )
    for module in modules:
        if hasattr(module, "notes"):
            for line in module.notes():
                log(line)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(
        json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=2)
    )
    return figures
