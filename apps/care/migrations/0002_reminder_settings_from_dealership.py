from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_reminder_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "care.ReminderSettings",
            (
                "reminder_maintenance_days",
                "reminder_insurance_days_first",
                "reminder_insurance_days_second",
                "reminder_inspection_days_first",
                "reminder_inspection_days_second",
                "reminder_warranty_end_days",
                "reminder_birthday_days",
            ),
        )
    ]
