"""core.pagination.keyset_page: any order (ascending, descending, mixed) on date, datetime,
integer and text keys pages through every row exactly once, forwards and back; cursors
that cannot be read give the first page; and on PostgreSQL the page query reads the index
on its order, starting at the cursor (EXPLAIN with sequential scans, bitmap scans and
sorts priced out, so tiny tables cannot hide a missing index behind a cheap scan and
sort)."""

import base64
import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.pagination import decode_cursor, encode_cursor, keyset_page
from apps.customers import selectors
from apps.customers.models import Customer, SalesFile, Vehicle
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def _walk_forward(queryset, order, size):
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, order=order, after=cursor, size=size)
        pages.append(page)
        if page.next is None:
            return pages
        cursor = page.next


def _walk_back(queryset, order, size, last_page):
    pages, page = [last_page], last_page
    while page.previous is not None:
        page = keyset_page(queryset, order=order, before=page.previous, size=size)
        pages.append(page)
    return list(reversed(pages))


def _customers_with_ties():
    """11 customers: creation times out of id order, with ties; names with ties."""
    days = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    return [
        CustomerFactory(
            name=f"客户{day}",
            created_at=local_datetime(dt.date(2026, 1, day)),
        )
        for day in days
    ]


def _sort_key(order):
    def key(row):
        return tuple(getattr(row, field.removeprefix("-")) for field in order)

    return key


@pytest.mark.parametrize(
    "order",
    [
        ("-created_at", "-id"),  # datetime, newest first
        ("created_at", "id"),  # datetime, oldest first
        ("name", "id"),  # text with ties
        ("-name", "id"),  # mixed directions
        ("-id",),
        ("id",),
    ],
)
def test_pages_of_customers_hold_every_row_once_in_order_forwards_and_back(order):
    rows = _customers_with_ties()
    # Python's sort on the same keys, one direction at a time (stable sorts, last key first).
    expected = list(rows)
    for field in reversed(order):
        name = field.removeprefix("-")
        expected.sort(key=lambda row, name=name: getattr(row, name), reverse=field[0] == "-")

    forward = _walk_forward(Customer.objects.all(), order, size=4)
    back = _walk_back(Customer.objects.all(), order, size=4, last_page=forward[-1])

    assert [[c.pk for c in page.rows] for page in forward] == [
        [c.pk for c in expected[start : start + 4]] for start in range(0, 11, 4)
    ]
    assert [[c.pk for c in page.rows] for page in back] == [
        [c.pk for c in page.rows] for page in forward
    ]
    assert forward[0].previous is None and forward[-1].next is None


@pytest.mark.parametrize("order", [("-delivered_on", "-id"), ("documents_due_on", "id")])
def test_date_keys_page_in_order(order):
    for serial in range(7):
        SalesFileFactory(
            delivered_on=dt.date(2026, 3, 1) + dt.timedelta(days=serial % 3),
            documents_due_on=dt.date(2026, 3, 10) - dt.timedelta(days=serial % 4),
        )
    expected = sorted(SalesFile.objects.all(), key=lambda f: f.pk)
    for field in reversed(order):
        name = field.removeprefix("-")
        expected.sort(key=lambda row, name=name: getattr(row, name), reverse=field[0] == "-")

    pages = _walk_forward(SalesFile.objects.all(), order, size=3)

    assert [f.pk for page in pages for f in page.rows] == [f.pk for f in expected]
    assert [len(page.rows) for page in pages] == [3, 3, 1]


def test_a_unique_text_key_alone_pages():
    for name in ("丙", "甲", "乙", "丁", "戊"):
        Group.objects.create(name=f"组{name}")
    names = sorted(Group.objects.values_list("name", flat=True))

    pages = _walk_forward(Group.objects.all(), ("name",), size=2)

    assert [g.name for page in pages for g in page.rows] == names


def test_an_empty_list_is_one_empty_page():
    page = keyset_page(Customer.objects.all(), order=("-created_at", "-id"))

    assert (page.rows, page.previous, page.next) == ([], None, None)


def test_a_cursor_is_url_safe_and_reads_back_as_the_row_values():
    customer = CustomerFactory(created_at=local_datetime(dt.date(2026, 5, 1), hour=9))
    order = ("-created_at", "-id")

    cursor = encode_cursor(customer, order=order)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor, model=Customer, order=order) == [
        customer.created_at,
        customer.pk,
    ]


def _b64(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        None,
        "",
        "%%%",
        "a",  # not a whole base64 quantum
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
        _b64({"created_at": "2026-01-01"}),
        _b64(["2026-01-01T00:00:00+00:00"]),  # one value for two keys
        _b64(["2026-01-01T00:00:00+00:00", 1, 2]),
        _b64(["2026-01-01T00:00:00", 1]),  # no offset
        _b64(["2026-13-01T00:00:00+00:00", 1]),
        _b64(["yesterday", 1]),
        _b64(["2026-01-01T00:00:00+00:00", "one"]),
        _b64(["2026-01-01T00:00:00+00:00", True]),
        _b64(["2026-01-01T00:00:00+00:00", None]),
        _b64(["2026-01-01T00:00:00+00:00", 1.5]),
        _b64([["nested"], 1]),
    ],
)
def test_an_unreadable_cursor_reads_as_none(cursor):
    assert decode_cursor(cursor, model=Customer, order=("-created_at", "-id")) is None


