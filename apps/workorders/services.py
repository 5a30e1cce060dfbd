"""Writes to the service file. Each service owns its transaction."""

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from PIL import ImageOps

from apps.core.bulk import insert_many
from apps.core.settings import current_settings
from apps.core.uploads import JPEG, PNG, WEBP, decoded_image
from apps.customers.models import Customer, Vehicle
from apps.parts.models import Part

from .models import (
    Approval,
    CannedJob,
    DamageMark,
    DelayNotice,
    Inspection,
    InspectionPhoto,
    LabourOperation,
    LineStatus,
    MaintenanceInterval,
    NumberSequence,
    OldParts,
    Payer,
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
from .transitions import (
    NEEDS_NO_PENDING,
    TRANSITIONS,
    Transition,
    approved_lines_qc_passed,
    no_line_awaiting_approval,
    refusals,
)

BULK_BATCH = 2000  # rows per INSERT: one statement stays well under a megabyte
# An imported order has dates only: it is shown as opened at 09:00 and delivered at 17:00.
IMPORT_OPENED_AT = dt.time(9, 0)
IMPORT_DELIVERED_AT = dt.time(17, 0)


@dataclass(slots=True)  # a row-limit file holds a million of these
class ImportedLine:
    kind: str
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    payer: str


@dataclass(slots=True)
class ImportedOrder:
    number: str
    vehicle_id: int
    customer_id: int
    kind: str
    opened_on: dt.date
    delivered_on: dt.date | None
    mileage: int
    customer_words: str
    lines: list[ImportedLine] = field(default_factory=list)


@dataclass
class NewLine:
    """A line to add to a work order (work_order_add_lines), from the catalogue, a canned
    job, a recommendation or typed by hand."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    payer: str = Payer.CUSTOMER
    code: str = ""
    labour_operation: object = None  # LabourOperation
    part: object = None  # parts.Part
    canned_job: object = None  # CannedJob
    from_recommendation: object = None  # Recommendation
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class NewPayment:
    method: str  # Payment.Method
    amount: Decimal
    reference: str = ""


FEN = Decimal("0.01")
PAYER_FIELDS = {  # the stored amount of each payer's share on WorkOrder
    Payer.CUSTOMER: "customer_paid_amount",
    Payer.WARRANTY: "warranty_amount",
    Payer.INSURANCE: "insurance_amount",
    Payer.INTERNAL: "internal_amount",
    Payer.CAMPAIGN: "campaign_amount",
}


def to_fen(value) -> Decimal:
    """Round an amount half-up to the fen (分), as the cashier does."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price, discount_percent=0) -> Decimal:
    """amount = quantity × unit_price × (1 − discount_percent / 100), rounded to the fen."""
    return to_fen(Decimal(quantity) * Decimal(unit_price) * (1 - Decimal(discount_percent) / 100))


@dataclass(frozen=True)
class Totals:
    """An order's amounts. labour, parts and materials are before discounts (as the
    estimate prints them); total = labour + parts + materials − discount; the payers'
    shares (after discounts) add up to total. `customer_paid` is the customer's share."""

    labour: Decimal
    parts: Decimal
    materials: Decimal
    discount: Decimal
    total: Decimal
    by_payer: dict[str, Decimal]

    @property
    def customer_paid(self) -> Decimal:
        return self.by_payer[Payer.CUSTOMER]


def work_order_totals(lines) -> Totals:
    """The amounts of an order from its lines: the one place this sum lives (pages, the
    documents, the stored cache, the import and the check command all call it).

    1. Declined lines count for nothing; approved and proposed lines count (the estimate
       shows what the customer is asked to approve). Lines without a status (the import's)
       count as approved history.
    2. A line's discount is its price before the discount minus its stored amount, each
       rounded half-up to the fen; a line without a discount percent has none (an imported
       amount is taken as it was billed).
    """
    by_kind = {kind: Decimal(0) for kind in WorkOrderLine.Kind.values}
    by_payer = {payer: Decimal(0) for payer in Payer.values}
    discount = Decimal(0)
    for line in lines:
        if getattr(line, "status", LineStatus.APPROVED) == LineStatus.DECLINED:
            continue
        amount = to_fen(line.amount)
        percent = getattr(line, "discount_percent", 0) or 0
        line_discount = to_fen(line.quantity * line.unit_price) - amount if percent else 0
        discount += line_discount
        by_kind[line.kind] += amount + line_discount
        by_payer[line.payer] += amount
    return Totals(
        labour=by_kind[WorkOrderLine.Kind.LABOUR],
        parts=by_kind[WorkOrderLine.Kind.PART],
        materials=by_kind[WorkOrderLine.Kind.MATERIAL],
        discount=discount,
        total=sum(by_payer.values(), Decimal(0)),
        by_payer=by_payer,
    )


def stored_totals(totals: Totals) -> dict[str, Decimal]:
    """The WorkOrder fields that cache `totals` (recompute, the import, the check)."""
    return {
        "labour_amount": totals.labour,
        "parts_amount": totals.parts,
        "materials_amount": totals.materials,
        "discount_amount": totals.discount,
        "total_amount": totals.total,
        **{field_name: totals.by_payer[payer] for payer, field_name in PAYER_FIELDS.items()},
    }


def work_order_recompute_totals(work_order: WorkOrder) -> Totals:
    """The only writer of an order's stored amounts: read its lines (one query), compute
    with work_order_totals, write the cache (one UPDATE) and set it on `work_order`."""
    totals = work_order_totals(WorkOrderLine.objects.filter(work_order=work_order))
    values = stored_totals(totals)
    WorkOrder.objects.filter(pk=work_order.pk).update(**values)
    for name, value in values.items():
        setattr(work_order, name, value)
    return totals


def work_orders_import_many(*, orders: list[ImportedOrder], on_written=None) -> int:
    """Create settled, read-only work orders from the old system, with their lines.

    1. The stored totals are computed from the lines (work_order_totals).
    2. Orders then lines are inserted in batches of BULK_BATCH (apps.core.bulk: values
       ready for the database, no model instance per row); the ids the orders get
       (RETURNING) link their lines.
    3. `on_written(count)` is told after each batch of orders (progress of the import).
    Returns the number of orders created. The caller owns the import's transaction; this
    opens a savepoint so that it stays all or nothing on its own too.
    """
    created = 0
    with transaction.atomic():
        for start in range(0, len(orders), BULK_BATCH):
            chunk = orders[start : start + BULK_BATCH]
            records = []
            for order in chunk:
                totals = work_order_totals(order.lines)
                delivered = order.delivered_on or order.opened_on
                records.append(
                    {
                        "number": order.number,
                        "vehicle_id": order.vehicle_id,
                        "customer_id": order.customer_id,
                        "kind": order.kind,
                        "status": WorkOrder.Status.SETTLED.value,
                        "source": WorkOrder.Source.IMPORT.value,
                        "opened_at": _at(order.opened_on, IMPORT_OPENED_AT),
                        "delivered_at": _at(delivered, IMPORT_DELIVERED_AT),
                        "mileage": order.mileage,
                        "customer_words": order.customer_words,
                        **stored_totals(totals),
                    }
                )
            ids = insert_many(WorkOrder, records, returning_ids=True)
            insert_many(
                WorkOrderLine,
                [
                    {
                        "work_order_id": order_id,
                        "kind": line.kind,
                        "code": line.code,
                        "description": line.description,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "amount": line.amount,
                        "payer": line.payer,
                    }
                    for order_id, order in zip(ids, chunk, strict=True)
                    for line in order.lines
                ],
            )
            created += len(records)
            if on_written:
                on_written(len(records) + sum(len(order.lines) for order in chunk))
    return created


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


# --- reception -------------------------------------------------------------------------------

NUMBER_PREFIX = "WO"


def _next_number(day: dt.date) -> str:
    """The next work-order number of `day`: WO + yyyymmdd + a 4-digit serial.

    1. Make sure the day's counter row exists (INSERT … ON CONFLICT DO NOTHING: two first
       orders of a day cannot both create it).
    2. Increment it with one UPDATE, which holds the row lock until the caller's
       transaction ends: a second opening waits, then reads the next value. A rolled-back
       opening gives its serial back, so numbers have no gaps.
    """
    key = f"{NUMBER_PREFIX}{day:%Y%m%d}"
    NumberSequence.objects.bulk_create([NumberSequence(key=key)], ignore_conflicts=True)
    NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    serial = NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()
    return f"{key}{serial:04d}"


def work_order_open(
    *,
    vehicle: Vehicle,
    by,
    kind: str,
    mileage: int,
    promised_at: dt.datetime | None,
    customer_words: str = "",
    mileage_lower_reason: str = "",
    insurer: str = "",
    insurer_claim_number: str = "",
    advisor=None,
    customer_waiting: bool = False,
) -> WorkOrder:
    """Open a work order for `vehicle` at reception (接车).

    1. The customer is the vehicle's current owner; the advisor defaults to `by`;
       `customer_waiting`: the customer waits in the shop (dispatch ranks the order higher).
    2. A mileage below the vehicle's last recorded one needs a reason (a replaced
       odometer, an earlier typing error); an accident order needs the insurer.
    3. Under the vehicle's row lock: the number (local date), the order, its empty
       pre-inspection sheet, and the vehicle's mileage as read today.
    """
    if kind not in WorkOrder.Kind.values:
        raise ValidationError({"kind": "请选择工单类型。"})
    mileage_lower_reason = mileage_lower_reason.strip()
    insurer = insurer.strip()
    errors = {}
    if mileage is None or mileage < 0:
        errors["mileage"] = "请填写进厂里程。"
    elif mileage < vehicle.mileage and not mileage_lower_reason:
        errors["mileage_lower_reason"] = (
            f"进厂里程低于上次记录的 {vehicle.mileage} 公里,请填写原因。"
        )
    if kind == WorkOrder.Kind.ACCIDENT and not insurer:
        errors["insurer"] = "事故车工单必须填写保险公司。"
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        work_order = WorkOrder.objects.create(
            number=_next_number(timezone.localdate(now)),
            vehicle=locked,
            customer_id=locked.owner_id,
            advisor=advisor or by,
            kind=kind,
            status=WorkOrder.Status.DRAFT,
            source=WorkOrder.Source.SYSTEM,
            opened_at=now,
            mileage=mileage,
            customer_words=customer_words.strip(),
            mileage_lower_reason=mileage_lower_reason if mileage < locked.mileage else "",
            promised_at=promised_at,
            insurer=insurer,
            insurer_claim_number=insurer_claim_number.strip(),
            customer_waiting=customer_waiting,
        )
        Inspection.objects.create(work_order=work_order)
        # Saved on the instance (not a queryset update) so the vehicle's history records it.
        locked.mileage = mileage
        locked.mileage_recorded_on = timezone.localdate(now)
        locked.save(update_fields=["mileage", "mileage_recorded_on", "updated_at"])
    vehicle.mileage, vehicle.mileage_recorded_on = locked.mileage, locked.mileage_recorded_on
    return work_order


def _editable_order(work_order: WorkOrder) -> WorkOrder:
    """Lock the order's row for a change of its lines or sheet and refuse an order that
    takes no more changes (imported, settled, cancelled, delivered)."""
    locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if locked.is_read_only or locked.status == WorkOrder.Status.DELIVERED:
        raise ValidationError(
            f"工单 {locked.number} 当前为“{locked.get_status_display()}”,不能再修改。"
        )
    return locked


def _open_inspection(work_order: WorkOrder) -> Inspection:
    """The order's sheet, locked, while it may still change (not yet signed)."""
    _editable_order(work_order)
    inspection = Inspection.objects.select_for_update().get(work_order=work_order)
    if inspection.signature_id:
        raise ValidationError("接车登记表已由客户签字确认,不能再修改。")
    return inspection


def inspection_save(
    *,
    work_order: WorkOrder,
    by,
    fuel_level: int,
    fluids: dict,
    spare_tyre: str,
    tools: str,
    interior: str,
    electrics: str,
    valuables: str,
    notes: str,
) -> Inspection:
    """Save the pre-inspection sheet (接车登记表) of an order, until the customer signs it."""
    checks = Inspection.Check.values
    errors = {}
    if fuel_level not in Inspection.Fuel.values:
        errors["fuel_level"] = "请选择燃油量。"
    if not isinstance(fluids, dict) or any(
        not isinstance(name, str) or value not in checks for name, value in fluids.items()
    ):
        errors["fluids"] = "油液检查结果不正确,请重新选择。"
    for name, value in (
        ("spare_tyre", spare_tyre),
        ("tools", tools),
        ("interior", interior),
        ("electrics", electrics),
    ):
        if value not in checks:
            errors[name] = "请选择检查结果。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        inspection = _open_inspection(work_order)
        inspection.fuel_level = fuel_level
        inspection.fluids = fluids
        inspection.spare_tyre = spare_tyre
        inspection.tools = tools
        inspection.interior = interior
        inspection.electrics = electrics
        inspection.valuables = valuables.strip()[:200]
        inspection.notes = notes.strip()
        inspection.save()
    return inspection


def _percent_position(value, field_name: str) -> Decimal:
    try:
        position = Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        position = None
    if position is None or not 0 <= position <= 100:
        raise ValidationError({field_name: "标记位置不正确,请在车身图上重新点选。"})
    return position


def damage_mark_add(*, work_order: WorkOrder, by, x, y, kind: str, note: str = "") -> DamageMark:
    """Mark a damage on the car outline; x and y are percent of the drawing (0–100)."""
    x, y = _percent_position(x, "x"), _percent_position(y, "y")
    if kind not in DamageMark.Kind.values:
        raise ValidationError({"kind": "请选择损伤类型。"})
    with transaction.atomic():
        inspection = _open_inspection(work_order)
        return DamageMark.objects.create(
            inspection=inspection, x=x, y=y, kind=kind, note=note.strip()[:100]
        )


def damage_mark_remove(*, mark: DamageMark, by) -> None:
    with transaction.atomic():
        _open_inspection(mark.inspection.work_order)
        mark.delete()


PHOTO_MAX_BYTES = 10 * 1024 * 1024  # a tablet camera's JPEG is 2–5 MB
PHOTO_MAX_SIDE = 8000  # pixels: a 48-megapixel camera; bounds a decode's memory
THUMBNAIL_SIDE = 320  # pixels: the lists' thumbnails
THUMBNAIL_QUALITY = 80  # JPEG quality of thumbnails: small files, still clear at 320 px


def inspection_photo_add(
    *, work_order: WorkOrder, by, upload, mark: DamageMark | None = None
) -> InspectionPhoto:
    """Add a photo taken at reception: PNG, JPEG or WebP by its content, at most 10 MB,
    stored privately with a 320-pixel JPEG thumbnail for the lists."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"upload": "照片不能超过 10 MB。"})
    upload.seek(0)
    data = upload.read()
    try:
        kind, image = decoded_image(
            data,
            kinds=(PNG, JPEG, WEBP),
            too_large=f"照片不能超过 {PHOTO_MAX_SIDE}×{PHOTO_MAX_SIDE} 像素。",
            broken="只能上传 PNG、JPEG 或 WebP 照片(按文件内容识别),文件须完整。",
            max_side=PHOTO_MAX_SIDE,
        )
    except ValidationError as error:
        raise ValidationError({"upload": error.messages}) from None
    thumbnail = ImageOps.exif_transpose(image).convert("RGB")
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    thumbnail_bytes = io.BytesIO()
    thumbnail.save(thumbnail_bytes, "JPEG", quality=THUMBNAIL_QUALITY)
    name = uuid.uuid4().hex
    with transaction.atomic():
        inspection = _open_inspection(work_order)
        if mark is not None and mark.inspection_id != inspection.pk:
            raise ValidationError({"mark": "该损伤标记不属于本工单。"})
        photo = InspectionPhoto(
            inspection=inspection,
            content_type=kind.content_type,
            mark=mark,
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        photo.image.save(f"{name}.{kind.extension}", ContentFile(data), save=False)
        photo.thumbnail.save(f"{name}.jpg", ContentFile(thumbnail_bytes.getvalue()), save=False)
        photo.save()
    return photo


# --- signatures --------------------------------------------------------------------------------

SIGNATURE_MAX_BYTES = 1024 * 1024  # a signature pad's PNG is 10–60 kB
SIGNATURE_MAX_SIDE = 4000  # pixels: a full-width pad on a high-density tablet screen is ~2600
SIGNATURE_MAX_POINTS = 20000  # recorded stroke points: minutes of writing
PNG_DATA_URL = "data:image/png;base64,"


def canonical_json(value) -> bytes:
    """The bytes a hash is taken over: sorted keys, no spaces, UTF-8 (one spelling for one
    content, whatever the order the dict was built in)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _signature_png(png_data_url: str | None) -> bytes:
    """The PNG bytes of a signature pad's data URL, checked: a PNG by its magic number and
    by a full decode, at most 1 MB and SIGNATURE_MAX_SIDE pixels a side."""
    broken = "签字图片无效,请重新签字。"
    if not png_data_url or not png_data_url.startswith(PNG_DATA_URL):
        raise ValidationError({"signature": "请客户在签字板上签字。"})
    encoded = png_data_url[len(PNG_DATA_URL) :]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:  # base64 grows by a third
        raise ValidationError({"signature": "签字图片不能超过 1 MB。"})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": broken}) from None
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError({"signature": "签字图片不能超过 1 MB。"})
    try:
        decoded_image(
            data,
            kinds=(PNG,),
            too_large=broken,
            broken=broken,
            max_side=SIGNATURE_MAX_SIDE,
        )
    except ValidationError:
        raise ValidationError({"signature": broken}) from None
    return data


def _signature_points(points) -> list:
    """signature_pad's strokes (toData()): [{"points": [{"x", "y", …}, …], …}, …], at least
    one point, numbers only; kept as sent."""
    refused = ValidationError({"signature": "签字笔迹数据无效,请重新签字。"})
    if not isinstance(points, list) or not points:
        raise refused
    count = 0
    for stroke in points:
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), list):
            raise refused
        for point in stroke["points"]:
            if not isinstance(point, dict) or not all(
                isinstance(point.get(axis), int | float) and not isinstance(point.get(axis), bool)
                for axis in ("x", "y")
            ):
                raise refused
            count += 1
    if count == 0 or count > SIGNATURE_MAX_POINTS:
        raise refused
    return points


