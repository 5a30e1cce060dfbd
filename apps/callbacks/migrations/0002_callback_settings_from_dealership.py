from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("callbacks", "0001_callback_and_churn_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "callbacks.CallbackSettings",
            (
                "callback_3dc_open_day",
                "callback_3dc_due_day",
                "callback_7dc_open_day",
                "callback_7dc_due_day",
                "callback_7dc_outlet_open_day",
                "callback_7dc_outlet_due_day",
                "callback_level2_sample_percent",
                "callback_level3_amount",
                "callback_second_within_days",
                "callback_window1_start",
                "callback_window1_end",
                "callback_window2_start",
                "callback_window2_end",
                "callback_max_attempts",
                "contact_limit_per_week",
            ),
        )
    ]
