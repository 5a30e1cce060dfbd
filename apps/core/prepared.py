"""Queries whose SQL never changes, compiled once.

Building and compiling a queryset costs Python time on every call: 1 to 3 ms for a query
with subqueries, EXISTS tests and filtered relations, as long as PostgreSQL takes to answer
it. The job board refreshes itself all day and the dispatch board ranks every open order
with four EXISTS tests; their queries take nothing from the request (no id, no clock), so
each is compiled on its first call on a database connection and then sent as the same SQL,
its rows converted as the ORM converts them (SQLite returns dates as text, for one).

    LIVE_JOBS = PreparedQuery(lambda: Job.objects.filter(...).values_list("id", "status"))
    rows = LIVE_JOBS.rows()   # a list of tuples, as list(queryset) would give

Only for values_list querysets whose SQL holds no value that changes between calls.
"""

import weakref
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable


class PreparedQuery:
    def __init__(self, build: Callable[[], QuerySet]):
        self.build = build
        # Per connection (each thread has its own): the compiler that converts the rows, the
        # SQL and its parameters, and the converters.
        self._compiled = weakref.WeakKeyDictionary()

    def _compile(self, using: str):
        queryset = self.build()
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError("PreparedQuery runs values_list() querysets")
        # Django 5.2 selects the columns in the order values_list() names them.
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return compiler, sql, params, converters

    def rows(self, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(using)
        compiler, sql, params, converters = compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
