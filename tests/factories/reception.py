"""Reception data for tests: an open order with its pre-inspection sheet, marks, photos, a
signature and a recommendation. Rows written directly, as the state a service would
have left (the services are tested on their own)."""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile

from apps.workorders.models import (
    DamageMark,
    Inspection,
    InspectionPhoto,
    Recommendation,
    Signature,
    WorkOrder,
)
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import WorkOrderFactory, png_bytes

OPENED_AT = dt.datetime(2026, 11, 16, 9, 30, tzinfo=SHANGHAI)


def open_order(*, vehicle=None, advisor=None, **fields) -> WorkOrder:
    """A draft order opened at reception, with its empty inspection sheet."""
    extra = {"vehicle": vehicle} if vehicle is not None else {}
    order = WorkOrderFactory(
        status=WorkOrder.Status.DRAFT,
        opened_at=OPENED_AT,
        promised_at=OPENED_AT + dt.timedelta(hours=2),
        advisor=advisor,
        labour_amount=0,
        parts_amount=0,
        total_amount=0,
        customer_paid_amount=0,
        **extra,
        **fields,
    )
    Inspection.objects.create(work_order=order)
    return order


def damage_mark(order: WorkOrder, *, x="25.00", y="40.00", kind=DamageMark.Kind.SCRATCH):
    return DamageMark.objects.create(
        inspection=order.inspection, x=Decimal(x), y=Decimal(y), kind=kind
    )


def inspection_photo(order: WorkOrder, *, by) -> InspectionPhoto:
    """A photo and its thumbnail, both PNG, in private storage."""
    photo = InspectionPhoto(
        inspection=order.inspection,
        content_type="image/png",
        uploaded_by=by,
        uploaded_at=OPENED_AT,
    )
    photo.image.save("photo.png", ContentFile(png_bytes(64, 48)), save=False)
    photo.thumbnail.save("photo-thumb.png", ContentFile(png_bytes(32, 24)), save=False)
    photo.save()
    return photo


def sign_sheet(order: WorkOrder, *, by, name="王建国") -> Signature:
    signature = Signature(
        signer_name=name,
        signed_at=OPENED_AT + dt.timedelta(minutes=10),
        points=[[{"x": 1, "y": 2, "time": 0, "pressure": 0.5}]],
        content={"work_order": order.number},
        sha256="0" * 64,
        taken_by=by,
    )
    signature.png.save("signature.png", ContentFile(png_bytes(120, 40)), save=False)
    signature.save()
    Inspection.objects.filter(work_order=order).update(signature=signature)
    order.inspection.refresh_from_db()
    return signature


def recommendation(vehicle, *, description="更换刹车片", amount="480.00") -> Recommendation:
    return Recommendation.objects.create(
        vehicle=vehicle,
        kind="part",
        description=description,
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=Decimal(amount),
        reason="下次再做",
    )
