"""PreparedQuery (compiled once, then sent as SQL) and JoinedText (STRING_AGG, or
GROUP_CONCAT on SQLite)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import Max, OuterRef, Subquery

from apps.core.aggregates import JoinedText
from apps.core.prepared import PreparedQuery
from apps.workorders.models import WorkOrder, WorkOrderLine
from tests.factories.workorders import WorkOrderFactory, WorkOrderLineFactory

pytestmark = pytest.mark.django_db


def _orders():
    last_line = (
        WorkOrderLine.objects.filter(work_order=OuterRef("pk"))
        .values("work_order")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    return (
        WorkOrder.objects.annotate(last_line_at=Subquery(last_line[:1]))
        .order_by("id")
        .values_list("number", "last_line_at", "vehicle__plate", "id")
    )


def test_rows_are_the_querysets_and_follow_the_data():
    built = []

    def build():
        built.append(1)
        return _orders()

    prepared = PreparedQuery(build)
    first = WorkOrderFactory()
    WorkOrderLineFactory(work_order=first)
    assert prepared.rows() == list(_orders())
    number, last_line_at, _plate, _id = prepared.rows()[0]
    assert number == first.number
    assert isinstance(last_line_at, dt.datetime)
    # New rows are read by the same SQL: compiled once on this connection.
    second = WorkOrderFactory()
    assert [row[0] for row in prepared.rows()] == [first.number, second.number]
    assert prepared.rows() == list(_orders())
    assert len(built) == 1


def test_counts_as_one_query(django_assert_num_queries):
    WorkOrderFactory()
    prepared = PreparedQuery(_orders)
    prepared.rows()
    with django_assert_num_queries(1):
        prepared.rows()


def test_only_values_list_querysets():
    with pytest.raises(TypeError):
        PreparedQuery(lambda: WorkOrder.objects.all()).rows()


def test_joined_text_in_order():
    order = WorkOrderFactory()
    for text in ("更换机油", "更换机滤", "四轮定位"):
        WorkOrderLineFactory(work_order=order, description=text, quantity=Decimal(1))
    joined = (
        WorkOrderLine.objects.filter(work_order=order)
        .values("work_order")
        .annotate(names=JoinedText("description", "、", order_by="id"))
        .values_list("names", flat=True)
        .get()
    )
    assert joined == "更换机油、更换机滤、四轮定位"


def test_joined_text_is_group_concat_on_sqlite():
    """The embedded demo's SQLite (3.40 on Debian 12) has no ORDER BY inside an
    aggregate: the same annotation compiles to GROUP_CONCAT and runs there."""
    settings = {**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3"}
    sqlite = SQLiteWrapper({**settings, "NAME": ":memory:", "OPTIONS": {}}, alias="sqlite")
    query = (
        WorkOrderLine.objects.values("work_order")
        .annotate(names=JoinedText("description", "、", order_by="id"))
        .query
    )
    sql, _params = query.get_compiler(connection=sqlite).as_sql()
    assert "GROUP_CONCAT" in sql
    assert "STRING_AGG" not in sql
    sqlite.close()
