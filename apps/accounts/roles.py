"""The roles of DOMAIN.md §1: code, Chinese label, permissions and navigation.

A role is a Django group named by its code; data migrations give the groups these
permissions, each with a frozen copy (role_migrations.py): after changing ROLES run
`python manage.py check_roles --write` (the system check accounts.E001 fails until then).
Views check permissions (not role names), so a person holding several roles gets the
union, and the navigation shows only what the person may open.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    group: str = ""  # items of one group share a dropdown (a tablet's bar holds ~7 entries)


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
# Work orders (DOMAIN.md §3): each move of workorders/transitions.py names one of these.
W = "workorders."
WORK_ORDER_DESK = (  # the service advisor's desk: reception to settlement
    W + "add_workorder",
    W + "change_workorder",
    W + "deliver_workorder",
    W + "settle_workorder",
    W + "cancel_workorder",
    W + "reopen_workorder",
)
CATALOGUE_READ = ("parts.view_part", W + "view_labouroperation", W + "view_cannedjob")
CATALOGUE = CATALOGUE_READ + (
    "parts.add_part",
    "parts.change_part",
    W + "add_labouroperation",
    W + "change_labouroperation",
    W + "add_cannedjob",
    W + "change_cannedjob",
    W + "edit_catalogue",
)

ROLES = (
    Role(
        "advisor", "服务顾问", ARCHIVE_READ + ARCHIVE_WRITE + PII + WORK_ORDER_DESK + CATALOGUE_READ
    ),
    Role(
        "supervisor",
        "车间主任",
        ARCHIVE_READ + (W + "dispatch_workorder", W + "inspect_workorder", W + "reopen_workorder"),
    ),
    Role(
        "technician",
        "维修技师",
        (W + "view_own_jobs", W + "work_workorder", W + "inspect_workorder"),
    ),
    Role("qc", "质检员", (W + "view_workorder", W + "qc_workorder", W + "reopen_workorder")),
    Role(
        "parts",
        "配件专员",
        (
            "customers.view_vehicle",
            W + "view_workorder",
            "parts.view_part",
            "parts.add_part",
            "parts.change_part",
        ),
    ),
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
            W + "approve_discount",
        )
        + WORK_ORDER_DESK
        + CATALOGUE,
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
    NavItem("我的工单", "workorders:advisor_home", "workorders.change_workorder", "工单"),
    NavItem("接车开单", "workorders:reception", "workorders.add_workorder", "工单"),
    NavItem("工单列表", "workorders:list", "workorders.view_workorder", "工单"),
    NavItem("客户档案", "customers:customer_list", "customers.view_customer", "档案"),
    NavItem("车辆", "customers:vehicle_list", "customers.view_vehicle", "档案"),
    NavItem("销售档案", "customers:salesfile_list", "customers.view_salesfile", "档案"),
    NavItem("档案导入", "customers:import_list", "customers.import_archive", "档案"),
    NavItem("号码查看记录", "customers:pii_reveal_list", "customers.view_piireveal", "档案"),
    NavItem("维修项目", "catalogue:labour_list", "workorders.view_labouroperation", "目录"),
    NavItem("配件目录", "parts:part_list", "parts.view_part", "目录"),
    NavItem("经销商设置", "core:settings_edit", "core.change_dealershipsettings"),
)


def role_labels(user) -> list[str]:
    """Chinese labels of the roles a user holds, in ROLES order."""
    codes = {group.name for group in user.groups.all()}
    return [role.label for role in ROLES if role.code in codes]


def sync_role_groups(apps, schema_editor):
    """Give the role groups the live ROLES (kept for migrations written before frozen copies).

    New migrations use `role_migrations.SyncRoles`, which carries the permissions as they
    were when it was written: `manage.py check_roles --write` makes one.
    """
    from .role_migrations import apply_role_permissions, current_roles

    apply_role_permissions(apps, current_roles())
