"""Migration operations for PostgreSQL-only schema (trigram and pattern-ops indexes).

The embedded default runs on SQLite, which has neither. These indexes are not declared in
the models' Meta: SQLite rebuilds a whole table on most ALTERs, recreating every index the
model state lists, so a PostgreSQL-only index in the state would break SQLite migrations.
They live here instead, as SQL that runs on PostgreSQL only.
"""

from django.db import migrations


class PostgresOnlyRunSQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "PostgreSQL-only SQL"


# --- moving business rules out of the old single settings row --------------------------------

MOVED_REASON = "迁移前的设置值"  # the change reason of the first history row of each area


def settings_moved_from_dealership(
    label: str, field_names: tuple[str, ...]
) -> migrations.RunPython:
    """The data step that moves rule fields out of `core.DealershipSettings` into the
    area's own row (`label` is "app_label.ModelName"; the field names keep their names).

    Forward: on an existing database (the old row exists) the area's row gets the old
    row's values, and a first history row dated at the old row's last change, so
    `settings_at` answers with them for any date since. A fresh database has no old row:
    the area's row is created with its defaults on first use.
    Backward: the old row (its fields exist again) gets the area row's values back.
    Each app's step runs before core removes the fields (`run_before`), so core, the
    bottom layer, never depends on the apps above it.
    """
    app_label, model_name = label.split(".")

    def forward(apps, schema_editor):
        old = apps.get_model("core", "DealershipSettings").objects.filter(pk=1).first()
        if old is None:
            return
        values = {name: getattr(old, name) for name in field_names}
        model = apps.get_model(app_label, model_name)
        row, _created = model.objects.update_or_create(pk=1, defaults=values)
        apps.get_model(app_label, f"Historical{model_name}").objects.create(
            id=row.pk,
            created_at=row.created_at,
            updated_at=row.updated_at,
            history_date=old.updated_at,
            history_type="+",
            history_change_reason=MOVED_REASON,
            **values,
        )

    def backward(apps, schema_editor):
        apps.get_model(app_label, f"Historical{model_name}").objects.filter(
            history_change_reason=MOVED_REASON
        ).delete()
        row = apps.get_model(app_label, model_name).objects.filter(pk=1).first()
        if row is None:
            return
        old, _created = apps.get_model("core", "DealershipSettings").objects.get_or_create(pk=1)
        for name in field_names:
            setattr(old, name, getattr(row, name))
        old.save(update_fields=list(field_names))

    return migrations.RunPython(forward, backward, elidable=False)


def first_history_of_dealership_settings() -> migrations.RunPython:
    """A first history row for an existing dealership row (its values since its last
    change), so `settings_at` can answer for dates before the first change made later.
    Backward removes only that row."""

    def forward(apps, schema_editor):
        old = apps.get_model("core", "DealershipSettings").objects.filter(pk=1).first()
        if old is None:
            return
        fields = ("name", "short_name", "address", "phone", "plate_prefix")
        times = ("business_opens_at", "business_closes_at")
        apps.get_model("core", "HistoricalDealershipSettings").objects.create(
            id=old.pk,
            created_at=old.created_at,
            updated_at=old.updated_at,
            history_date=old.updated_at,
            history_type="+",
            history_change_reason=MOVED_REASON,
            logo=old.logo.name,
            **{name: getattr(old, name) for name in fields + times},
        )

    def backward(apps, schema_editor):
        apps.get_model("core", "HistoricalDealershipSettings").objects.filter(
            history_change_reason=MOVED_REASON
        ).delete()

    return migrations.RunPython(forward, backward, elidable=False)
