"""Aggregates that work on both databases the product runs on: PostgreSQL, and SQLite for
the embedded demo of `make run`."""

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Aggregate, TextField


class JoinedText(StringAgg):
    """Texts of a group joined by a delimiter, in `order_by` order: PostgreSQL's STRING_AGG.

    On SQLite it is GROUP_CONCAT in the order SQLite reads the rows (Debian 12's SQLite
    3.40 has no ORDER BY inside an aggregate; 3.44 added it): for the demo, whose rows are
    written in order, the same text."""

    def as_sqlite(self, compiler, connection, **extra_context):
        *texts, filtering, _order_by = self.get_source_expressions()
        joined = Aggregate(*texts, filter=filtering, output_field=TextField())
        joined.function = "GROUP_CONCAT"
        return joined.as_sql(compiler, connection, **extra_context)
