"""The Django admin, for administrators only: everyone else gets our Chinese 403 page.

Django's admin sends a signed-in user who is not staff to its own login form ("you are
authenticated as … but are not authorized"), in English-styled admin chrome; here such a
user gets the same 无权访问 page as any other page outside their role. Anonymous visitors
go to our login page (one login page for the whole site), then back to the admin.
"""

from functools import update_wrapper

from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

# What the one-line 403 log says was missing (core/log_filters.py).
STAFF_ONLY = "admin site (staff only)"


class DmsAdminSite(AdminSite):
    site_header = "售后DMS 系统管理"
    site_title = "售后DMS"

    def _refuse_non_staff(self, request) -> None:
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied(STAFF_ONLY)

    def admin_view(self, view, cacheable=False):
        admin_only = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            self._refuse_non_staff(request)
            return admin_only(request, *args, **kwargs)

        return update_wrapper(inner, admin_only)

    @login_not_required  # as Django's own: the view decides, before LoginRequiredMiddleware
    def login(self, request, extra_context=None):
        self._refuse_non_staff(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))
        return super().login(request, extra_context)
