from django.db import migrations

from apps.core.migration_ops import settings_moved_from_dealership


class Migration(migrations.Migration):
    dependencies = [
        ("warranty", "0001_warranty_settings"),
        ("core", "0004_dealership_settings_first_history"),
    ]
    # Copy before core removes the old fields; core never depends on this app.
    run_before = [("core", "0005_remove_settings_moved_to_areas")]

    operations = [
        settings_moved_from_dealership(
            "warranty.WarrantySettings",
            (
                "warranty_repair_years",
                "warranty_repair_km",
                "warranty_return_years",
                "warranty_return_km",
                "warranty_serious_fault_repairs",
                "warranty_major_part_replacements",
                "warranty_cumulative_repair_days",
                "warranty_same_problem_repairs",
                "warranty_courtesy_car_days",
                "warranty_claim_deadline_days",
            ),
        )
    ]
