"""The roles of DOMAIN.md §1: code, Chinese label, permissions and navigation.

A role is a Django group named by its code; the data migration creates the groups with
these permissions. Views check permissions (not role names), so a person holding several
roles gets the union, and the navigation shows only what the person may open.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    permissions: tuple[str, ...] = field(default_factory=tuple)


# Permission sets shared by several roles, so each is written once.
ARCHIVE_READ = ("customers.view_customer", "customers.view_vehicle", "workorders.view_workorder")
ARCHIVE_WRITE = (
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_vehicle",
    "customers.change_vehicle",
    "customers.change_vehicleownership",
)
PII = ("customers.view_pii",)
SALES_FILES = ("customers.view_salesfile", "customers.change_salesfile")

ROLES = (
    Role("advisor", "服务顾问", ARCHIVE_READ + ARCHIVE_WRITE + PII),
    Role("supervisor", "车间主任", ARCHIVE_READ),
    Role("technician", "维修技师", ("workorders.view_own_jobs",)),
    Role("qc", "质检员", ("workorders.view_workorder",)),
    Role("parts", "配件专员", ("customers.view_vehicle",)),
    Role("warranty", "索赔专员", ARCHIVE_READ + PII),
    Role("callback", "客服专员", ARCHIVE_READ + PII + SALES_FILES),
    Role("complaint", "客服主管", ARCHIVE_READ + PII + SALES_FILES),
    Role(
        "manager",
        "售后经理",
        ARCHIVE_READ
        + ARCHIVE_WRITE
        + PII
        + SALES_FILES
        + (
            "customers.export_customer",
            "customers.import_archive",
            "customers.accept_invalid_vin",
            "customers.add_salesfile",
            "customers.merge_customer",
            "customers.view_piireveal",
        ),
    ),
    Role(
        "admin",
        "系统管理员",
        ARCHIVE_READ
        + ARCHIVE_WRITE
        + SALES_FILES
        + (
            "customers.import_archive",
            "customers.add_salesfile",
            "core.change_dealershipsettings",
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
        ),
    ),
)
ROLES_BY_CODE = {role.code: role for role in ROLES}

# The navigation, in menu order; an item shows only to users with its permission.
NAVIGATION = (
    NavItem("工作台", "dashboard:home", ""),
    NavItem("客户档案", "customers:customer_list", "customers.view_customer"),
    NavItem("车辆", "customers:vehicle_list", "customers.view_vehicle"),
    NavItem("销售档案", "customers:salesfile_list", "customers.view_salesfile"),
    NavItem("档案导入", "customers:import_list", "customers.import_archive"),
    NavItem("号码查看记录", "customers:pii_reveal_list", "customers.view_piireveal"),
    NavItem("经销商设置", "core:settings_edit", "core.change_dealershipsettings"),
)


def role_labels(user) -> list[str]:
    """Chinese labels of the roles a user holds, in ROLES order."""
    codes = {group.name for group in user.groups.all()}
    return [role.label for role in ROLES if role.code in codes]


def sync_role_groups(apps, schema_editor):
    """Make each role's group hold exactly its permissions (a data migration step).

    Every change to ROLES ships with a migration that calls this again, depending on the
    migrations that create the permissions it names; a permission whose app has not been
    migrated yet is skipped here and granted by that later migration.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _created = group_model.objects.get_or_create(name=role.code)
        wanted = []
        for name in role.permissions:
            app_label, codename = name.split(".")
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)
