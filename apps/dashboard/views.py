"""The 工作台 (home page): every role lands here and sees the panels of the roles it holds.

This app is the top layer: it reads the selectors of every other app, and no app imports
it. Each panel shows to the users holding its permission; roles whose own module is not
built yet get a plain word on what is coming instead of an empty page.
"""

from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone

from apps.customers import selectors as customer_selectors
from apps.workorders import selectors as workorder_selectors
from apps.workorders import selectors_pages as workorder_pages


@dataclass(frozen=True)
class Upcoming:
    title: str
    text: str


# By role code: what the role's own panels will be, and which module brings them.
UPCOMING = {
    "technician": Upcoming(
        "我的作业",
        "派给您的工单、开工与完工、自检记录将随“维修工单”和“车间”模块上线,届时显示在这里。",
    ),
    "qc": Upcoming(
        "待终检车辆",
        "等待终检的车辆和您的检验记录将随“车间”模块上线,届时显示在这里。",
    ),
    "parts": Upcoming(
        "配件出库与库存",
        "待领料的工单、出库登记和库存预警将随“配件”模块上线,届时显示在这里;"
        "现在可以从顶部菜单查看车辆档案。",
    ),
}


def home(request):
    user = request.user
    # The role codes come from the user's groups; loading them here once also serves the
    # navigation's role labels (context processor), so the page runs no extra query.
    prefetch_related_objects([user], "groups")
    codes = {group.name for group in user.groups.all()}
    context = {"upcoming": [panel for code, panel in UPCOMING.items() if code in codes]}
    if user.has_perm("customers.view_customer"):
        context["archive_stats"] = customer_selectors.archive_stats()
        context["recent_visits"] = workorder_selectors.recent_visits(limit=10)
    if user.has_perm("workorders.change_workorder"):  # the service desk: the advisor's day
        context["advisor_day"] = workorder_pages.advisor_day(advisor=user, now=timezone.now())
    if user.has_perm("customers.view_salesfile"):
        context["late_sales_files"] = customer_selectors.sales_files_late(limit=5)
    if user.has_perm("customers.import_archive"):
        context["recent_imports"] = customer_selectors.import_batches(limit=5)
    context["is_settings_admin"] = user.has_perm("core.change_dealershipsettings")
    return render(request, "dashboard/home.html", context)
