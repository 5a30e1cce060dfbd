from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0003_service_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "workorders.ServiceSettings",
            (
                "appointment_lost_months",
                "appointment_confirm_minutes",
                "maintenance_interval_months",
                "maintenance_interval_km",
            ),
        )
    ]
