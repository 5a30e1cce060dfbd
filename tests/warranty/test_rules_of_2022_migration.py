"""The 三包 thresholds of the 2022 rules (warranty 0003/0004): a dealership still on the
2013 defaults (more than 35 days, more than 5 repairs of the same problem) gets the 2022
ones (30 days, 4 repairs); a number the dealership chose stays. The change is in the
settings' history, so a report for an earlier date still reads the rule then in force."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core.settings import settings_at
from apps.warranty.models import WarrantySettings
from tests.factories.clock import SHANGHAI

BEFORE = [("warranty", "0002_warranty_settings_from_dealership")]
MIGRATED_AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
EARLIER = dt.datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI)


def _migrate(executor: MigrationExecutor, targets) -> None:
    executor.loader.build_graph()  # the graph as the previous migrate left it
    executor.migrate(targets)


def _old_row(executor: MigrationExecutor, **values):
    """The settings row as the 2013 schema had it, saved on EARLIER with its history row
    (as the settings service would have written it)."""
    state = executor.loader.project_state(BEFORE).apps
    model = state.get_model("warranty", "WarrantySettings")
    row, _created = model.objects.update_or_create(pk=1, defaults=values)
    model.objects.filter(pk=1).update(updated_at=EARLIER)
    row.refresh_from_db()
    fields = [field.attname for field in model._meta.concrete_fields]
    state.get_model("warranty", "HistoricalWarrantySettings").objects.create(
        history_date=EARLIER, history_type="+", **{name: getattr(row, name) for name in fields}
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("days", "repairs", "days_after", "repairs_after"),
    [
        (35, 5, 30, 4),  # both still at the 2013 defaults: both corrected
        (35, 6, 30, 6),  # the repairs were chosen: only the days are corrected
        (20, 5, 20, 4),  # the days were chosen: only the repairs are corrected
        (33, 4, 33, 4),  # both chosen (a 4 typed by hand stays, also going back)
    ],
)
@time_machine.travel(MIGRATED_AT, tick=False)
def test_the_2013_defaults_become_the_2022_ones_and_chosen_numbers_stay(
    days, repairs, days_after, repairs_after
):
    executor = MigrationExecutor(connection)
    try:
        _migrate(executor, BEFORE)
        _old_row(
            executor,
            warranty_cumulative_repair_days=days,
            warranty_same_problem_repairs=repairs,
            warranty_repair_km=80000,
        )

        _migrate(executor, executor.loader.graph.leaf_nodes())

        row = WarrantySettings.objects.get()
        assert (row.warranty_cumulative_repair_days, row.warranty_same_problem_repairs) == (
            days_after,
            repairs_after,
        )
        assert row.warranty_repair_km == 80000  # the other rules untouched
        assert row.warranty_same_main_part_replacements == 2  # the new rules at defaults
        assert row.warranty_replace_days == 7
        assert row.warranty_early_fault_km == 3000
        changed = (days, repairs) != (days_after, repairs_after)
        assert WarrantySettings.history.count() == (2 if changed else 1)
        before = settings_at(WarrantySettings, EARLIER + dt.timedelta(days=1))
        assert (before.warranty_cumulative_repair_days, before.warranty_same_problem_repairs) == (
            days,
            repairs,
        )
        now = settings_at(WarrantySettings, MIGRATED_AT)
        assert (now.warranty_cumulative_repair_days, now.warranty_same_problem_repairs) == (
            days_after,
            repairs_after,
        )

        _migrate(executor, BEFORE)  # and back: exactly the corrected rules return
        state = executor.loader.project_state(BEFORE).apps
        old = state.get_model("warranty", "WarrantySettings").objects.get()
        assert (old.warranty_cumulative_repair_days, old.warranty_same_problem_repairs) == (
            days,
            repairs,
        )
        history = state.get_model("warranty", "HistoricalWarrantySettings").objects
        assert history.count() == 1
    finally:
        _migrate(executor, executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_fresh_database_starts_with_the_2022_rules():
    executor = MigrationExecutor(connection)
    try:
        _migrate(executor, BEFORE)
        executor.loader.project_state(BEFORE).apps.get_model(
            "warranty", "WarrantySettings"
        ).objects.all().delete()

        _migrate(executor, executor.loader.graph.leaf_nodes())

        assert not WarrantySettings.objects.exists()
        row = WarrantySettings.objects.create(pk=1)
        assert (row.warranty_cumulative_repair_days, row.warranty_same_problem_repairs) == (30, 4)
        assert row._meta.get_field("warranty_major_part_replacements").verbose_name == (
            "发动机/变速器/动力蓄电池/驱动电机累计更换(次)"
        )
    finally:
        _migrate(executor, executor.loader.graph.leaf_nodes())
