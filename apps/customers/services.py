"""Writes to the customer archive. Each service owns its transaction."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.calendar import month_start_before, working_day_after
from apps.core.pii import PiiField
from apps.core.settings import current_settings

from .models import (
    ArchiveSettings,
    Customer,
    PiiReveal,
    SalesDocument,
    SalesFile,
    Vehicle,
    VehicleOwnership,
)
from .selectors import spend_and_visits, vin_already_accepted
from .validators import id_number_birthday, id_number_sex, is_vin_check_digit_valid


def derive_from_id_number(customer: Customer) -> None:
    """Birthday and sex come from the resident ID number when there is one (GB 11643)."""
    if customer.id_number:
        customer.birthday = id_number_birthday(customer.id_number)
        customer.sex = id_number_sex(customer.id_number)


def customer_save(*, customer: Customer) -> Customer:
    """Create or update a customer whose fields were validated by a form or the import."""
    derive_from_id_number(customer)
    if customer.kind == Customer.Kind.COMPANY:
        customer.id_number = ""
        customer.sex = ""
    customer.save()
    return customer


def vehicle_save(*, vehicle: Vehicle, by, vin_exception_reason: str = "") -> Vehicle:
    """Create or update a vehicle. A VIN failing only its check digit is kept when a user
    allowed to (customers.accept_invalid_vin) gives a reason; it stays flagged. Once kept,
    the same VIN stays accepted when anyone edits the vehicle's other fields: the earlier
    reason and approver stay unless a user allowed to gives a new reason."""
    valid = is_vin_check_digit_valid(vehicle.vin)
    reason = vin_exception_reason.strip()
    may_accept = by.has_perm("customers.accept_invalid_vin")
    if valid:
        vehicle.vin_exception_reason = ""
        vehicle.vin_exception_by = None
    elif reason and may_accept:
        vehicle.vin_exception_reason = reason
        vehicle.vin_exception_by = by
    elif not vin_already_accepted(vehicle_id=vehicle.pk, vin=vehicle.vin):
        if not may_accept:
            raise ValidationError({"vin": "VIN 校验位错误,只有售后经理可以填写原因后保留。"})
        raise ValidationError({"vin_exception_reason": "保留校验位错误的 VIN 必须填写原因。"})
    vehicle.vin_check_digit_valid = valid
    with transaction.atomic():
        is_new = vehicle.pk is None
        vehicle.save()
        if is_new:
            VehicleOwnership.objects.create(
                vehicle=vehicle,
                customer=vehicle.owner,
                started_on=vehicle.sale_date or timezone.localdate(),
            )
    return vehicle


def vehicle_change_owner(
    *, vehicle: Vehicle, new_owner: Customer, on: dt.date, note: str = ""
) -> Vehicle:
    """Transfer a vehicle: close the open ownership row and open one for the new owner.

    1. Lock the vehicle row, so two transfers of one car cannot interleave.
    2. Refuse a transfer to the current owner or dated before the current ownership began.
    3. Close the open row on `on`, open the new one, and point vehicle.owner at it.
    """
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if locked.owner_id == new_owner.pk:
            raise ValidationError({"new_owner": "新车主与当前车主相同。"})
        current = locked.ownerships.filter(ended_on__isnull=True).first()
        if current and on < current.started_on:
            raise ValidationError({"on": "过户日期不能早于当前车主的起始日期。"})
        if current:
            current.ended_on = on
            current.save(update_fields=["ended_on", "updated_at"])
        VehicleOwnership.objects.create(
            vehicle=locked, customer=new_owner, started_on=on, note=note
        )
        locked.owner = new_owner
        locked.save(update_fields=["owner", "updated_at"])
    vehicle.refresh_from_db()
    return vehicle


def sales_file_save(*, sales_file: SalesFile) -> SalesFile:
    """Create or update a sales file; the documents are due N working days after delivery."""
    days = current_settings(ArchiveSettings).sales_documents_due_working_days
    sales_file.documents_due_on = working_day_after(sales_file.delivered_on, days)
    with transaction.atomic():
        sales_file.save()
        _refresh_documents_completed(sales_file)
    return sales_file


def sales_file_receive_documents(
    *, sales_file: SalesFile, kinds: list[str], on: dt.date, by
) -> SalesFile:
    """Record documents received (idempotent: a document already received keeps its
    first date); when all are in, the file is complete on the latest receipt date."""
    with transaction.atomic():
        locked = SalesFile.objects.select_for_update().get(pk=sales_file.pk)
        received = set(locked.documents.values_list("kind", flat=True))
        SalesDocument.objects.bulk_create(
            [
                SalesDocument(sales_file=locked, kind=kind, received_on=on, received_by=by)
                for kind in kinds
                if kind not in received
            ]
        )
        _refresh_documents_completed(locked)
    sales_file.refresh_from_db()
    return sales_file


def sales_file_remove_document(*, sales_file: SalesFile, kind: str) -> SalesFile:
    """Undo a receipt recorded by mistake; the file is then incomplete again."""
    with transaction.atomic():
        locked = SalesFile.objects.select_for_update().get(pk=sales_file.pk)
        locked.documents.filter(kind=kind).delete()
        _refresh_documents_completed(locked)
    sales_file.refresh_from_db()
    return sales_file


def _refresh_documents_completed(sales_file: SalesFile) -> None:
    dates = list(sales_file.documents.values_list("received_on", flat=True))
    complete = len(dates) == len(SalesFile.Document.choices)
    completed_on = max(dates) if complete else None
    if sales_file.documents_completed_on != completed_on:
        sales_file.documents_completed_on = completed_on
        sales_file.save(update_fields=["documents_completed_on", "updated_at"])


def segment_for(*, spend, visits: int, settings_row) -> str:
    s = settings_row
    if spend >= s.segment_vip_spend or visits >= s.segment_vip_visits:
        return Customer.Segment.VIP
    if spend >= s.segment_major_spend or visits >= s.segment_major_visits:
        return Customer.Segment.MAJOR
    if spend >= s.segment_normal_spend or visits >= s.segment_normal_visits:
        return Customer.Segment.NORMAL
    return Customer.Segment.SMALL


def customers_recompute_segments(*, on: dt.date) -> int:
    """Recompute every customer's segment from the last N months' paid spend and visits.

    Idempotent: a second run on the same date changes nothing. Returns rows changed.
    """
    settings_row = current_settings(ArchiveSettings)
    since = month_start_before(on, settings_row.segment_months)
    totals = {row["customer_id"]: row for row in spend_and_visits(since=since)}
    changed = []
    for customer in Customer.objects.only("id", "segment", "segment_computed_on").iterator(
        chunk_size=5000
    ):
        row = totals.get(customer.id, {"spend": 0, "visits": 0})
        segment = segment_for(spend=row["spend"], visits=row["visits"], settings_row=settings_row)
        if customer.segment != segment or customer.segment_computed_on != on:
            customer.segment = segment
            customer.segment_computed_on = on
            changed.append(customer)
    with transaction.atomic():
        Customer.objects.bulk_update(changed, ["segment", "segment_computed_on"], batch_size=2000)
    return len(changed)


def customer_reveal_pii(*, customer: Customer, field: str, by, page: str) -> str:
    """The whole value of one masked field of `customer`, for `by` (who must hold
    customers.view_pii: the view checks it). Every reveal is logged first: who, when, which
    customer, which field, and the page it was asked from (PIPL)."""
    if field not in PiiField.values:
        raise ValueError(f"not a revealable field: {field}")
    PiiReveal.objects.create(
        customer=customer,
        field=field,
        revealed_by=by,
        page=page[: PiiReveal._meta.get_field("page").max_length],
    )
    return getattr(customer, field)
