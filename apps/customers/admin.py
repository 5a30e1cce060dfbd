from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import AreaSettingsAdmin

from .models import ArchiveSettings, Customer, ImportBatch, SalesFile, Vehicle, VehicleOwnership


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "segment", "source", "created_at")
    search_fields = ("name", "mobile")
    list_filter = ("kind", "segment", "source")


@admin.register(Vehicle)
class VehicleAdmin(SimpleHistoryAdmin):
    list_display = ("plate", "vin", "brand", "model_name", "vin_check_digit_valid")
    search_fields = ("vin", "plate")
    raw_id_fields = ("owner",)
    list_filter = ("vin_check_digit_valid", "brand")


admin.site.register(VehicleOwnership, raw_id_fields=("vehicle", "customer"))
admin.site.register(SalesFile, SimpleHistoryAdmin, raw_id_fields=("vehicle",))
admin.site.register(
    ImportBatch, list_display=("original_name", "status", "created_by", "created_at")
)

admin.site.register(ArchiveSettings, AreaSettingsAdmin)
