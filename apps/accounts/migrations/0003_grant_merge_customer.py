from django.db import migrations

from apps.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    """The manager role gains customers.merge_customer (roles.py)."""

    dependencies = [
        ("accounts", "0002_role_groups"),
        ("customers", "0003_customer_merge_and_named_vin_constraint"),
    ]

    operations = [
        # Reversing leaves the groups in place: they hold no data of their own.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
