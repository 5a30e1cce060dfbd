"""The catalogue search's name indexes (apps/workorders/catalogue.py: catalogue_search).

Codes need nothing new: a unique CharField already has Django's varchar_pattern_ops
"_like" index on PostgreSQL, which `code LIKE 'X%'` uses.
"""

from django.db import migrations

from apps.core.migration_ops import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("workorders", "0006_work_order_flow"), ("customers", "0001_archive")]

    operations = [
        PostgresOnlyRunSQL(
            # icontains compiles to UPPER(name::text) LIKE UPPER(%s): index that.
            sql=[
                "CREATE INDEX labouroperation_name_trgm_idx ON workorders_labouroperation"
                " USING gin (UPPER(name) gin_trgm_ops)",
                "CREATE INDEX cannedjob_name_trgm_idx ON workorders_cannedjob"
                " USING gin (UPPER(name) gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS labouroperation_name_trgm_idx",
                "DROP INDEX IF EXISTS cannedjob_name_trgm_idx",
            ],
        ),
    ]
