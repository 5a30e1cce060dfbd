from django.db import migrations

from apps.core.migration_ops import first_history_of_dealership_settings


class Migration(migrations.Migration):
    dependencies = [("core", "0003_settings_history_and_working_calendar")]

    operations = [first_history_of_dealership_settings()]
