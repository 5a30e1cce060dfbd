"""Writes to the customer archive. Each service owns its transaction."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.calendar import month_start_before, working_day_after
from apps.core.selectors import dealership_settings
from apps.core.text import normalize_text

from .models import Customer, SalesDocument, SalesFile, Vehicle, VehicleOwnership
from .selectors import spend_and_visits, vin_already_accepted
from .validators import (
    id_number_birthday,
    id_number_sex,
    is_vin_check_digit_valid,
    normalize_mobile,
    normalize_phone_other,
    normalize_plate,
    normalize_vin,
)

BULK_BATCH = 2000  # rows per INSERT in the bulk services: one statement stays under 1 MB


def derive_from_id_number(customer: Customer) -> None:
    """Birthday and sex come from the resident ID number when there is one (GB 11643)."""
    if customer.id_number:
        customer.birthday = id_number_birthday(customer.id_number)
        customer.sex = id_number_sex(customer.id_number)


def _prepare_customer(customer: Customer, *, settings_row=None, on: dt.date | None = None):
    """The customer rules, in one place for the forms, the import and the demo:

    1. Name and phones in canonical form (one normaliser: apps.core.text).
    2. A person's birthday and sex come from the resident ID number when there is one.
    3. A company keeps no ID number, no sex and no birthday derived from an ID number.
    4. A new customer's segment is computed now with the monthly recompute's rule (a new
       customer has no visits yet, so the thresholds for zero spend and zero visits).
    """
    customer.name = normalize_text(customer.name)
    customer.mobile = normalize_mobile(customer.mobile)
    customer.phone_other = normalize_phone_other(customer.phone_other)
    if customer.kind == Customer.Kind.COMPANY:
        if customer.id_number and customer.birthday:
            try:
                derived = id_number_birthday(customer.id_number)
            except ValueError:  # stdnum's errors derive from ValueError
                derived = None
            if customer.birthday == derived:
                customer.birthday = None
        customer.id_number = ""
        customer.sex = ""
    else:
        derive_from_id_number(customer)
    if customer.pk is None and settings_row is not None:
        customer.segment = segment_for(spend=0, visits=0, settings_row=settings_row)
        customer.segment_computed_on = on


def customer_create(*, customer: Customer) -> Customer:
    """Create a customer whose fields were validated by a form or the import."""
    if customer.pk is not None:
        raise ValueError("customer_create() takes a new customer; use customer_save().")
    _prepare_customer(customer, settings_row=dealership_settings(), on=timezone.localdate())
    with transaction.atomic():
        customer.save()
    return customer


def customer_save(*, customer: Customer) -> Customer:
    """Update a customer (a new one is handed to customer_create)."""
    if customer.pk is None:
        return customer_create(customer=customer)
    _prepare_customer(customer)
    with transaction.atomic():
        customer.save()
    return customer


def customers_create_many(*, customers: list[Customer]) -> list[Customer]:
    """Create many customers at once (the import, the demo) under the same rules as
    customer_create, in INSERTs of BULK_BATCH rows. Returns them with their ids."""
    settings_row, today = dealership_settings(), timezone.localdate()
    for customer in customers:
        _prepare_customer(customer, settings_row=settings_row, on=today)
    with transaction.atomic():
        return Customer.objects.bulk_create(customers, batch_size=BULK_BATCH)


def _apply_vin_rule(vehicle: Vehicle, *, by, vin_exception_reason: str) -> None:
    """A VIN failing only its check digit is kept when a user allowed to
    (customers.accept_invalid_vin) gives a reason; it stays flagged. Once kept, the same
    VIN stays accepted when anyone edits the vehicle's other fields: the earlier reason
    and approver stay unless a user allowed to gives a new reason."""
    vehicle.vin = normalize_vin(vehicle.vin, allow_bad_check_digit=True)
    vehicle.plate = normalize_plate(vehicle.plate) if vehicle.plate else ""
    valid = is_vin_check_digit_valid(vehicle.vin)
    reason = vin_exception_reason.strip()
    may_accept = not valid and by is not None and by.has_perm("customers.accept_invalid_vin")
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


def vehicle_register(
    *,
    vehicle: Vehicle,
    owner: Customer,
    by,
    started_on: dt.date | None = None,
    note: str = "",
    vin_exception_reason: str = "",
) -> Vehicle:
    """Create a vehicle and its open ownership row (the one place that rule lives).

    The ownership starts on `started_on`, else the sale date, else today.
    """
    if vehicle.pk is not None:
        raise ValueError("vehicle_register() takes a new vehicle; use vehicle_save().")
    vehicle.owner = owner
    _apply_vin_rule(vehicle, by=by, vin_exception_reason=vin_exception_reason)
    with transaction.atomic():
        vehicle.save()
        VehicleOwnership.objects.create(
            vehicle=vehicle,
            customer=owner,
            started_on=started_on or vehicle.sale_date or timezone.localdate(),
            note=note[:200],
        )
    return vehicle


def vehicles_register_many(*, vehicles: list[Vehicle], note: str = "") -> list[Vehicle]:
    """Create many vehicles (each with its `owner` set) and their open ownership rows,
    started on the sale date or today. For trusted bulk writers (the import, the demo):
    a VIN with a bad check digit must come with its vin_exception_reason already set."""
    today = timezone.localdate()
    for vehicle in vehicles:
        vehicle.vin = normalize_vin(vehicle.vin, allow_bad_check_digit=True)
        vehicle.plate = normalize_plate(vehicle.plate) if vehicle.plate else ""
        vehicle.vin_check_digit_valid = is_vin_check_digit_valid(vehicle.vin)
        if not vehicle.vin_check_digit_valid and not vehicle.vin_exception_reason.strip():
            raise ValidationError({"vin": f"VIN {vehicle.vin} 校验位错误,保留须填写原因。"})
    with transaction.atomic():
        Vehicle.objects.bulk_create(vehicles, batch_size=BULK_BATCH)
        VehicleOwnership.objects.bulk_create(
            [
                VehicleOwnership(
                    vehicle=vehicle,
                    customer=vehicle.owner,
                    started_on=vehicle.sale_date or today,
                    note=note[:200],
                )
                for vehicle in vehicles
            ],
            batch_size=BULK_BATCH,
        )
    return vehicles


def vehicle_save(*, vehicle: Vehicle, by, vin_exception_reason: str = "") -> Vehicle:
    """Update a vehicle's own fields (a new one is handed to vehicle_register; the owner
    changes only through vehicle_change_owner)."""
    if vehicle.pk is None:
        return vehicle_register(
            vehicle=vehicle, owner=vehicle.owner, by=by, vin_exception_reason=vin_exception_reason
        )
    _apply_vin_rule(vehicle, by=by, vin_exception_reason=vin_exception_reason)
    with transaction.atomic():
        vehicle.save()
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
    days = dealership_settings().sales_documents_due_working_days
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


def customers_recompute_segments(*, on: dt.date, customer_ids: set[int] | None = None) -> int:
    """Recompute every customer's segment (or only those of `customer_ids`: the import's)
    from the last N months' paid spend and visits.

    Idempotent: a second run on the same date changes nothing. Returns rows changed.
    """
    settings_row = dealership_settings()
    since = month_start_before(on, settings_row.segment_months)
    customers = Customer.objects.only("id", "segment", "segment_computed_on")
    visits = spend_and_visits(since=since)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
        visits = visits.filter(customer_id__in=customer_ids)
    totals = {row["customer_id"]: row for row in visits}
    changed = []
    for customer in customers.iterator(chunk_size=5000):
        row = totals.get(customer.id, {"spend": 0, "visits": 0})
        segment = segment_for(spend=row["spend"], visits=row["visits"], settings_row=settings_row)
        if customer.segment != segment or customer.segment_computed_on != on:
            customer.segment = segment
            customer.segment_computed_on = on
            changed.append(customer)
    with transaction.atomic():
        Customer.objects.bulk_update(changed, ["segment", "segment_computed_on"], batch_size=2000)
    return len(changed)
