from django.db import migrations

from apps.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    """Managers may list the reveal log (customers.view_piireveal, new in customers 0003)."""

    dependencies = [
        ("accounts", "0003_grant_merge_customer"),
        ("customers", "0009_pii_reveal_log"),
    ]

    operations = [
        # Reversing leaves the groups in place: they hold no data of their own.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
