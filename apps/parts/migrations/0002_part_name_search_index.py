"""(pg_trgm comes from customers 0001, which this depends on: reversing this
migration drops its index, never the extension the archive's indexes use.)

The catalogue search's name index (apps/parts/selectors.py: part_search_filter).

The number prefix needs nothing new: a unique CharField already has Django's
varchar_pattern_ops "_like" index on PostgreSQL, which `number LIKE 'X%'` uses.
"""

from django.db import migrations

from apps.core.migration_ops import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("parts", "0001_part_catalogue"), ("customers", "0001_archive")]

    operations = [
        PostgresOnlyRunSQL(
            # icontains compiles to UPPER(name::text) LIKE UPPER(%s): index that.
            sql="CREATE INDEX part_name_trgm_idx ON parts_part USING gin (UPPER(name) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS part_name_trgm_idx",
        ),
    ]
