"""Licence photos (行驶证) for tests: the lines a card holds, a rendered photo of it for the
real OCR engine, and scan rows in each state.

A scan "read" here holds the reading the parser gives for the card's lines
(licence.parse_licence_lines): what the task stores after the engine read those lines,
without spending the engine's seconds in every page test. The tests of the task itself
read rendered photos with the real engine.
"""

import datetime as dt
import random
from dataclasses import asdict, dataclass, field

import pytest
from django.core.files.base import ContentFile

from apps.customers import ocr
from apps.customers.licence import parse_licence_lines
from apps.customers.licence_samples import fonts_available, photograph, render_card
from apps.customers.models import LicenceScan
from tests.factories.clock import SHANGHAI
from tests.factories.customers import valid_vin
from tests.factories.workorders import png_bytes

TAKEN_AT = dt.datetime(2026, 11, 16, 9, 5, tzinfo=SHANGHAI)
# For tests that read photos or need the camera button: the OCR extra (make ocr, which make
# test runs) and the fonts the photos are drawn with; skipped, saying why, without them.
with_the_ocr_extra = [
    pytest.mark.ocr,
    pytest.mark.skipif(
        not (ocr.ocr_available() and fonts_available()),
        reason="OCR extra (make ocr: requirements-ocr.lock) or Debian fonts-noto-cjk not installed",
    ),
]


def needs_the_ocr_extra(test):
    """Decorator: the test is marked `ocr` and skipped without the extra."""
    for mark in reversed(with_the_ocr_extra):
        test = mark(test)
    return test


@dataclass(frozen=True)
class Card:
    """The fields printed on a 行驶证 (the true values a test expects back)."""

    plate: str = "粤B6C789"
    vin: str = field(default_factory=lambda: valid_vin(7, wmi="LSV"))
    owner: str = "李明"
    address: str = "广东省深圳市南山区科技园路1号"
    brand_model: str = "大众汽车牌FV7152FBDBG"
    engine_number: str = "DMB123456"
    vehicle_type: str = "小型轿车"
    use_character: str = "非营运"
    registered_on: str = "2021-05-20"
    issued_on: str = "2021-05-20"

    def lines(self) -> list[str]:
        """The card's lines as an engine reads them, in reading order."""
        return [
            "中华人民共和国机动车行驶证",
            f"号牌号码 {self.plate}  车辆类型 {self.vehicle_type}",
            f"所有人 {self.owner}",
            f"住址 {self.address}",
            f"使用性质 {self.use_character}  品牌型号 {self.brand_model}",
            f"车辆识别代号 {self.vin}",
            f"发动机号码 {self.engine_number}",
            f"注册日期 {self.registered_on}  发证日期 {self.issued_on}",
        ]


def card_photo(card: Card | None = None, *, seed: int = 3) -> bytes:
    """A JPEG photo of the card (apps.customers.licence_samples: rendered in the card's
    layout, then photographed on a desk: slight rotation, blur, noise, uneven light)."""
    image = render_card(asdict(card or Card()))
    return photograph(image, random.Random(seed), strength=1.0)


def licence_scan(
    *,
    by,
    card: Card | None = None,
    lines: list[str] | None = None,
    status: str = LicenceScan.Status.READ,
    error: str = "",
    vehicle=None,
    photo: bytes | None = None,
) -> LicenceScan:
    """A scan row as the task leaves it: "read" with the reading of `lines` (the card's by
    default), "pending", or "failed" with `error`. The stored photo is `photo` (a JPEG),
    else a small PNG."""
    reading = {}
    if status == LicenceScan.Status.READ:
        reading = parse_licence_lines(lines if lines is not None else (card or Card()).lines())
        reading = reading.to_json()
    scan = LicenceScan(
        content_type="image/jpeg" if photo else "image/png",
        status=status,
        error=error,
        reading=reading,
        read_at=TAKEN_AT if status != LicenceScan.Status.PENDING else None,
        uploaded_by=by,
        created_at=TAKEN_AT,
        vehicle=vehicle,
        customer=vehicle.owner if vehicle is not None else None,
        attached_at=TAKEN_AT if vehicle is not None else None,
    )
    if photo:
        scan.image.save("licence.jpg", ContentFile(photo), save=False)
    else:
        scan.image.save("licence.png", ContentFile(png_bytes(64, 40)), save=False)
    scan.save()
    return scan