def _signature_create(*, by, signer_name: str, png: bytes, points: list, content) -> Signature:
    """Store a checked signature: the PNG in private storage, the points, the signed content
    and a SHA-256 over the content's canonical JSON followed by the PNG's bytes."""
    signature = Signature(
        signer_name=signer_name,
        signed_at=timezone.now(),
        points=points,
        content=content,
        sha256=hashlib.sha256(canonical_json(content) + png).hexdigest(),
        taken_by=by,
    )
    signature.png.save(f"{uuid.uuid4().hex}.png", ContentFile(png), save=False)
    signature.save()
    return signature


def signature_take(*, by, signer_name: str, png_data_url: str, points, content) -> Signature:
    """A drawn signature over `content` (any JSON), checked and stored as the customer's
    are: for other documents signed on the tablet (a technician's issue slip). Runs in the
    caller's transaction."""
    signer_name = signer_name.strip()
    if not signer_name:
        raise ValidationError({"signer_name": "请填写签字人姓名。"})
    png = _signature_png(png_data_url)
    return _signature_create(
        by=by,
        signer_name=signer_name[:50],
        png=png,
        points=_signature_points(points),
        content=content,
    )


def signature_verify(signature: Signature) -> bool:
    """The stored PNG and content still hash to the recorded SHA-256."""
    with signature.png.open("rb") as file:
        png = file.read()
    return hashlib.sha256(canonical_json(signature.content) + png).hexdigest() == signature.sha256


