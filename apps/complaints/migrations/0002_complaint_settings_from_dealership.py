from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_complaint_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "complaints.ComplaintSettings",
            (
                "complaint_resolve_days",
                "complaint_serious_resolve_days",
            ),
        )
    ]
