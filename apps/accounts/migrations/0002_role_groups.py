from django.db import migrations

from apps.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_user"),
        ("core", "0001_dealership_settings"),
        ("customers", "0001_archive"),
        ("workorders", "0001_work_orders"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Reversing leaves the groups in place: they hold no data of their own.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
