from django.contrib import admin

from .models import DealershipSettings


@admin.register(DealershipSettings)
class DealershipSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not DealershipSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
