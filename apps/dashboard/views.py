"""The 工作台 (home page): every role lands here and sees the panels of the roles it holds.

This app is the top layer: it reads the selectors of every other app, and no app imports
it. Each panel shows to the users holding its permission; a user whose roles show none
gets the dealership's contacts instead of an empty page.
"""

from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone

from apps.callbacks import satisfaction
from apps.callbacks import selectors as callback_selectors
from apps.complaints import selectors as complaint_selectors
from apps.customers import selectors as customer_selectors
from apps.stock import selectors as stock_selectors
from apps.warranty import selectors as warranty_selectors
from apps.workorders import selectors as workorder_selectors
from apps.workorders import selectors_pages as workorder_pages

# The workshop's pages by permission: the 工作台 of the floor's roles points to them (no
# query: the permissions are loaded for the navigation anyway).
FLOOR_LINKS = (
    ("派工看板", "workshop:dispatch_board", "workorders.dispatch_workorder", "bi-diagram-3"),
    ("车间看板", "workshop:job_board", "workshop.view_jobboard", "bi-display"),
    ("我的作业", "workshop:my_jobs", "workorders.view_own_jobs", "bi-wrench-adjustable"),
    ("班组检验", "workshop:team_queue", "workorders.inspect_workorder", "bi-clipboard-check"),
    ("终检", "workshop:qc_queue", "workorders.qc_workorder", "bi-patch-check"),
)


def care_panel(*, today):
    """The manager's care loop: this month's satisfaction by department (only the
    departments with answers), the problems waiting for their quick handling, the open and
    the overdue complaints. Three queries."""
    rows = satisfaction.satisfaction(today.replace(day=1), today)
    return {
        "satisfaction": [row for row in rows if row.answers],
        "total": satisfaction.satisfaction_total(rows),
        "problems_open": callback_selectors.problems_open_count(),
        "complaints": complaint_selectors.complaint_counts(today=today),
    }


def home(request):
    user = request.user
    # The user's groups, loaded once: the navigation's role labels (context processor)
    # read them, so the page runs no extra query for them.
    prefetch_related_objects([user], "groups")
    context = {}
    if user.has_perm("customers.view_customer"):
        context["archive_stats"] = customer_selectors.archive_stats()
        context["recent_visits"] = workorder_selectors.recent_visits(limit=10)
    if user.has_perm("workorders.change_workorder"):  # the service desk: the advisor's day
        context["advisor_day"] = workorder_pages.advisor_day(advisor=user, now=timezone.now())
    if user.has_perm("workorders.change_workorder"):  # parts arrived for the advisor's orders
        context["arrivals"] = stock_selectors.advisor_arrivals(user, now=timezone.now())
    if user.has_perm("stock.add_issueslip"):  # the parts counter: orders waiting, stock low
        context["waiting_for_issue"] = stock_selectors.orders_waiting_for_issue(limit=8)
        context["below_minimum"], context["more_below_minimum"] = stock_selectors.below_minimum(
            limit=8
        )
    if user.has_perm("stock.confirm_issueslip"):  # the technician signs for parts
        context["unconfirmed_slips"] = stock_selectors.unconfirmed_slips(user)
    if user.has_perm("customers.view_salesfile"):
        context["late_sales_files"] = customer_selectors.sales_files_late(limit=5)
    if user.has_perm("customers.import_archive"):
        context["recent_imports"] = customer_selectors.import_batches(limit=5)
    # The warranty clerk's deadlines and the 三包 warnings (clerk and service manager).
    context["warranty"] = warranty_selectors.warranty_home(user=user, now=timezone.now())
    # Overdue complaints: all for the manager, the handler's own for the complaint supervisor.
    context["overdue_complaints"] = complaint_selectors.complaints_home(
        user=user, today=timezone.localdate()
    )
    if user.has_perm("callbacks.work_callitem"):  # the callback clerk's day (2 queries)
        context["clerk_day"] = callback_selectors.clerk_day(now=timezone.now())
    if user.has_perm("callbacks.view_satisfaction"):  # the manager's care loop (3 queries)
        context["care"] = care_panel(today=timezone.localdate())
    context["floor_links"] = [
        (label, url, icon)
        for label, url, permission, icon in FLOOR_LINKS
        if user.has_perm(permission)
    ]
    context["is_settings_admin"] = user.has_perm("core.change_dealershipsettings")
    return render(request, "dashboard/home.html", context)
