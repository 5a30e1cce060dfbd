from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DealershipSettings
from .services import area_settings_save


class AreaSettingsAdmin(SimpleHistoryAdmin):
    """An area's settings row in the admin: one row, never deleted, saved through the
    settings service (history and cache), with its change history one click away."""

    def has_add_permission(self, request):
        return not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        area_settings_save(rows=[obj], by=request.user)


admin.site.register(DealershipSettings, AreaSettingsAdmin)
