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
# The photo of a 行驶证 (owner's name and address): the advisor who checks it against the
# fields read, the warranty clerk (a maker's claim may need it) and the manager.
LICENCE_PHOTO = ("customers.view_licence_photo",)
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
# The workshop floor (issue 9): teams, technicians, bays and checklists are kept by managers.
K = "workshop."
WORKSHOP_KEEP = tuple(
    f"{K}{action}_{model}"
    for model in ("team", "technician", "bay", "skill", "checkitem")
    for action in ("view", "add", "change")
)
# Problems raised by callbacks (问题处理): the clerks, the complaint owner and the manager
# see them and record the quick handling.
PROBLEMS = ("callbacks.view_problem", "callbacks.change_problem")
# Satisfaction by department (满意度统计): the manager and the customer-service supervisor.
SATISFACTION = ("callbacks.view_satisfaction",)
# Appointments (issue 9): advisors and managers book and move them; callback clerks look.
A = "appointments."
APPOINTMENTS_READ = (A + "view_appointment", A + "view_target")
APPOINTMENTS = APPOINTMENTS_READ + (
    A + "add_appointment",
    A + "change_appointment",
    A + "add_unreachablephone",
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
# Warranty claims (DOMAIN.md §4): each move of warranty/transitions.py names one of these.
WA = "warranty."
CLAIMS_DESK = (WA + "view_warrantyclaim", WA + "add_warrantyclaim", WA + "change_warrantyclaim")
CLAIMS = CLAIMS_DESK + (
    WA + "delete_warrantyclaim",
    WA + "submit_warrantyclaim",
    WA + "decide_warrantyclaim",
    WA + "pay_warrantyclaim",
    WA + "manage_claim_documents",
    WA + "view_warranty_statement",
    WA + "view_warranty_watch",
)
# Complaints (DOMAIN.md §6): each move of complaints/transitions.py names one of these.
# Callback clerks receive complaints; the complaint supervisor works them; the manager
# approves solutions and may close with a written reason.
C = "complaints."
COMPLAINTS_RECEIVE = (C + "view_complaint", C + "add_complaint")

# Parts stock (DOMAIN.md §3 "Parts", apps/stock): the parts clerk keeps it; a manager
# approves count differences and reads everything; the advisor looks stock up.
ST = "stock."
STOCK_READ = (
    ST + "view_stock",
    ST + "view_issueslip",
    ST + "view_purchaserequest",
    ST + "view_goodsreceipt",
    ST + "view_stockcount",
)
PARTS_DESK = STOCK_READ + (
    ST + "change_stock",  # bin and minimum
    ST + "add_issueslip",  # issue and return slips
    ST + "add_purchaserequest",
    ST + "change_purchaserequest",  # cancel
    ST + "add_goodsreceipt",
    ST + "add_stockcount",  # open, count, submit, cancel
    # Accessories (精品): the sales desk sells them, names the seller of a work order's
    # accessory line, and reads the monthly commission.
    ST + "view_countersale",
    ST + "add_countersale",
    ST + "add_accessoryseller",
    ST + "view_accessory_commission",
)

ROLES = (
    Role(
        "advisor",
        "服务顾问",
        ARCHIVE_READ
        + ARCHIVE_WRITE
        + PII
        + WORK_ORDER_DESK
        + LICENCE_PHOTO
        + CATALOGUE_READ
        + APPOINTMENTS
        + (ST + "view_stock", ST + "add_accessoryseller")
        # The advisor records a warranty repair's claim data at the desk (三包 counts).
        + CLAIMS_DESK,
    ),
    Role(
        "supervisor",
        "车间主任",
        ARCHIVE_READ
        + (W + "dispatch_workorder", W + "inspect_workorder", W + "reopen_workorder")
        + (K + "view_jobboard", K + "view_team", K + "view_technician", K + "view_bay"),
    ),
    Role(
        "technician",
        "维修技师",
        # A team lead is a technician: inspect_workorder for the team check, whose failure
        # sends the work back (rework, reopen_workorder). The workshop's services check the
        # lead; technicians cannot open the work-order page (no view_workorder).
        (
            W + "view_own_jobs",
            W + "work_workorder",
            W + "inspect_workorder",
            W + "reopen_workorder",
            ST + "confirm_issueslip",  # confirms the parts handed to them
        ),
    ),
    Role(
        "qc",
        "质检员",
        (W + "view_workorder", W + "qc_workorder", W + "reopen_workorder", K + "view_jobboard"),
    ),
    Role(
        "parts",
        "配件专员",
        (
            "customers.view_vehicle",
            W + "view_workorder",
            "parts.view_part",
            "parts.add_part",
            "parts.change_part",
        )
        + PARTS_DESK,
    ),
    Role("warranty", "索赔专员", ARCHIVE_READ + PII + LICENCE_PHOTO + CLAIMS),
    Role(
        "callback",
        "客服专员",
        ARCHIVE_READ
        + PII
        + SALES_FILES
        + APPOINTMENTS_READ
        + ("callbacks.view_callitem", "callbacks.work_callitem")
        + COMPLAINTS_RECEIVE
        + PROBLEMS,
    ),
    Role(
        "complaint",
        "客服主管",
        ARCHIVE_READ
        + PII
        + SALES_FILES
        + COMPLAINTS_RECEIVE
        + (C + "work_complaint",)
        + PROBLEMS
        + SATISFACTION,
    ),
    Role(
        "manager",
        "售后经理",
        ARCHIVE_READ
        + ARCHIVE_WRITE
        + PII
        + LICENCE_PHOTO
        + SALES_FILES
        + (
            "customers.export_customer",
            "customers.import_archive",
            "customers.accept_invalid_vin",
            "customers.add_salesfile",
            "customers.merge_customer",
            "customers.view_piireveal",
            W + "approve_discount",
            K + "view_jobboard",
            "core.view_jobrun",
            ST + "approve_stockcount",
            ST + "add_accessoryseller",
            ST + "view_countersale",
            ST + "view_accessory_commission",
        )
        + WORK_ORDER_DESK
        + CATALOGUE
        + WORKSHOP_KEEP
        + APPOINTMENTS
        + STOCK_READ
        + PROBLEMS
        + SATISFACTION
        # The service manager follows the claims, the statement and the 三包 warnings.
        + (WA + "view_warrantyclaim", WA + "view_warranty_statement", WA + "view_warranty_watch")
        + COMPLAINTS_RECEIVE
        + (C + "approve_complaint",),
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
            "core.view_jobrun",
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
    NavItem("预约看板", "appointments:board", "appointments.view_appointment", "预约"),
    NavItem("待确认预约", "appointments:confirmations", "appointments.change_appointment", "预约"),
    NavItem("预约对象", "appointments:targets", "appointments.view_target", "预约"),
    NavItem("预约统计", "appointments:stats", "appointments.view_appointment", "预约"),
    NavItem("派工看板", "workshop:dispatch_board", "workorders.dispatch_workorder", "车间"),
    NavItem("车间看板", "workshop:job_board", "workshop.view_jobboard", "车间"),
    NavItem("我的作业", "workshop:my_jobs", "workorders.view_own_jobs", "车间"),
    NavItem("班组检验", "workshop:team_queue", "workorders.inspect_workorder", "车间"),
    NavItem("终检", "workshop:qc_queue", "workorders.qc_workorder", "车间"),
    NavItem("车间统计", "workshop:stats", "workshop.view_technician", "车间"),
    NavItem("车间设置", "workshop:team_list", "workshop.view_team", "车间"),
    NavItem("客户档案", "customers:customer_list", "customers.view_customer", "档案"),
    NavItem("车辆", "customers:vehicle_list", "customers.view_vehicle", "档案"),
    NavItem("销售档案", "customers:salesfile_list", "customers.view_salesfile", "档案"),
    NavItem("档案导入", "customers:import_list", "customers.import_archive", "档案"),
    NavItem("号码查看记录", "customers:pii_reveal_list", "customers.view_piireveal", "档案"),
    # Complaints sit with the archive (投诉归档): no extra entry on a tablet's bar.
    NavItem("投诉", "complaints:list", "complaints.view_complaint", "档案"),
    NavItem("回访拨打", "callbacks:queue", "callbacks.work_callitem"),
    NavItem("问题处理", "callbacks:problem_list", "callbacks.view_problem", "档案"),
    NavItem("满意度统计", "callbacks:satisfaction", "callbacks.view_satisfaction", "档案"),
    NavItem("维修项目", "catalogue:labour_list", "workorders.view_labouroperation", "目录"),
    NavItem("配件目录", "parts:part_list", "parts.view_part", "目录"),
    NavItem("库存", "stock:stock_list", "stock.view_stock", "配件"),
    NavItem("出库", "stock:issue_list", "stock.view_issueslip", "配件"),
    NavItem("预先捡料", "stock:prepick", "stock.view_issueslip", "配件"),
    NavItem("请购", "stock:request_list", "stock.view_purchaserequest", "配件"),
    NavItem("入库", "stock:receipt_list", "stock.view_goodsreceipt", "配件"),
    NavItem("盘点", "stock:count_list", "stock.view_stockcount", "配件"),
    NavItem("柜台销售", "stock:counter_sale_list", "stock.view_countersale", "配件"),
    NavItem("精品提成", "stock:commission", "stock.view_accessory_commission", "配件"),
    NavItem("索赔单", "warranty:claim_list", "warranty.view_warrantyclaim", "索赔"),
    NavItem("三包预警", "warranty:watch_list", "warranty.view_warranty_watch", "索赔"),
    NavItem("单据寄送", "warranty:documents", "warranty.manage_claim_documents", "索赔"),
    NavItem("月结单", "warranty:statement", "warranty.view_warranty_statement", "索赔"),
    NavItem("经销商设置", "core:settings_edit", "core.change_dealershipsettings"),
    NavItem("定时任务", "core:job_run_list", "core.view_jobrun"),
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