def _issue_document(*, work_order: WorkOrder, kind: str, by) -> None:
    """Queue a printed document (documents.py renders it in a task after commit)."""
    from . import documents  # imported here: documents imports these services

    documents.document_issue_later(work_order=work_order, kind=kind, by=by)


def _inspection_content(work_order: WorkOrder, inspection: Inspection) -> dict:
    """What the customer signs at reception: the sheet as it stands."""
    return {
        "work_order": work_order.number,
        "mileage": work_order.mileage,
        "customer_words": work_order.customer_words,
        "fuel_level": inspection.fuel_level,
        "fluids": inspection.fluids,
        "spare_tyre": inspection.spare_tyre,
        "tools": inspection.tools,
        "interior": inspection.interior,
        "electrics": inspection.electrics,
        "valuables": inspection.valuables,
        "notes": inspection.notes,
        "marks": [
            {
                "id": mark.pk,
                "x": str(mark.x),
                "y": str(mark.y),
                "kind": mark.kind,
                "note": mark.note,
            }
            for mark in inspection.marks.order_by("id")
        ],
        "photos": [photo.image.name for photo in inspection.photos.order_by("id")],
    }


def inspection_sign(
    *, work_order: WorkOrder, by, signer_name: str, png_data_url: str, points
) -> Signature:
    """The customer signs the pre-inspection sheet; it takes no more changes after that.
    Queues the printed reception sheet."""
    signer_name = signer_name.strip()
    if not signer_name:
        raise ValidationError({"signer_name": "请填写签字人姓名。"})
    png = _signature_png(png_data_url)
    points = _signature_points(points)
    with transaction.atomic():
        inspection = _open_inspection(work_order)
        signature = _signature_create(
            by=by,
            signer_name=signer_name,
            png=png,
            points=points,
            content=_inspection_content(work_order, inspection),
        )
        inspection.signature = signature
        inspection.save(update_fields=["signature"])
        _issue_document(work_order=work_order, kind=WorkOrderDocument.Kind.RECEPTION, by=by)
    return signature


