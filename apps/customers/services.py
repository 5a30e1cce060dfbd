"""Writes to the customer archive. Each service owns its transaction."""

import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.calendar import month_start_before, working_day_after
from apps.core.integrity import violated_constraint
from apps.core.pii import PiiField
from apps.core.settings import current_settings
from apps.core.text import normalize_text
from apps.warranty.models import WarrantySettings

from .models import (
    ArchiveSettings,
    Customer,
    CustomerMerge,
    PiiReveal,
    SalesDocument,
    SalesFile,
    Vehicle,
    VehicleOwnership,
)
from .selectors import spend_and_visits, vin_already_accepted
from .validators import (
    id_number_birthday,
    id_number_sex,
    is_vin_check_digit_valid,
    normalize_mobile,
    normalize_phone_other,
    normalize_plate,
    normalize_vin,
    validate_delivered_on,
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


@contextmanager
def _violations_explained(instance):
    """One transaction for the write; a broken unique rule becomes our own sentence naming
    the other record (the database decides, so two clerks saving at once cannot both win).
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        message = _violation_message(violated_constraint(error), instance)
        if message is None:
            raise
        raise ValidationError(message) from error


def _violation_message(constraint: str | None, instance) -> dict | None:
    if constraint == "customer_mobile_name_unique":
        other = Customer.objects.filter(mobile=instance.mobile, name=instance.name).first()
        return {NON_FIELD_ERRORS: duplicate_customer_message(other)}
    if constraint == "customer_id_number_unique":
        other = Customer.objects.filter(id_number=instance.id_number).first()
        return {"id_number": format_html("该身份证号已登记在客户 {} 名下。", _customer_link(other))}
    if constraint == "vehicle_vin_unique":
        other = Vehicle.objects.select_related("owner").filter(vin=instance.vin).first()
        return {
            "vin": duplicate_vin_message(
                other, new_owner=instance.owner if instance._state.adding else None
            )
        }
    if constraint == "vehicle_plate_unique":
        other = Vehicle.objects.select_related("owner").filter(plate=instance.plate).first()
        return {"plate": duplicate_plate_message(other)}
    return None


def _customer_link(customer: Customer | None) -> str:
    if customer is None:
        return "另一位客户"
    url = reverse("customers:customer_detail", args=[customer.pk])
    return format_html('<a href="{}">{}</a>', url, customer.name)


def duplicate_customer_message(other: Customer | None) -> str:
    if other is None:
        return "已有同名、同手机号的客户档案,请先查找该客户,不要重复建档。"
    return format_html(
        "已有同名、同手机号的客户档案:{}。请打开该档案核对或修改,不要重复建档。",
        _customer_link(other),
    )


def duplicate_vin_message(other: Vehicle | None, *, new_owner: Customer | None) -> str:
    """Whose vehicle the VIN is, and (registering it for someone else) the 过户 link."""
    if other is None:
        return "该 VIN 已登记在另一辆车上。"
    vehicle_url = reverse("customers:vehicle_detail", args=[other.pk])
    message = format_html(
        '该 VIN 已登记:<a href="{}">{}</a>,车主 {}。',
        vehicle_url,
        other.plate or other.vin,
        _customer_link(other.owner),
    )
    if new_owner is not None and new_owner.pk != other.owner_id:
        transfer_url = reverse("customers:vehicle_change_owner", args=[other.pk])
        message += format_html(
            '如果这辆车已转给 {},请<a href="{}?to={}">办理过户</a>,不要重复登记。',
            new_owner.name,
            transfer_url,
            new_owner.pk,
        )
    return message


def duplicate_plate_message(other: Vehicle | None) -> str:
    if other is None:
        return "该车牌已登记在另一辆车上。"
    return format_html(
        '车牌 {} 已登记在车辆 <a href="{}">{}</a>(车主 {})上。车牌转到本车前,'
        "须先在该车页面“释放车牌”。",
        other.plate,
        reverse("customers:vehicle_detail", args=[other.pk]),
        other.vin,
        _customer_link(other.owner),
    )


def customer_create(*, customer: Customer) -> Customer:
    """Create a customer whose fields were validated by a form or the import."""
    if customer.pk is not None:
        raise ValueError("customer_create() takes a new customer; use customer_save().")
    _prepare_customer(
        customer, settings_row=current_settings(ArchiveSettings), on=timezone.localdate()
    )
    with _violations_explained(customer):
        customer.save()
    return customer


def customer_save(*, customer: Customer) -> Customer:
    """Update a customer (a new one is handed to customer_create)."""
    if customer.pk is None:
        return customer_create(customer=customer)
    _prepare_customer(customer)
    with _violations_explained(customer):
        customer.save()
    return customer


def customers_create_many(*, customers: list[Customer]) -> list[Customer]:
    """Create many customers at once (the import, the demo) under the same rules as
    customer_create, in INSERTs of BULK_BATCH rows. Returns them with their ids."""
    settings_row, today = current_settings(ArchiveSettings), timezone.localdate()
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
    with _violations_explained(vehicle):
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
    with _violations_explained(vehicle):
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


# Fields the kept customer takes from a duplicate when its own are empty.
_MERGE_FILLED = (
    "phone_other",
    "id_number",
    "credit_code",
    "sex",
    "birthday",
    "address",
    "preferred_contact_time",
    "club_member_number",
    "club_joined_on",
)


def customers_merge(*, keep: Customer, duplicate: Customer, by, reason: str) -> CustomerMerge:
    """Merge `duplicate` into `keep` (a manager's decision, recorded).

    1. Refuse a merge into itself, one without a reason, and two customers who share
       neither mobile, name nor ID number (not the same person by any of our keys).
    2. Lock both rows in pk order, so two merges of one pair, or a merge and an edit,
       cannot interleave; a duplicate already merged away is refused.
    3. Move every row pointing at the duplicate (vehicles, ownerships, work orders, earlier
       merges, and whatever later modules add) to the kept customer.
    4. Fill the kept customer's empty fields from the duplicate; do-not-call from either,
       marketing consent only when both gave it (PIPL: never widen consent by a merge).
    5. Record the merge, delete the duplicate (simple_history keeps its last state), and
       recompute the kept customer's segment from the visits it now has.
    """
    reason = normalize_text(reason)
    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate": "不能把客户档案合并到它自己。"})
    if not reason:
        raise ValidationError({"reason": "请填写合并原因。"})
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk])
            .order_by("pk")
        }  # fmt: skip
        if duplicate.pk not in locked or keep.pk not in locked:
            raise ValidationError({"duplicate": "该客户档案已被合并或删除,请刷新页面。"})
        kept, gone = locked[keep.pk], locked[duplicate.pk]
        same_id = kept.id_number and kept.id_number == gone.id_number
        if kept.mobile != gone.mobile and kept.name != gone.name and not same_id:
            raise ValidationError({"duplicate": "只能合并手机号、姓名或身份证号相同的客户档案。"})
        moved = {}
        for relation in Customer._meta.related_objects:
            if not relation.one_to_many:
                continue
            count = (
                relation.related_model._base_manager.filter(**{relation.field.name: gone.pk})
                .update(**{relation.field.name: kept.pk})
            )  # fmt: skip
            if count:
                moved[relation.related_model._meta.label_lower] = count
        if gone.id_number and not kept.id_number:
            # The ID number is unique: free it on the duplicate before the kept row takes it.
            Customer.objects.filter(pk=gone.pk).update(id_number="")
        for name in _MERGE_FILLED:
            if getattr(kept, name) in ("", None) and getattr(gone, name) not in ("", None):
                setattr(kept, name, getattr(gone, name))
        kept.do_not_call = kept.do_not_call or gone.do_not_call
        kept.marketing_consent = kept.marketing_consent and gone.marketing_consent
        if gone.source == Customer.Source.BOUGHT_HERE:
            kept.source = Customer.Source.BOUGHT_HERE
        if gone.note and gone.note not in kept.note:
            kept.note = "\n".join(filter(None, [kept.note, gone.note]))
        change = f"合并客户 #{gone.pk} {gone.name}:{reason}"[:100]
        kept._change_reason, kept._history_user = change, by
        kept.save()
        merge = CustomerMerge.objects.create(
            kept=kept,
            duplicate_id=gone.pk,
            duplicate_name=gone.name,
            merged_by=by,
            reason=reason[:200],
            moved=moved,
        )
        gone._change_reason = f"已合并到客户 #{kept.pk}:{reason}"[:100]
        gone._history_user = by
        gone.delete()
        customers_recompute_segments(on=timezone.localdate(), customer_ids={kept.pk})
    keep.refresh_from_db()
    return merge


def vehicle_free_plate(*, vehicle: Vehicle, by, reason: str) -> Vehicle:
    """Take the plate off a vehicle (sold on, re-registered, or entered on the wrong car),
    so another vehicle may carry it. Recorded in the vehicle history with who and why.

    1. Lock the vehicle row, so the plate cannot be freed twice or edited meanwhile.
    2. Refuse without a reason or when the vehicle has no plate.
    """
    reason = normalize_text(reason)
    if not reason:
        raise ValidationError({"reason": "请填写释放车牌的原因。"})
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if not locked.plate:
            raise ValidationError({"reason": "本车没有登记车牌。"})
        locked._change_reason = f"释放车牌 {locked.plate}:{reason}"[:100]
        locked._history_user = by
        locked.plate = ""
        locked.save(update_fields=["plate", "updated_at"])
    vehicle.refresh_from_db()
    return vehicle


def sales_file_save(*, sales_file: SalesFile) -> SalesFile:
    """Create or update a sales file and what it implies (DOMAIN.md §2, §4).

    1. Refuse a delivery date in the future.
    2. The documents are due N working days after delivery (settings).
    3. On creation, or when the delivery or invoice date changes: the vehicle's sale date
       is the delivery date; its warranty (包修期) runs from the invoice date (the national
       rules count from it; the delivery date when there is no invoice yet) for the
       settings' years and kilometres; the owner's source becomes 本店购车.
    """
    try:
        validate_delivered_on(sales_file.delivered_on)
    except ValidationError as error:
        raise ValidationError({"delivered_on": error.messages}) from None
    settings_row = current_settings(ArchiveSettings)
    sales_file.documents_due_on = working_day_after(
        sales_file.delivered_on, settings_row.sales_documents_due_working_days
    )
    with transaction.atomic():
        stored = (
            SalesFile.objects.filter(pk=sales_file.pk).values("delivered_on", "invoiced_on").first()
            if sales_file.pk
            else None
        )
        sales_file.save()
        dates = {"delivered_on": sales_file.delivered_on, "invoiced_on": sales_file.invoiced_on}
        if stored != dates:
            _apply_sale(sales_file, current_settings(WarrantySettings))
        _refresh_documents_completed(sales_file)
    return sales_file


def _apply_sale(sales_file: SalesFile, settings_row) -> None:
    vehicle = (
        Vehicle.objects.select_for_update().select_related("owner").get(pk=sales_file.vehicle_id)
    )
    start = sales_file.invoiced_on or sales_file.delivered_on
    vehicle.sale_date = sales_file.delivered_on
    vehicle.warranty_start = start
    vehicle.warranty_end = _years_after(start, settings_row.warranty_repair_years)
    vehicle.warranty_km_limit = settings_row.warranty_repair_km
    vehicle.save(
        update_fields=[
            "sale_date",
            "warranty_start",
            "warranty_end",
            "warranty_km_limit",
            "updated_at",
        ]
    )
    owner = vehicle.owner
    if owner.source != Customer.Source.BOUGHT_HERE:
        owner.source = Customer.Source.BOUGHT_HERE
        owner.save(update_fields=["source", "updated_at"])  # a save, so the history has it


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


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
    settings_row = current_settings(ArchiveSettings)
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
