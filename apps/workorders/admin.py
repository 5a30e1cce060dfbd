from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import ServiceSettings, WorkOrder, WorkOrderLine


class WorkOrderLineInline(admin.TabularInline):
    model = WorkOrderLine
    extra = 0


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "vehicle", "customer", "kind", "status", "opened_at", "total_amount")
    search_fields = ("number",)
    raw_id_fields = ("vehicle", "customer", "advisor")
    inlines = [WorkOrderLineInline]

    def get_readonly_fields(self, request, obj=None):
        # The status moves only through the work-order flow; a visit's vehicle and customer
        # move only with the archive's services (transfer, merge).
        return ("status",) if obj is None else ("status", "vehicle", "customer")


admin.site.register(ServiceSettings, AreaSettingsAdmin)
