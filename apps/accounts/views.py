from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.decorators import method_decorator

from apps.customers import selectors as customer_selectors


@method_decorator(login_not_required, name="dispatch")
class DmsLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def home(request):
    """工作台: every role lands here and sees the panels of the roles it holds."""
    user = request.user
    context = {}
    if user.has_perm("customers.view_customer"):
        context["archive_stats"] = customer_selectors.archive_stats()
        context["recent_visits"] = customer_selectors.recent_visits(limit=10)
    if user.has_perm("customers.view_salesfile"):
        context["late_sales_files"] = customer_selectors.sales_files_late(limit=5)
    if user.has_perm("customers.import_archive"):
        context["recent_imports"] = customer_selectors.import_batches(limit=5)
    context["is_settings_admin"] = user.has_perm("core.change_dealershipsettings")
    context["is_technician"] = user.has_perm("workorders.view_own_jobs")
    return render(request, "accounts/home.html", context)
