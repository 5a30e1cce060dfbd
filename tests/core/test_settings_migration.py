"""An existing database keeps its rules: the data migrations copy every value of the old
single settings row into the areas' rows (and back, when migrated backwards)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.core.models import DealershipSettings
from apps.core.settings import areas, settings_at
from apps.customers.models import ArchiveSettings

# Each area's schema migration (its new table exists) and core before its data steps: the
# old row still has every rule field.
BEFORE = [
    ("core", "0003_settings_history_and_working_calendar"),
    ("customers", "0003_archive_settings"),
    ("workorders", "0003_service_settings"),
    ("warranty", "0001_warranty_settings"),
    ("callbacks", "0001_callback_and_churn_settings"),
    ("complaints", "0001_complaint_settings"),
    ("care", "0001_reminder_settings"),
]
LAST_CHANGE = timezone.make_aware(dt.datetime(2025, 5, 1, 10, 0))


# Rule fields added to an area after the move (they never were on the old row): they
# start at their defaults.
ADDED_AFTER_THE_MOVE = {
    "labour_rate",  # workorders 0006: the work-order flow
    "max_line_discount_percent",
    "delay_warning_minutes",
    "appointment_slot_minutes",  # workorders 0009: appointments and the workshop
    "appointment_slot_capacity",
    "appointment_advisor_slot_capacity",
    "appointment_on_time_minutes",
    "wash_step",
    "target_maintenance_days",  # appointments 0001: the target lists' horizons
    "target_insurance_days",
    "target_warranty_days",
    "callback_monthly_after_months",  # callbacks 0004: the callback generator
    "callback_annual_after_months",
    "callback_periodic_due_days",
    "callback_level2_due_day",
    "callback_level3_after_months",
    "callback_level3_sample_percent",
    "callback_level3_due_days",
    "callback_claim_minutes",  # callbacks 0005: the call queue
    "purchase_lead_days",  # stock 0001: the parts stock's own area
    "arrival_notice_days",
    "accessory_commission_advisor_percent",  # stock 0002: accessories and their commission
    "accessory_commission_other_percent",
    "warranty_same_main_part_replacements",  # warranty 0003: the 2022 rules and the claims
    "warranty_repair_days_warning",
    "warranty_replace_days",
    "warranty_early_fault_days",
    "warranty_early_fault_km",
    "warranty_claim_warning_days",
    "licence_scan_unattached_hours",  # customers 0015: licence photos (issue 12)
}


def _moved_fields() -> dict[type, list[models.Field]]:
    """Each area's fields that came from the old row; an area made after the move (all its
    fields added after it, e.g. appointments.AppointmentSettings) has none and no copy."""
    own = {"id", "created_at", "updated_at", *ADDED_AFTER_THE_MOVE}
    moved = {
        model: [field for field in model._meta.concrete_fields if field.name not in own]
        for model in areas()
        if model is not DealershipSettings
    }
    # An area made after the move (the parts stock's) had nothing on the old row.
    return {model: fields for model, fields in moved.items() if fields}


# Defaults a later migration corrects when a row still holds them (warranty 0004: the 2013
# 三包 numbers): a value typed here must be none of them, or that migration changes it.
CORRECTED_OLD_DEFAULTS = {"warranty_cumulative_repair_days": 35, "warranty_same_problem_repairs": 5}


def _not_the_default(field: models.Field):
    """A value the dealership might have typed, different from the field's default."""
    default = field.get_default()
    if isinstance(default, dt.time):
        return default.replace(minute=(default.minute + 15) % 60)
    if isinstance(default, Decimal):
        return default + Decimal("1.5")
    if CORRECTED_OLD_DEFAULTS.get(field.name) == default + 1:
        return default + 2
    return default + 1


def _migrate(executor: MigrationExecutor, targets) -> None:
    executor.loader.build_graph()  # the graph as the previous migrate left it
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_old_rows_values_move_to_the_areas_rows_and_back():
    executor = MigrationExecutor(connection)
    moved = _moved_fields()
    assert sum(len(fields) for fields in moved.values()) == 51  # every rule field of the old row
    typed = {field.name: _not_the_default(field) for fields in moved.values() for field in fields}
    try:
        _migrate(executor, BEFORE)
        old_model = executor.loader.project_state(BEFORE).apps.get_model(
            "core", "DealershipSettings"
        )
        old_model.objects.update_or_create(pk=1, defaults={"name": "鹏城大众", **typed})
        old_model.objects.filter(pk=1).update(updated_at=LAST_CHANGE)

        _migrate(executor, executor.loader.graph.leaf_nodes())

        for model, fields in moved.items():
            row = model.objects.get()
            assert {f.name: getattr(row, f.name) for f in fields} == {
                f.name: typed[f.name] for f in fields
            }, model.__name__
            first = model.history.get()
            assert (first.history_type, first.history_date) == ("+", LAST_CHANGE)
        assert DealershipSettings.objects.get().name == "鹏城大众"
        in_force = settings_at(ArchiveSettings, dt.date(2025, 6, 1))
        assert in_force.search_result_limit == typed["search_result_limit"]
        assert settings_at(DealershipSettings, dt.date(2025, 6, 1)).name == "鹏城大众"

        # Backwards: a value changed in the area's row goes back into the old row.
        ArchiveSettings.objects.filter(pk=1).update(search_result_limit=99)
        _migrate(executor, BEFORE)
        old_model = executor.loader.project_state(BEFORE).apps.get_model(
            "core", "DealershipSettings"
        )
        old = old_model.objects.get()
        assert old.search_result_limit == 99
        assert old.callback_window2_end == typed["callback_window2_end"]
        assert old.warranty_repair_km == typed["warranty_repair_km"]
    finally:
        _migrate(executor, executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_fresh_database_gets_no_copied_rows_and_later_its_defaults():
    executor = MigrationExecutor(connection)
    try:
        _migrate(executor, BEFORE)
        # The model as it was then (a field added since does not exist yet).
        old_apps = executor.loader.project_state(BEFORE).apps
        old_apps.get_model("core", "DealershipSettings").objects.all().delete()

        _migrate(executor, executor.loader.graph.leaf_nodes())

        assert not ArchiveSettings.objects.exists()
        assert not ArchiveSettings.history.exists()
    finally:
        _migrate(executor, executor.loader.graph.leaf_nodes())