# --- lines and the catalogue -------------------------------------------------------------------


def line_from_labour_operation(
    operation: LabourOperation, *, payer: str = Payer.CUSTOMER
) -> NewLine:
    """A labour line: the operation's standard hours at the settings' labour rate."""
    return NewLine(
        kind=WorkOrderLine.Kind.LABOUR,
        code=operation.code,
        description=operation.name,
        quantity=operation.standard_hours,
        unit_price=current_settings(ServiceSettings).labour_rate,
        payer=payer,
        labour_operation=operation,
    )


def line_from_part(part: Part, *, quantity, payer: str = Payer.CUSTOMER) -> NewLine:
    """A part line at the catalogue price."""
    return NewLine(
        kind=WorkOrderLine.Kind.PART,
        code=part.number,
        description=part.name,
        quantity=Decimal(quantity),
        unit_price=part.price,
        payer=payer,
        part=part,
    )


def lines_from_canned_job(job: CannedJob) -> list[NewLine]:
    """The lines of a canned job, in its order. An empty unit price is the catalogue's:
    a labour line's hours are the operation's standard hours × its quantity at the labour
    rate, a part's the part's price; a given unit price is taken with the quantity as
    written. Descriptions default to the catalogue's names."""
    rate = current_settings(ServiceSettings).labour_rate
    new_lines = []
    for item in job.lines.select_related("labour_operation", "part").order_by("position", "id"):
        operation, part = item.labour_operation, item.part
        quantity, unit_price = item.quantity, item.unit_price
        if unit_price is None:
            if operation is not None:
                quantity, unit_price = operation.standard_hours * item.quantity, rate
            elif part is not None:
                unit_price = part.price
            else:
                unit_price = Decimal(0)
        new_lines.append(
            NewLine(
                kind=item.kind,
                code=(operation.code if operation else part.number if part else ""),
                description=(
                    item.description or (operation.name if operation else part.name if part else "")
                ),
                quantity=quantity,
                unit_price=unit_price,
                payer=item.payer,
                labour_operation=operation,
                part=part,
                canned_job=job,
            )
        )
    return new_lines


def _checked_line_values(*, kind, description, quantity, unit_price, payer, discount_percent):
    errors = {}
    if kind not in WorkOrderLine.Kind.values:
        errors["kind"] = "请选择类别(工时、配件或辅料)。"
    if not description.strip():
        errors["description"] = "请填写项目名称。"
    if quantity is None or Decimal(quantity) <= 0:
        errors["quantity"] = "数量/工时必须大于 0。"
    if unit_price is None or Decimal(unit_price) < 0:
        errors["unit_price"] = "单价不能为负数。"
    if payer not in Payer.values:
        errors["payer"] = "请选择付费方。"
    if not 0 <= Decimal(discount_percent) <= 100:
        errors["discount_percent"] = "折扣须在 0 到 100 之间。"
    if errors:
        raise ValidationError(errors)


def _discount_needs_manager(discount_percent, limit=None) -> bool:
    if limit is None:
        limit = current_settings(ServiceSettings).max_line_discount_percent
    return Decimal(discount_percent) > limit


def _may_approve_discount(user) -> bool:
    return user.has_perm("workorders.approve_discount")


def _lines_added(work_order: WorkOrder) -> bool:
    """Lines added once the customer has approved the order are added items (增项): they
    need an approval of their own before work on them starts."""
    return work_order.status != WorkOrder.Status.DRAFT


def _lines_create(locked: WorkOrder, by, lines: list[NewLine]) -> list[WorkOrderLine]:
    is_added = _lines_added(locked)
    rows = []
    for new in lines:
        _checked_line_values(
            kind=new.kind,
            description=new.description,
            quantity=new.quantity,
            unit_price=new.unit_price,
            payer=new.payer,
            discount_percent=new.discount_percent,
        )
        approved_by = (
            by
            if _discount_needs_manager(new.discount_percent) and _may_approve_discount(by)
            else None
        )
        rows.append(
            WorkOrderLine(
                work_order=locked,
                kind=new.kind,
                code=new.code[:40],
                description=new.description.strip()[:200],
                quantity=new.quantity,
                unit_price=new.unit_price,
                amount=line_amount(new.quantity, new.unit_price, new.discount_percent),
                payer=new.payer,
                status=LineStatus.PROPOSED,
                is_added=is_added,
                labour_operation=new.labour_operation,
                part=new.part,
                canned_job=new.canned_job,
                from_recommendation=new.from_recommendation,
                discount_percent=new.discount_percent,
                discount_approved_by=approved_by,
            )
        )
    return WorkOrderLine.objects.bulk_create(rows)


def work_order_add_lines(*, work_order: WorkOrder, by, lines: list[NewLine]) -> list[WorkOrderLine]:
    """Add proposed lines to an order (an added item, 增项, once the order was approved)
    and recompute its totals."""
    with transaction.atomic():
        locked = _editable_order(work_order)
        created = _lines_create(locked, by, lines)
        work_order_recompute_totals(work_order)
    return created


