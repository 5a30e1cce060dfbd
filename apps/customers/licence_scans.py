"""Writes of the licence photos (issue 12): a photo of the 行驶证 (or of the VIN plate) is
stored, read by OCR in a Celery task, confirmed by the advisor for a car, and erased.

Services as in services.py: keyword-only, `by` the acting user, each owns its transaction,
refusals are ValidationErrors with Chinese messages. The reading itself is
apps.customers.ocr (an optional extra) and apps.customers.licence (the fields).

The photo is personal data (the owner's name and address, PIPL): private storage, streamed
only to holders of `customers.view_licence_photo`; deleted with its row by
`licence_scan_erase`; a photo never attached to a car is deleted by the sweep after
ArchiveSettings.licence_scan_unattached_hours; the erasure of a person calls
`licence_scans_erase_for_customer`.
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.settings import current_settings
from apps.core.storage import private_storage
from apps.core.uploads import JPEG, PNG, WEBP, decoded_image

from .models import ArchiveSettings, Customer, LicenceScan, Vehicle
from .selectors import vehicle_for_licence
from .services import customer_create, vehicle_register

logger = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # a tablet camera's JPEG is 2–5 MB
PHOTO_MAX_SIDE = 8000  # pixels: a 48-megapixel camera; bounds a decode's memory
PHOTO_REFUSED = (
    "只能上传行驶证或 VIN 铭牌的照片:PNG、JPEG 或 WebP 图片(按文件内容识别),文件须完整。"
)
# Readings of one photo before it is failed: a photo that kills the worker every time (out
# of memory) must not be redelivered forever.
MAX_ATTEMPTS = 3
# A scan still "识别中" this long lost its message (a reading takes about a second): the
# sweep queues it again.
STALE_PENDING = dt.timedelta(minutes=2)

MESSAGES = {
    "file_missing": "照片文件已不存在,请重新拍照。",
    "attempts": "多次识别都被中断,请重新拍照,或手工填写。",
    "database": "数据库暂时无法连接,识别未完成;请重新拍照。",
    "timeout": "识别超时,请重新拍照(对准行驶证,避免反光),或手工填写。",
    "system": "识别时出现系统错误,请手工填写;如反复出现请联系系统管理员。",
}


# --- upload and reading -------------------------------------------------------------------


def licence_scan_upload(*, upload, by) -> LicenceScan:
    """Store a photo of a 行驶证 or a VIN plate and queue its reading.

    1. PNG, JPEG or WebP by its content (apps.core.uploads), at most 10 MB, decodable.
    2. The file and the row (识别中) are written together; the reading is queued once the
       transaction commits (the task reads the committed row).
    """
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"image": "照片不能超过 10 MB。"})
    upload.seek(0)
    data = upload.read()
    try:
        kind, _image = decoded_image(
            data,
            kinds=(PNG, JPEG, WEBP),
            too_large=f"照片不能超过 {PHOTO_MAX_SIDE}×{PHOTO_MAX_SIDE} 像素。",
            broken=PHOTO_REFUSED,
            max_side=PHOTO_MAX_SIDE,
        )
    except ValidationError as error:
        raise ValidationError({"image": error.messages}) from None
    from .tasks import read_licence_scan  # tasks imports this module

    with transaction.atomic():
        scan = LicenceScan(content_type=kind.content_type, uploaded_by=by)
        scan.image.save(f"{uuid.uuid4().hex}.{kind.extension}", ContentFile(data), save=False)
        scan.save()
        read_licence_scan.delay_on_commit(scan.pk)
    return scan


def licence_scan_claim(*, scan_id: int) -> bool:
    """Count a reading of a scan still 识别中 (one conditional UPDATE; False: not to read,
    because it is read, failed, gone or out of attempts)."""
    return bool(
        LicenceScan.objects.filter(
            pk=scan_id, status=LicenceScan.Status.PENDING, attempts__lt=MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    )


def licence_scan_finish(*, scan_id: int, reading: dict | None = None, error: str = "") -> bool:
    """Store the outcome of a reading: the reading (已识别) or the error (识别失败).

    One conditional UPDATE of a scan still 识别中, so a second reading of the same photo
    (a redelivered message) changes nothing, and the row is never half-written. Returns
    whether this call stored it.
    """
    now = timezone.now()
    if reading is not None:
        changes = {"status": LicenceScan.Status.READ, "reading": reading, "error": ""}
    else:
        changes = {"status": LicenceScan.Status.FAILED, "error": error[:200]}
    return bool(
        LicenceScan.objects.filter(pk=scan_id, status=LicenceScan.Status.PENDING).update(
            read_at=now, updated_at=now, **changes
        )
    )


def licence_scan_read(*, scan_id: int) -> str:
    """Read a scan's photo (what tasks.read_licence_scan runs): "read", "failed" or
    "skipped" (not 识别中 any more, or another reading stored it first).

    1. Claim a reading (licence_scan_claim); out of attempts, the scan fails.
    2. OCR and parse (apps.customers.ocr, about a second), outside any transaction.
    3. Store the outcome with licence_scan_finish. A photo the engine cannot decode fails
       with the engine's Chinese message; errors of the database reach the task (retried).
    """
    from .ocr import read_licence_image  # the optional extra's module

    if not licence_scan_claim(scan_id=scan_id):
        out_of_attempts = LicenceScan.objects.filter(
            pk=scan_id, status=LicenceScan.Status.PENDING, attempts__gte=MAX_ATTEMPTS
        ).exists()
        if out_of_attempts and licence_scan_finish(scan_id=scan_id, error=MESSAGES["attempts"]):
            return "failed"
        return "skipped"
    scan = LicenceScan.objects.get(pk=scan_id)
    try:
        with scan.image.open("rb") as file:
            data = file.read()
    except FileNotFoundError:
        return _failed(scan_id, MESSAGES["file_missing"])
    try:
        reading = read_licence_image(data)
    except ValidationError as error:
        return _failed(scan_id, " ".join(error.messages))
    stored = licence_scan_finish(scan_id=scan_id, reading=reading.to_json())
    return "read" if stored else "skipped"


def _failed(scan_id: int, message: str) -> str:
    return "failed" if licence_scan_finish(scan_id=scan_id, error=message) else "skipped"


# --- confirming it for a car ----------------------------------------------------------------


def licence_scan_attach(*, scan: LicenceScan, vehicle: Vehicle, by) -> LicenceScan:
    """Keep the photo with `vehicle` (and its owner, whose licence it is).

    One conditional UPDATE of a scan attached to no car yet: a photo belongs to one car;
    attaching it again to the same car changes nothing.
    """
    now = timezone.now()
    attached = (
        LicenceScan.objects.filter(pk=scan.pk, vehicle__isnull=True)
        .exclude(status=LicenceScan.Status.PENDING)
        .update(vehicle=vehicle, customer_id=vehicle.owner_id, attached_at=now, updated_at=now)
    )
    if not attached:
        current = LicenceScan.objects.filter(pk=scan.pk).values("vehicle_id", "status").first()
        if current is None:
            raise ValidationError("这张照片已被删除,请重新拍照。")
        if current["status"] == LicenceScan.Status.PENDING:
            raise ValidationError("照片还在识别中,请稍候。")
        if current["vehicle_id"] != vehicle.pk:
            raise ValidationError("这张照片已关联到另一辆车,请重新拍照。")
    scan.refresh_from_db()
    return scan


@dataclass(frozen=True)
class LicenceOutcome:
    vehicle: Vehicle
    created: bool  # False: the car was already in the archive; the photo was attached to it
    matched_by: str = ""  # "vin" or "plate" when it was already there
    customer_created: bool = False


def licence_scan_register(
    *, scan: LicenceScan, by, vehicle: Vehicle, owner: Customer, vin_exception_reason: str = ""
) -> LicenceOutcome:
    """The advisor confirmed the fields read from a licence photo: the car, never twice.

    1. A car already in the archive with the confirmed VIN, else with the plate
       (selectors.vehicle_for_licence), is this car: the photo is attached to it and
       nothing is created.
    2. Otherwise, in one transaction: the owner (a new customer, or the customer already
       filed under the same mobile and name), the vehicle (services.vehicle_register, with
       its rules) and the photo attached to it.
    3. Two advisors confirming the same car at once: the VIN's unique constraint lets one
       create it; the other's transaction is rolled back, and it finds and attaches that
       car (step 1 again).
    """
    existing, matched_by = vehicle_for_licence(vin=vehicle.vin, plate=vehicle.plate)
    if existing is not None:
        licence_scan_attach(scan=scan, vehicle=existing, by=by)
        return LicenceOutcome(vehicle=existing, created=False, matched_by=matched_by)
    customer_created = False
    try:
        with transaction.atomic():
            if owner.pk is None:
                found = Customer.objects.filter(mobile=owner.mobile, name=owner.name).first()
                if found is None:
                    owner = customer_create(customer=owner)
                    customer_created = True
                else:
                    owner = found
            vehicle_register(
                vehicle=vehicle, owner=owner, by=by, vin_exception_reason=vin_exception_reason
            )
            licence_scan_attach(scan=scan, vehicle=vehicle, by=by)
    except ValidationError:
        existing, matched_by = vehicle_for_licence(vin=vehicle.vin, plate=vehicle.plate)
        if existing is None:
            vehicle.pk = None  # rolled back: the form may be submitted again
            raise
        licence_scan_attach(scan=scan, vehicle=existing, by=by)
        return LicenceOutcome(vehicle=existing, created=False, matched_by=matched_by)
    return LicenceOutcome(vehicle=vehicle, created=True, customer_created=customer_created)


# --- erasure and retention --------------------------------------------------------------------


def _delete_files(names: list[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


def _erase(scans) -> int:
    """Delete the rows; their files once the transaction commits (a rollback keeps both)."""
    with transaction.atomic():
        names = [name for _pk, name in scans.values_list("pk", "image")]
        deleted, _ = scans.delete()
        transaction.on_commit(partial(_delete_files, names))
    return deleted


def licence_scan_erase(*, scan: LicenceScan, by) -> None:
    """Delete a licence photo and everything read from it (name, address): the row and the
    file. For the PIPL erasure, and for a photo taken by mistake."""
    _erase(LicenceScan.objects.filter(pk=scan.pk))
    logger.info("licence scan %s erased by %s", scan.pk, getattr(by, "pk", None))


def licence_scans_erase_for_customer(*, customer: Customer, by) -> int:
    """Delete every licence photo that is `customer`'s (attached while they owned the car):
    what the erasure of a person's data (PIPL) calls. Returns how many were deleted."""
    erased = _erase(LicenceScan.objects.filter(customer=customer))
    logger.info("%s licence scans of customer %s erased by %s", erased, customer.pk, by)
    return erased


def licence_scans_sweep(*, now: dt.datetime) -> dict:
    """What beat runs every 10 minutes (tasks.sweep_licence_scans); safe to run twice.

    1. Photos never attached to a car, older than the settings' hours, are erased (PIPL:
       kept no longer than the visit needs).
    2. Photos still 识别中 after STALE_PENDING lost their message (broker restarted, worker
       killed): queued again; the claim counts the attempts.
    """
    from .tasks import read_licence_scan

    hours = current_settings(ArchiveSettings).licence_scan_unattached_hours
    erased = _erase(
        LicenceScan.objects.filter(
            vehicle__isnull=True, created_at__lt=now - dt.timedelta(hours=hours)
        )
    )
    stale = LicenceScan.objects.filter(
        Q(status=LicenceScan.Status.PENDING) & Q(created_at__lt=now - STALE_PENDING)
    ).values_list("pk", flat=True)
    requeued = 0
    for scan_id in list(stale):
        read_licence_scan.delay(scan_id)
        requeued += 1
    return {"erased": erased, "requeued": requeued}
