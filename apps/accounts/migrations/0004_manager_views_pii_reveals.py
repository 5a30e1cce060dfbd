"""The role groups get the permissions of ROLES as of this migration
(written by `manage.py check_roles --write`)."""

from django.db import migrations

from apps.accounts.role_migrations import SyncRoles


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_sync_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0006_logo_images_only"),
        ("customers", "0013_search_page_size_from_old_default"),
        ("workorders", "0005_work_order_number_search_indexes"),
    ]

    operations = [
        SyncRoles(
            roles={
                "advisor": [
                    "customers.add_customer",
                    "customers.add_vehicle",
                    "customers.change_customer",
                    "customers.change_vehicle",
                    "customers.change_vehicleownership",
                    "customers.view_customer",
                    "customers.view_pii",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "supervisor": [
                    "customers.view_customer",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "technician": [
                    "workorders.view_own_jobs",
                ],
                "qc": [
                    "workorders.view_workorder",
                ],
                "parts": [
                    "customers.view_vehicle",
                ],
                "warranty": [
                    "customers.view_customer",
                    "customers.view_pii",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "callback": [
                    "customers.change_salesfile",
                    "customers.view_customer",
                    "customers.view_pii",
                    "customers.view_salesfile",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "complaint": [
                    "customers.change_salesfile",
                    "customers.view_customer",
                    "customers.view_pii",
                    "customers.view_salesfile",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "manager": [
                    "customers.accept_invalid_vin",
                    "customers.add_customer",
                    "customers.add_salesfile",
                    "customers.add_vehicle",
                    "customers.change_customer",
                    "customers.change_salesfile",
                    "customers.change_vehicle",
                    "customers.change_vehicleownership",
                    "customers.export_customer",
                    "customers.import_archive",
                    "customers.merge_customer",
                    "customers.view_customer",
                    "customers.view_pii",
                    "customers.view_piireveal",
                    "customers.view_salesfile",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
                "admin": [
                    "accounts.add_user",
                    "accounts.change_user",
                    "accounts.view_user",
                    "core.change_dealershipsettings",
                    "customers.add_customer",
                    "customers.add_salesfile",
                    "customers.add_vehicle",
                    "customers.change_customer",
                    "customers.change_salesfile",
                    "customers.change_vehicle",
                    "customers.change_vehicleownership",
                    "customers.import_archive",
                    "customers.view_customer",
                    "customers.view_salesfile",
                    "customers.view_vehicle",
                    "workorders.view_workorder",
                ],
            }
        ),
    ]
