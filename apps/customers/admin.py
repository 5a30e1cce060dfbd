"""The Django admin of the archive: for administrators, and bound by the app's rules.

- Writes go through the services (save_model), so the admin normalises and refuses what
  the forms do; fields only a service may change (a vehicle's owner, segments, VIN
  exceptions, document dates, an import's status) are read-only, and ownership rows,
  merge records and import batches are view-only.
- Personal data is masked as in the app (apps.core.templatetags.dms): lists show masked
  phones; the change form shows the mobile, other phone and ID number only to a user with
  customers.view_pii, and masked read-only values to anyone else.
"""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import AreaSettingsAdmin
from apps.core.form_messages import OwnMessagesMixin
from apps.core.pii import mask_id, mask_phone

from . import services
from .forms import CustomerRulesForm
from .models import (
    ArchiveSettings,
    Customer,
    CustomerMerge,
    ImportBatch,
    SalesFile,
    Vehicle,
    VehicleOwnership,
)
from .selectors import vin_already_accepted
from .validators import (
    is_vin_check_digit_valid,
    normalize_plate,
    normalize_vin,
    validate_delivered_on,
)

PII_FIELDS = ("mobile", "phone_other", "id_number")


class VehicleAdminForm(OwnMessagesMixin, forms.ModelForm):
    """VIN and plate as the app's form reads them. Keeping a VIN with a bad check digit
    needs a manager's reason, given in the app (VehicleForm), not here."""

    typed_identifiers = ("vin", "plate")

    def clean_vin(self):
        vin = normalize_vin(self.cleaned_data["vin"], allow_bad_check_digit=True)
        if not is_vin_check_digit_valid(vin) and not vin_already_accepted(
            vehicle_id=self.instance.pk, vin=vin
        ):
            normalize_vin(vin)  # raises the check-digit message
        return vin

    def clean_plate(self):
        value = self.cleaned_data["plate"]
        return normalize_plate(value) if value else ""


class SalesFileAdminForm(OwnMessagesMixin, forms.ModelForm):
    def clean_delivered_on(self):
        delivered = self.cleaned_data["delivered_on"]
        validate_delivered_on(delivered)
        return delivered


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: administrators may look, not add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    form = CustomerRulesForm
    list_display = ("name", "masked_mobile", "kind", "segment", "source", "created_at")
    search_fields = ("name", "mobile")
    list_filter = ("kind", "segment", "source")
    # The segment is computed (on creation, then monthly); birthday and sex follow the ID.
    service_fields = ("segment", "segment_computed_on", "created_at")

    @admin.display(description="手机")
    def masked_mobile(self, obj):
        return mask_phone(obj.mobile)

    @admin.display(description="其他电话")
    def masked_phone_other(self, obj):
        return mask_phone(obj.phone_other) or "—"

    @admin.display(description="身份证号")
    def masked_id_number(self, obj):
        return mask_id(obj.id_number) or "—"

    def _sees_pii(self, request) -> bool:
        return request.user.has_perm("customers.view_pii")

    def get_exclude(self, request, obj=None):
        return () if self._sees_pii(request) or obj is None else PII_FIELDS

    def get_readonly_fields(self, request, obj=None):
        masked = ()
        if obj is not None and not self._sees_pii(request):
            masked = ("masked_mobile", "masked_phone_other", "masked_id_number")
        return (*self.service_fields, *masked)

    def save_model(self, request, obj, form, change):
        services.customer_save(customer=obj)


@admin.register(Vehicle)
class VehicleAdmin(SimpleHistoryAdmin):
    form = VehicleAdminForm
    list_display = ("plate", "vin", "brand", "model_name", "vin_check_digit_valid")
    search_fields = ("vin", "plate")
    raw_id_fields = ("owner",)
    list_filter = ("vin_check_digit_valid", "brand")
    # Set by vehicle_save from the VIN and the approver's reason, never by hand.
    service_fields = ("vin_check_digit_valid", "vin_exception_reason", "vin_exception_by")

    def get_readonly_fields(self, request, obj=None):
        # The owner changes only by a transfer (vehicle_change_owner), which keeps history.
        return self.service_fields if obj is None else ("owner", *self.service_fields)

    def save_model(self, request, obj, form, change):
        if change:
            services.vehicle_save(vehicle=obj, by=request.user)
        else:
            services.vehicle_register(vehicle=obj, owner=obj.owner, by=request.user)


@admin.register(SalesFile)
class SalesFileAdmin(SimpleHistoryAdmin):
    form = SalesFileAdminForm
    raw_id_fields = ("vehicle",)
    list_display = ("vehicle", "delivered_on", "salesperson", "documents_due_on")
    # Computed by sales_file_save (due date) and the document receipts (completed date).
    readonly_fields = ("documents_due_on", "documents_completed_on")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ("vehicle", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        services.sales_file_save(sales_file=obj)


@admin.register(VehicleOwnership)
class VehicleOwnershipAdmin(ViewOnlyAdmin):
    list_display = ("vehicle", "customer", "started_on", "ended_on")
    raw_id_fields = ("vehicle", "customer")


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ViewOnlyAdmin):
    list_display = ("kept", "duplicate_id", "duplicate_name", "merged_by", "reason", "created_at")


@admin.register(ImportBatch)
class ImportBatchAdmin(ViewOnlyAdmin):
    list_display = ("original_name", "status", "created_by", "created_at")


admin.site.register(ArchiveSettings, AreaSettingsAdmin)