def work_order_add_canned_job(
    *, work_order: WorkOrder, by, canned_job: CannedJob
) -> list[WorkOrderLine]:
    """Every line of a canned job, in one tap."""
    if not canned_job.active:
        raise ValidationError("该套餐已停用。")
    return work_order_add_lines(
        work_order=work_order, by=by, lines=lines_from_canned_job(canned_job)
    )


def _proposed_line(line: WorkOrderLine) -> WorkOrderLine:
    """Lock the line's order then the line; only a line the customer has not decided on
    yet may change."""
    _editable_order(line.work_order)
    locked = WorkOrderLine.objects.select_for_update().get(pk=line.pk)
    if locked.status != LineStatus.PROPOSED:
        raise ValidationError(
            f"“{locked.description}”客户已{locked.get_status_display()[2:]},不能修改或删除;"
            "如需变更,请新增项目。"
        )
    return locked


def line_update(
    *,
    line: WorkOrderLine,
    by,
    quantity=None,
    unit_price=None,
    payer=None,
    discount_percent=None,
) -> WorkOrderLine:
    """Change a proposed line. A discount above the settings' limit waits for a manager
    (line_approve_discount) unless `by` may approve it; the customer's approval is refused
    while one waits."""
    with transaction.atomic():
        locked = _proposed_line(line)
        quantity = locked.quantity if quantity is None else Decimal(quantity)
        unit_price = locked.unit_price if unit_price is None else Decimal(unit_price)
        payer = locked.payer if payer is None else payer
        discount = (
            locked.discount_percent if discount_percent is None else Decimal(discount_percent)
        )
        _checked_line_values(
            kind=locked.kind,
            description=locked.description,
            quantity=quantity,
            unit_price=unit_price,
            payer=payer,
            discount_percent=discount,
        )
        if discount != locked.discount_percent:
            needs_manager = _discount_needs_manager(discount)
            locked.discount_approved_by = (
                by if needs_manager and _may_approve_discount(by) else None
            )
        locked.quantity, locked.unit_price, locked.payer = quantity, unit_price, payer
        locked.discount_percent = discount
        locked.amount = line_amount(quantity, unit_price, discount)
        locked.save()
        work_order_recompute_totals(locked.work_order)
    return locked


def line_approve_discount(*, line: WorkOrderLine, by) -> WorkOrderLine:
    """A manager approves a line's discount above the settings' limit."""
    if not _may_approve_discount(by):
        raise ValidationError("超出折扣上限的优惠须由售后经理批准。")
    with transaction.atomic():
        locked = _proposed_line(line)
        locked.discount_approved_by = by
        locked.save(update_fields=["discount_approved_by", "updated_at"])
    return locked


def discount_awaits_manager(line: WorkOrderLine, *, limit=None) -> bool:
    """The line's discount is above the limit (the settings', or `limit` when the caller
    read it once for many lines) and no manager has approved it yet."""
    return line.discount_approved_by_id is None and _discount_needs_manager(
        line.discount_percent, limit
    )


def line_remove(*, line: WorkOrderLine, by) -> None:
    """Remove a proposed line; a line taken from a recommendation gives it back (open)."""
    with transaction.atomic():
        locked = _proposed_line(line)
        if locked.from_recommendation_id:
            Recommendation.objects.filter(pk=locked.from_recommendation_id).update(
                status=Recommendation.Status.OPEN, closed_at=None, updated_at=timezone.now()
            )
        locked.delete()
        work_order_recompute_totals(line.work_order)


