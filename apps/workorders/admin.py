from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import (
    Approval,
    CannedJob,
    CannedJobLine,
    DelayNotice,
    LabourOperation,
    MaintenanceInterval,
    NumberSequence,
    Payment,
    Receivable,
    Recommendation,
    ServiceSettings,
    Signature,
    StatusChange,
    WorkOrder,
    WorkOrderDocument,
    WorkOrderLine,
)


class WorkOrderLineInline(admin.TabularInline):
    model = WorkOrderLine
    extra = 0
    raw_id_fields = ("labour_operation", "part", "canned_job", "from_recommendation", "approval")


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


class FlowRecordAdmin(admin.ModelAdmin):
    """Records the flow writes (moves, approvals, signatures, payments): evidence, shown in
    the admin and never edited there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(FlowRecordAdmin):
    list_display = ("work_order", "transition", "from_status", "to_status", "by", "at")
    list_filter = ("to_status",)
    search_fields = ("work_order__number",)


@admin.register(Approval)
class ApprovalAdmin(FlowRecordAdmin):
    list_display = ("work_order", "kind", "method", "customer_name", "approved_at", "taken_by")
    search_fields = ("work_order__number",)


@admin.register(Signature)
class SignatureAdmin(FlowRecordAdmin):
    list_display = ("signer_name", "signed_at", "taken_by", "sha256")
    exclude = ("png",)  # private file: no URL; the work-order page streams it


@admin.register(Payment)
class PaymentAdmin(FlowRecordAdmin):
    list_display = ("work_order", "method", "amount", "reference", "received_by", "received_at")
    search_fields = ("work_order__number", "reference")


@admin.register(Receivable)
class ReceivableAdmin(FlowRecordAdmin):
    list_display = ("work_order", "payer", "party", "amount", "status", "created_at")
    list_filter = ("status", "payer")


@admin.register(DelayNotice)
class DelayNoticeAdmin(FlowRecordAdmin):
    list_display = ("work_order", "old_promised_at", "new_promised_at", "told_at", "told_by")


@admin.register(WorkOrderDocument)
class WorkOrderDocumentAdmin(FlowRecordAdmin):
    list_display = ("work_order", "kind", "version", "created_at", "sha256")
    exclude = ("file",)  # private file: downloaded through workorders:document_download


@admin.register(Recommendation)
class RecommendationAdmin(FlowRecordAdmin):
    list_display = ("vehicle", "description", "amount", "status", "created_at")
    list_filter = ("status",)


@admin.register(NumberSequence)
class NumberSequenceAdmin(FlowRecordAdmin):
    list_display = ("key", "last")


@admin.register(LabourOperation)
class LabourOperationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "standard_hours", "fits_models", "active")
    search_fields = ("code", "name")


class CannedJobLineInline(admin.TabularInline):
    model = CannedJobLine
    extra = 0
    raw_id_fields = ("labour_operation", "part")


@admin.register(CannedJob)
class CannedJobAdmin(admin.ModelAdmin):
    list_display = ("name", "model_name", "mileage", "kind", "active")
    inlines = [CannedJobLineInline]


admin.site.register(MaintenanceInterval)
admin.site.register(ServiceSettings, AreaSettingsAdmin)
