from django.db import migrations

from apps.core.migration_ops import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    """Indexes for partial work-order numbers in the search box (apps/customers/search.py).

    PostgreSQL only (SQLite has neither, and its unique index on number serves its
    searches): see apps/core/migration_ops.py for why they are not in the model's Meta.
    """

    dependencies = [
        ("workorders", "0004_service_settings_from_dealership"),
    ]

    operations = [
        PostgresOnlyRunSQL(
            sql=[
                # Prefixes (WO2026…): number COLLATE "C", which both a LIKE 'WO2026%' range
                # and ORDER BY number COLLATE "C" read (search.ByteOrder).
                'CREATE INDEX workorder_number_bytes_idx ON workorders_workorder'
                ' ((number COLLATE "C"))',
                # Tails of 6+ digits: REVERSE(number) LIKE '…%' is a prefix of the reverse.
                "CREATE INDEX workorder_number_suffix_idx ON workorders_workorder"
                " (REVERSE(number) text_pattern_ops)",
            ],
            reverse_sql=[
                "DROP INDEX workorder_number_bytes_idx",
                "DROP INDEX workorder_number_suffix_idx",
            ],
        ),
    ]
