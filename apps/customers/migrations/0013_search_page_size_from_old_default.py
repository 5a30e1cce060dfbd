from django.db import migrations

OLD_DEFAULT, NEW_DEFAULT = 50, 25


def to_new_default(apps, schema_editor):
    """A row still at the old default (nobody chose 50) takes the new one. A value the
    dealership chose stays. No history row: the page size is no rule a frozen report uses."""
    archive_settings = apps.get_model("customers", "ArchiveSettings")
    archive_settings.objects.filter(search_result_limit=OLD_DEFAULT).update(
        search_result_limit=NEW_DEFAULT
    )


def to_old_default(apps, schema_editor):
    archive_settings = apps.get_model("customers", "ArchiveSettings")
    archive_settings.objects.filter(search_result_limit=NEW_DEFAULT).update(
        search_result_limit=OLD_DEFAULT
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_search_page_size"),
    ]

    operations = [
        migrations.RunPython(to_new_default, to_old_default),
    ]
