from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("", include("apps.accounts.urls")),
    path("archive/", include("apps.customers.urls")),
    path("workorders/", include("apps.workorders.urls")),
    path("catalogue/", include("apps.workorders.urls_catalogue")),
    path("parts/", include("apps.parts.urls")),
    path("settings/", include("apps.core.urls")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
