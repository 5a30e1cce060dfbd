from django.db import migrations
from django.utils import timezone

# The 2013 rules' numbers, the defaults until 0003, and the 2022 rules' (DOMAIN.md §4):
# repairs adding up to more than 30 days (was 35), the same problem repaired more than 4
# times (was 5).
CORRECTED = {
    "warranty_cumulative_repair_days": (35, 30),
    "warranty_same_problem_repairs": (5, 4),
}
# The history row's reason names the rules it changed, so going back restores exactly
# those (a 4 the dealership chose itself stays 4).
LABELS = {
    "warranty_cumulative_repair_days": "累计修理时间",
    "warranty_same_problem_repairs": "同一问题修理次数",
}
REASON = "按2022年三包规定更正默认值"


def _fields(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def to_2022_rules(apps, schema_editor):
    """A rule still at the 2013 default (nobody chose it) takes the 2022 one; a value the
    dealership chose stays. The change gets a history row dated now, so `settings_at`
    answers the old number for earlier dates (a report for a past month keeps the rule
    then in force) and the new one from now on."""
    settings_model = apps.get_model("warranty", "WarrantySettings")
    row = settings_model.objects.filter(pk=1).first()
    if row is None:  # a fresh database: the row is created with the new defaults
        return
    changed = [name for name, (old, _new) in CORRECTED.items() if getattr(row, name) == old]
    if not changed:
        return
    for name in changed:
        setattr(row, name, CORRECTED[name][1])
    row.updated_at = timezone.now()
    row.save(update_fields=[*changed, "updated_at"])
    history = apps.get_model("warranty", "HistoricalWarrantySettings")
    history.objects.create(
        history_date=row.updated_at,
        history_type="~",
        history_change_reason=f"{REASON}:{'、'.join(LABELS[name] for name in changed)}",
        **{name: getattr(row, name) for name in _fields(settings_model)},
    )


def to_2013_rules(apps, schema_editor):
    """Backwards: the rows this migration changed go back to the old defaults."""
    history = apps.get_model("warranty", "HistoricalWarrantySettings")
    record = history.objects.filter(history_change_reason__startswith=REASON).first()
    if record is None:
        return
    changed = [name for name, label in LABELS.items() if label in record.history_change_reason]
    record.delete()
    settings_model = apps.get_model("warranty", "WarrantySettings")
    for name in changed:
        old, new = CORRECTED[name]
        settings_model.objects.filter(pk=1, **{name: new}).update(**{name: old})


class Migration(migrations.Migration):
    dependencies = [
        ("warranty", "0003_rules_of_2022"),
    ]

    operations = [
        migrations.RunPython(to_2022_rules, to_2013_rules),
    ]