def recommendation_accept(
    *, recommendation: Recommendation, work_order: WorkOrder, by
) -> WorkOrderLine:
    """Add an open recommendation of the vehicle to `work_order`, at its recorded price.
    The recommendation is claimed with a conditional UPDATE: two taps add it once."""
    if recommendation.vehicle_id != work_order.vehicle_id:
        raise ValidationError("该建议项目不属于本车辆。")
    with transaction.atomic():
        locked = _editable_order(work_order)
        claimed = Recommendation.objects.filter(
            pk=recommendation.pk, status=Recommendation.Status.OPEN
        ).update(
            status=Recommendation.Status.ACCEPTED,
            closed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not claimed:
            raise ValidationError("该建议项目已被处理,请刷新页面。")
        (line,) = _lines_create(
            locked,
            by,
            [
                NewLine(
                    kind=recommendation.kind,
                    code=recommendation.code,
                    description=recommendation.description,
                    quantity=recommendation.quantity,
                    unit_price=recommendation.unit_price,
                    from_recommendation=recommendation,
                )
            ],
        )
        work_order_recompute_totals(work_order)
    recommendation.status = Recommendation.Status.ACCEPTED
    return line


def recommendation_dismiss(*, recommendation: Recommendation, by, reason: str) -> Recommendation:
    """Close an open recommendation that no longer applies (done elsewhere, part sold); the
    reason is kept after the customer's."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因。"})
    with transaction.atomic():
        locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        if locked.status != Recommendation.Status.OPEN:
            raise ValidationError("该建议项目已被处理,请刷新页面。")
        locked.status = Recommendation.Status.DISMISSED
        locked.closed_at = timezone.now()
        prefix = f"{locked.reason};" if locked.reason else ""
        locked.reason = f"{prefix}撤销:{reason}"[:200]
        locked.save()
    return locked


# --- approval --------------------------------------------------------------------------------


def _line_snapshot(line: WorkOrderLine) -> dict:
    """A decided line as the customer saw it (strings for decimals: exact in JSON)."""
    return {
        "id": line.pk,
        "kind": line.kind,
        "code": line.code,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "discount_percent": str(line.discount_percent),
        "amount": str(line.amount),
        "payer": line.payer,
        "decision": line.status,
        "decline_reason": line.decline_reason,
    }


def _approval_hash(lines_snapshot: list, png: bytes = b"") -> str:
    return hashlib.sha256(canonical_json(lines_snapshot) + png).hexdigest()


def work_order_record_approval(
    *,
    work_order: WorkOrder,
    by,
    decisions: dict,
    decline_reasons: dict | None = None,
    method: str,
    customer_name: str,
    png_data_url: str | None = None,
    points=None,
    phone_number: str = "",
    phone_note: str = "",
) -> Approval:
    """Record the customer's decision on every proposed line of an order.

    1. Check the record: a signature (PNG checked, stroke points) or a phone call (the
       number called; `by` took it); a decision for every proposed line, and no line whose
       over-limit discount still waits for a manager.
    2. Under the order's row lock: the lines become approved or declined; the snapshot of
       the decided lines and its SHA-256 (with the PNG's bytes when signed) are stored;
       declined lines become open recommendations on the vehicle (one taken from a
       recommendation reopens it).
    3. The first approval with an approved line moves the order draft → approved; later
       ones approve added items (增项). Totals are recomputed; the estimate and the work
       order are queued for printing.
    """
    decline_reasons = {int(k): v for k, v in (decline_reasons or {}).items()}
    decisions = {int(k): bool(v) for k, v in decisions.items()}
    customer_name = customer_name.strip()
    if not customer_name:
        raise ValidationError({"customer_name": "请填写客户姓名。"})
    png = b""
    if method == Approval.Method.SIGNATURE:
        png = _signature_png(png_data_url)
        points = _signature_points(points)
    elif method == Approval.Method.PHONE:
        phone_number = phone_number.strip()
        if not phone_number:
            raise ValidationError({"phone_number": "电话确认须填写所拨打的号码。"})
    else:
        raise ValidationError({"method": "请选择确认方式(平板签字或电话确认)。"})
    now = timezone.now()
    with transaction.atomic():
        locked = _editable_order(work_order)
        if locked.status == WorkOrder.Status.DRAFT and not by.has_perm(
            TRANSITIONS["approve"].permission
        ):
            raise ValidationError("您没有“客户确认”的权限。")
        proposed = list(
            WorkOrderLine.objects.select_for_update()
            .filter(work_order=locked, status=LineStatus.PROPOSED)
            .order_by("id")
        )
        if not proposed:
            raise ValidationError("没有等待客户确认的项目。")
        if set(decisions) != {line.pk for line in proposed}:
            raise ValidationError("请对每一个待确认项目选择同意或不同意(页面可能已过期,请刷新)。")
        waiting = [line.description for line in proposed if discount_awaits_manager(line)]
        if waiting:
            raise ValidationError(
                f"{'、'.join(waiting)} 的折扣超出上限,须经理批准后才能请客户确认。"
            )
        kind = (
            Approval.Kind.ESTIMATE
            if locked.status == WorkOrder.Status.DRAFT
            else Approval.Kind.ADDED
        )
        for line in proposed:
            line.status = LineStatus.APPROVED if decisions[line.pk] else LineStatus.DECLINED
            line.decline_reason = (
                "" if decisions[line.pk] else decline_reasons.get(line.pk, "").strip()[:200]
            )
        snapshot = [_line_snapshot(line) for line in proposed]
        signature = None
        if method == Approval.Method.SIGNATURE:
            signature = _signature_create(
                by=by,
                signer_name=customer_name,
                png=png,
                points=points,
                content={"work_order": locked.number, "kind": kind, "lines": snapshot},
            )
        approval = Approval.objects.create(
            work_order=locked,
            kind=kind,
            method=method,
            customer_name=customer_name,
            approved_at=now,
            taken_by=by,
            phone_number=phone_number if method == Approval.Method.PHONE else "",
            phone_note=phone_note.strip()[:200] if method == Approval.Method.PHONE else "",
            signature=signature,
            lines_snapshot=snapshot,
            sha256=_approval_hash(snapshot, png),
        )
        for line in proposed:
            line.approval = approval
        WorkOrderLine.objects.bulk_update(
            proposed, ["status", "decline_reason", "approval", "updated_at"]
        )
        _recommendations_from_declined(
            locked, [line for line in proposed if line.status == LineStatus.DECLINED]
        )
        work_order_recompute_totals(locked)
        any_approved = any(line.status == LineStatus.APPROVED for line in proposed)
        if kind == Approval.Kind.ESTIMATE and any_approved:
            _transition(locked, TRANSITIONS["approve"], by=by, reason="", from_status=locked.status)
        if any_approved:
            _issue_document(work_order=locked, kind=WorkOrderDocument.Kind.ESTIMATE, by=by)
            _issue_document(work_order=locked, kind=WorkOrderDocument.Kind.WORK_ORDER, by=by)
    work_order.status = locked.status
    return approval


def _recommendations_from_declined(work_order: WorkOrder, declined: list[WorkOrderLine]) -> None:
    """Declined lines stay on the vehicle as open recommendations; a line that came from a
    recommendation reopens that one (no duplicate)."""
    now = timezone.now()
    reopened = [line for line in declined if line.from_recommendation_id]
    for line in reopened:
        Recommendation.objects.filter(pk=line.from_recommendation_id).update(
            status=Recommendation.Status.OPEN,
            closed_at=None,
            reason=line.decline_reason,
            updated_at=now,
        )
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                vehicle_id=work_order.vehicle_id,
                source_line=line,
                source_work_order=work_order,
                kind=line.kind,
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                reason=line.decline_reason,
            )
            for line in declined
            if not line.from_recommendation_id
        ]
    )


def approval_verify(approval: Approval) -> bool:
    """The approval still proves what was decided: its stored snapshot hashes to its
    SHA-256 (with the signature's PNG), the lines it decided still read as the snapshot,
    and the signature's own hash holds."""
    png = b""
    if approval.signature_id:
        if not signature_verify(approval.signature):
            return False
        with approval.signature.png.open("rb") as file:
            png = file.read()
    if _approval_hash(approval.lines_snapshot, png) != approval.sha256:
        return False
    current = [_line_snapshot(line) for line in approval.lines.order_by("id")]
    return current == approval.lines_snapshot


# --- states ----------------------------------------------------------------------------------


def _transition(
    locked_or_loaded: WorkOrder,
    transition: Transition,
    *,
    by,
    reason: str,
    from_status: str,
    extra: dict | None = None,
) -> StatusChange:
    """Claim one move and record it (inside the caller's transaction).

    1. The guards run on the order's lines as they are now (one query).
    2. UPDATE … WHERE id = … AND status = <the status the user saw>: when another user
       moved the order first, no row matches and nothing is written.
    3. The StatusChange row, in the same transaction as the claim.
    """
    work_order = locked_or_loaded
    if from_status not in transition.sources:
        raise ValidationError(
            f"工单当前为“{WorkOrder.Status(from_status).label}”,不能“{transition.label}”。"
        )
    # The lines as they are now, even when the caller's instance holds older ones.
    getattr(work_order, "_prefetched_objects_cache", {}).pop("lines", None)
    prefetch_related_objects([work_order], "lines")
    blocked = refusals(transition, work_order)
    if blocked:
        raise ValidationError(blocked)
    now = timezone.now()
    extra = extra or {}
    claimed = WorkOrder.objects.filter(pk=work_order.pk, status=from_status).update(
        status=transition.target, updated_at=now, **extra
    )
    if not claimed:
        current = WorkOrder.objects.filter(pk=work_order.pk).values_list("status", flat=True).get()
        raise ValidationError(
            f"工单状态已被他人更新(当前:{WorkOrder.Status(current).label}),请刷新后再操作。"
        )
    work_order.status = transition.target
    for name, value in extra.items():
        setattr(work_order, name, value)
    return StatusChange.objects.create(
        work_order=work_order,
        transition=transition.name,
        from_status=from_status,
        to_status=transition.target,
        by=by,
        at=now,
        reason=reason,
    )


def _checked_transition(
    work_order: WorkOrder, name: str, by, reason: str
) -> tuple[Transition, str]:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown work-order transition {name!r}")
    if work_order.source == WorkOrder.Source.IMPORT:
        raise ValidationError("旧系统导入的工单只作为历史记录查看,不能操作。")
    if not by.has_perm(transition.permission):
        raise ValidationError(f"您没有“{transition.label}”的权限。")
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": f"“{transition.label}”必须填写原因。"})
    return transition, reason[:200]


def work_order_transition(
    *, work_order: WorkOrder, name: str, by, reason: str = ""
) -> StatusChange:
    """Move an order along transitions.TRANSITIONS: the one writer of `status`.

    The move starts from the status `work_order` was loaded with (what the user saw), so
    the second of two people pressing the same button is refused by the claim (see
    `_transition`). Moves that record more than the state go through their own service
    (`approve`: work_order_record_approval, `deliver`: work_order_deliver, `settle`:
    work_order_settle); `cancel` is also work_order_cancel.
    """
    transition, reason = _checked_transition(work_order, name, by, reason)
    if transition.via:
        raise ValidationError(f"“{transition.label}”请在对应的表单中办理。")
    # Rework means a check failed: every line is inspected again and the car checked again
    # before delivery.
    extra = {"internal_checked_at": None, "internal_checked_by": None} if name == "rework" else {}
    with transaction.atomic():
        change = _transition(
            work_order, transition, by=by, reason=reason, from_status=work_order.status, extra=extra
        )
        if name == "rework":
            WorkOrderLine.objects.filter(work_order=work_order).update(
                qc_passed_at=None, qc_passed_by=None, updated_at=change.at
            )
        if transition.target == WorkOrder.Status.CANCELLED:
            _reopen_recommendations_of(work_order)
    return change


def _reopen_recommendations_of(work_order: WorkOrder) -> None:
    """A cancelled order gives back the recommendations it took (they stay open)."""
    Recommendation.objects.filter(
        pk__in=WorkOrderLine.objects.filter(
            work_order=work_order, from_recommendation__isnull=False
        ).values("from_recommendation"),
        status=Recommendation.Status.ACCEPTED,
    ).update(status=Recommendation.Status.OPEN, closed_at=None, updated_at=timezone.now())


def work_order_cancel(*, work_order: WorkOrder, by, reason: str) -> StatusChange:
    """Cancel an order before delivery, with a reason (transition `cancel`)."""
    return work_order_transition(work_order=work_order, name="cancel", by=by, reason=reason)


# --- work on the lines -------------------------------------------------------------------------

WORK_STATES = (WorkOrder.Status.IN_PROGRESS,)
QC_STATES = (
    WorkOrder.Status.IN_PROGRESS,
    WorkOrder.Status.SELF_CHECKED,
    WorkOrder.Status.TEAM_CHECKED,
)


def _workable_line(line: WorkOrderLine, *, states, label: str) -> None:
    """Refuse work on a line the customer has not approved, or while the order is not in
    one of `states`."""
    if line.status == LineStatus.DECLINED:
        raise ValidationError(f"客户未同意“{line.description}”,不能开工。")
    if line.status != LineStatus.APPROVED:
        if line.is_added:
            raise ValidationError("增项尚未经客户确认,不能开工。")
        raise ValidationError(f"“{line.description}”尚未经客户确认,不能开工。")
    source, status = (
        WorkOrder.objects.filter(pk=line.work_order_id).values_list("source", "status").get()
    )
    if source == WorkOrder.Source.IMPORT:
        raise ValidationError("旧系统导入的工单只作为历史记录查看,不能操作。")
    if status not in states:
        raise ValidationError(f"工单当前为“{WorkOrder.Status(status).label}”,不能“{label}”。")


def line_mark_done(*, line: WorkOrderLine, by) -> WorkOrderLine:
    """A technician marks an approved line done (the order is 维修中)."""
    if not by.has_perm("workorders.work_workorder"):
        raise ValidationError("您没有“完工”的权限。")
    _workable_line(line, states=WORK_STATES, label="完工")
    now = timezone.now()
    with transaction.atomic():
        claimed = WorkOrderLine.objects.filter(
            pk=line.pk, status=LineStatus.APPROVED, done_at__isnull=True
        ).update(done_at=now, done_by=by, updated_at=now)
    if not claimed:
        raise ValidationError(f"“{line.description}”已经完工。")
    line.done_at, line.done_by = now, by
    return line


def line_qc_pass(*, line: WorkOrderLine, by) -> WorkOrderLine:
    """The inspector passes a done, approved line."""
    if not by.has_perm("workorders.qc_workorder"):
        raise ValidationError("您没有“质检”的权限。")
    _workable_line(line, states=QC_STATES, label="质检")
    now = timezone.now()
    with transaction.atomic():
        claimed = WorkOrderLine.objects.filter(
            pk=line.pk, done_at__isnull=False, qc_passed_at__isnull=True
        ).update(qc_passed_at=now, qc_passed_by=by, updated_at=now)
    if not claimed:
        current = WorkOrderLine.objects.only("done_at").get(pk=line.pk)
        if current.done_at is None:
            raise ValidationError(f"“{line.description}”尚未完工,不能质检。")
        raise ValidationError(f"“{line.description}”已通过质检。")
    line.qc_passed_at, line.qc_passed_by = now, by
    return line


# --- promised time ---------------------------------------------------------------------------


def work_order_delay_notice(
    *, work_order: WorkOrder, by, new_promised_at: dt.datetime, how: str, note: str = ""
) -> DelayNotice:
    """Record that the customer was told the car will be late, and the new promised time.
    A notice after the promise passed is still recorded (selectors.delay_notice_was_late
    shows it late)."""
    if how not in DelayNotice.How.values:
        raise ValidationError({"how": "请选择告知方式。"})
    with transaction.atomic():
        locked = _editable_order(work_order)
        if locked.status == WorkOrder.Status.READY:
            raise ValidationError("车辆已待交车,无需延时告知。")
        old = locked.promised_at
        if old is None:
            raise ValidationError("该工单没有承诺交车时间。")
        now = timezone.now()
        if new_promised_at <= max(old, now):
            raise ValidationError({"new_promised_at": "新的承诺时间须晚于原承诺时间和当前时间。"})
        notice = DelayNotice.objects.create(
            work_order=locked,
            old_promised_at=old,
            new_promised_at=new_promised_at,
            told_at=now,
            told_by=by,
            how=how,
            note=note.strip()[:200],
        )
        WorkOrder.objects.filter(pk=locked.pk).update(promised_at=new_promised_at, updated_at=now)
    work_order.promised_at = new_promised_at
    return notice


# --- delivery and settlement -------------------------------------------------------------------

INTERNAL_CHECK_STATES = (
    WorkOrder.Status.QC_PASSED,
    WorkOrder.Status.WASHED,
    WorkOrder.Status.READY,
)


def work_order_internal_check(*, work_order: WorkOrder, by, old_parts: str) -> WorkOrder:
    """The advisor's check before delivery (交车前内部检查): every approved line done and
    QC-passed; what happens to the old parts is the customer's choice."""
    if not by.has_perm("workorders.deliver_workorder"):
        raise ValidationError("您没有“交车”的权限。")
    if old_parts not in OldParts.values:
        raise ValidationError({"old_parts": "请选择旧件处理方式。"})
    with transaction.atomic():
        locked = _editable_order(work_order)
        if locked.status not in INTERNAL_CHECK_STATES:
            raise ValidationError(
                f"工单当前为“{locked.get_status_display()}”,终检通过后才能做交车前检查。"
            )
        prefetch_related_objects([locked], "lines")
        if not no_line_awaiting_approval(locked):
            raise ValidationError(NEEDS_NO_PENDING.refusal)
        if not approved_lines_qc_passed(locked):
            raise ValidationError("还有已确认的项目未完工或未通过质检。")
        now = timezone.now()
        values = {"internal_checked_at": now, "internal_checked_by": by, "old_parts": old_parts}
        WorkOrder.objects.filter(pk=locked.pk).update(updated_at=now, **values)
    for name, value in values.items():
        setattr(work_order, name, value)
    return work_order


def _refuse_pending_lines(work_order: WorkOrder) -> None:
    """Lines the customer never approved are neither delivered nor paid for."""
    if WorkOrderLine.objects.filter(work_order=work_order, status=LineStatus.PROPOSED).exists():
        raise ValidationError(NEEDS_NO_PENDING.refusal)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def next_maintenance_defaults(work_order: WorkOrder, *, on: dt.date) -> tuple[dt.date, int]:
    """(date, mileage) of the next maintenance: the vehicle model's interval, else the
    settings' (+6 months / +5,000 km)."""
    interval = MaintenanceInterval.objects.filter(model_name=work_order.vehicle.model_name).first()
    if interval is None:
        rules = current_settings(ServiceSettings)
        months, km = rules.maintenance_interval_months, rules.maintenance_interval_km
    else:
        months, km = interval.months, interval.km
    return _add_months(on, months), work_order.mileage + km


def work_order_deliver(
    *,
    work_order: WorkOrder,
    by,
    next_maintenance_on: dt.date | None = None,
    next_maintenance_km: int | None = None,
    callback_preferred_time: str = "",
    callback_told: bool,
) -> StatusChange:
    """Hand the car back (交车): the next maintenance (defaults per model), the customer's
    preferred callback time (also kept on the customer), whether they were told of the
    3-day callback; then the transition `deliver` (its guard: the internal check)."""
    transition, _reason = _checked_transition(work_order, "deliver", by, "")
    if callback_preferred_time not in Customer.ContactTime.values:
        raise ValidationError({"callback_preferred_time": "请选择回访时间偏好。"})
    now = timezone.now()
    default_on, default_km = next_maintenance_defaults(work_order, on=timezone.localdate(now))
    values = {
        "delivered_at": now,
        "delivered_by": by,
        "next_maintenance_on": next_maintenance_on or default_on,
        "next_maintenance_km": next_maintenance_km or default_km,
        "callback_preferred_time": callback_preferred_time,
        "callback_told": bool(callback_told),
    }
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        _refuse_pending_lines(locked)
        change = _transition(
            locked, transition, by=by, reason="", from_status=work_order.status, extra=values
        )
        if callback_preferred_time:
            customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
            if customer.preferred_contact_time != callback_preferred_time:
                customer.preferred_contact_time = callback_preferred_time
                customer.save(update_fields=["preferred_contact_time", "updated_at"])
    work_order.status = locked.status
    for name, value in values.items():
        setattr(work_order, name, value)
    return change


def work_order_settle(*, work_order: WorkOrder, by, payments: list[NewPayment]) -> StatusChange:
    """Settle a delivered order (结算).

    1. Recompute the totals under the order's row lock; the payments must add up to the
       customer's share exactly (the refusal names the difference).
    2. Record the payments; the insurer's share and the maker's (warranty) share become
       open receivables.
    3. settled_at / settled_by and the transition `settle`; the statement is queued for
       printing.
    """
    transition, _reason = _checked_transition(work_order, "settle", by, "")
    for payment in payments:
        if payment.method not in Payment.Method.values:
            raise ValidationError({"payments": "请选择支付方式。"})
        if to_fen(payment.amount) <= 0:
            raise ValidationError({"payments": "每笔收款金额须大于 0。"})
    paid = sum((to_fen(payment.amount) for payment in payments), Decimal(0))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            WorkOrder.objects.select_for_update().select_related("vehicle").get(pk=work_order.pk)
        )
        _refuse_pending_lines(locked)
        totals = work_order_recompute_totals(locked)
        due = totals.customer_paid
        if paid != due:
            difference = paid - due
            direction = "多收" if difference > 0 else "少收"
            raise ValidationError(
                {
                    "payments": f"收款合计 {paid} 元,客户应付 {due} 元,"
                    f"{direction} {abs(difference)} 元,请核对后再结算。"
                }
            )
        values = {"settled_at": now, "settled_by": by}
        change = _transition(
            locked, transition, by=by, reason="", from_status=work_order.status, extra=values
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    work_order=locked,
                    method=payment.method,
                    amount=to_fen(payment.amount),
                    reference=payment.reference.strip()[:64],
                    received_by=by,
                    received_at=now,
                )
                for payment in payments
            ]
        )
        parties = {
            Payer.INSURANCE: locked.insurer or "保险公司",
            Payer.WARRANTY: f"{locked.vehicle.brand} 厂家".strip(),
        }
        Receivable.objects.bulk_create(
            [
                Receivable(
                    work_order=locked,
                    payer=payer,
                    party=party[:60],
                    amount=totals.by_payer[payer],
                    created_at=now,
                )
                for payer, party in parties.items()
                if totals.by_payer[payer] > 0
            ]
        )
        _issue_document(work_order=locked, kind=WorkOrderDocument.Kind.SETTLEMENT, by=by)
    work_order.status = locked.status
    for name, value in values.items():
        setattr(work_order, name, value)
    return change
