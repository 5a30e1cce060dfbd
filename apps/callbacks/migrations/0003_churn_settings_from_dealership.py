from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("callbacks", "0002_callback_settings_from_dealership"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "callbacks.ChurnSettings",
            (
                "churn_retained_months",
                "churn_active_months",
                "churn_dormant_months",
                "churn_overdue_days",
            ),
        )
    ]
