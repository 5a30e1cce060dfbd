from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("", include("apps.accounts.urls")),
    path("archive/", include("apps.customers.urls")),
    path("workorders/", include("apps.workorders.urls")),
    path("appointments/", include("apps.appointments.urls")),
    path("catalogue/", include("apps.workorders.urls_catalogue")),
    path("parts/", include("apps.parts.urls")),
    path("workshop/", include("apps.workshop.urls")),
    path("callbacks/", include("apps.callbacks.urls")),
    path("complaints/", include("apps.complaints.urls")),
    path("stock/", include("apps.stock.urls")),
    path("warranty/", include("apps.warranty.urls")),
    path("settings/", include("apps.core.urls")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
