from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_archive_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "customers.ArchiveSettings",
            (
                "sales_documents_due_working_days",
                "segment_months",
                "segment_vip_spend",
                "segment_vip_visits",
                "segment_major_spend",
                "segment_major_visits",
                "segment_normal_spend",
                "segment_normal_visits",
                "search_result_limit",
            ),
        )
    ]