@pytest.mark.parametrize("direction", ["after", "before"])
@pytest.mark.parametrize(
    "cursor",
    [
        _b64(["2026-01-01T00:00:00+00:00", 10**30]),  # an id beyond bigint
        _b64(["9999-12-31T23:59:59+00:00", 1]),
        _b64(["0001-01-01T00:00:00+00:00", 1]),
    ],
    ids=["huge-id", "far-future", "far-past"],
)
def test_a_readable_cursor_past_either_end_never_fails(direction, cursor):
    customers = CustomerFactory.create_batch(3)

    page = keyset_page(Customer.objects.all(), order=("-created_at", "-id"), **{direction: cursor})

    assert len(page.rows) in (0, 3)
    if page.rows:
        assert [c.pk for c in page.rows] == [c.pk for c in reversed(customers)]


@pytest.mark.parametrize(
    ("model", "order", "message"),
    [
        (Customer, ("-created_at",), "must be unique"),
        (Customer, ("-created_at", "name"), "must be unique"),
        (Vehicle, ("sale_date", "id"), "nullable"),
        (Customer, ("-nonsense", "id"), "no field"),
        (Customer, (), "needs an order"),
    ],
)
def test_an_order_that_cannot_page_is_refused(model, order, message):
    with pytest.raises(ValueError, match=message):
        keyset_page(model.objects.all(), order=order)


# --- index use (PostgreSQL EXPLAIN) -------------------------------------------------------


def _page_sql(call, table: str) -> str:
    """The SQL of the page query that `call` runs (the one reading `table` in order)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    (sql,) = [
        item["sql"]
        for item in captured.captured_queries
        if f'FROM "{table}"' in item["sql"] and "ORDER BY" in item["sql"]
    ]
    return sql


def _plan(sql: str) -> str:
    """The plan of `sql` as on a big table: the planner reads a few test rows fastest by
    scanning everything and sorting, so those paths are priced out (not forbidden: with
    no index in the list's order, the plan still has to Sort)."""
    with connection.cursor() as cursor:
        # SET LOCAL ends with the test's transaction (rolled back), so it never leaks.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _page_two_cursor(queryset, order) -> str:
    return keyset_page(queryset, order=order, size=2).next


@pytest.mark.parametrize("direction", ["after", "before"])
def test_the_customer_list_reads_its_index_from_the_cursor_on(direction):
    for day in range(1, 6):
        VehicleFactory(owner=CustomerFactory(created_at=local_datetime(dt.date(2026, 1, day))))
    cursor = _page_two_cursor(Customer.objects.all(), selectors.CUSTOMER_LIST_ORDER)

    sql = _page_sql(
        lambda: selectors.customer_list(
            base=Customer.objects.all(), **{"after": None, "before": None, direction: cursor}
        ),
        "customers_customer",
    )
    plan = _plan(sql)

    assert re.search(r"Index Scan(?: Backward)? using customer_created_id_idx", plan), plan
    assert re.search(r"Index Cond: \(created_at [<>]= ", plan), plan  # starts at the cursor
    assert "Sort" not in plan, plan  # rows come in index order


def test_the_vehicle_list_reads_its_index_from_the_cursor_on():
    VehicleFactory.create_batch(5)
    cursor = _page_two_cursor(Vehicle.objects.all(), selectors.VEHICLE_LIST_ORDER)

    sql = _page_sql(
        lambda: selectors.vehicle_list(base=Vehicle.objects.all(), after=cursor, before=None),
        "customers_vehicle",
    )
    plan = _plan(sql)

    assert re.search(r"Index Scan(?: Backward)? using vehicle_created_id_idx", plan), plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize(
    ("state", "index"),
    [
        ("late", "salesfile_open_due_id_idx"),
        ("open", "salesfile_open_due_id_idx"),
        ("all", "salesfile_delivered_id_idx"),
    ],
)
def test_the_sales_file_lists_read_the_index_of_their_order(state, index):
    on = dt.date(2026, 11, 20)
    for serial in range(5):
        SalesFileFactory(documents_due_on=dt.date(2026, 11, 10 + serial))
    files = selectors.sales_files(state=state, on=on)
    cursor = _page_two_cursor(files, selectors.SALES_FILE_ORDER[state])

    sql = _page_sql(
        lambda: selectors.sales_file_page(state=state, on=on, after=cursor, before=None),
        "customers_salesfile",
    )
    plan = _plan(sql)

    assert re.search(rf"Index Scan(?: Backward)? using {index}", plan), plan
    assert "Sort" not in plan.split("SubPlan")[0], plan  # the page itself is in index order
