"""Writes to the parts catalogue. Each service owns its transaction.

Part numbers and model lists are made canonical here (one place for the forms, the demo
and any later import): a number typed with full-width characters or spaces is the same
number, and "速腾, 迈腾" is the same list as "速腾、迈腾".
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import format_html

from apps.core.integrity import violated_constraint
from apps.core.text import normalize_text

from .models import Part

# What people type between model names: 、 , ， ; ； or a new line (NFKC has already made
# the full-width comma and semicolon half-width when the text reaches the split).
_MODEL_SEPARATORS = re.compile(r"[、,;\n]+")
MODEL_SEPARATOR = "、"  # as Part.fits stores and reads it


def normalize_part_number(value) -> str:
    """A part number as stored: half-width, upper case, no spaces ("５ｑｄ 698 151" →
    "5QD698151"). Dashes and dots are kept: makers print them as part of the number."""
    return normalize_text(value).replace(" ", "").upper()


def normalize_model_names(value) -> str:
    """Model names joined by "、", each trimmed, duplicates and empties dropped, in the
    order typed ("速腾, 迈腾 、速腾" → "速腾、迈腾")."""
    names = []
    for name in _MODEL_SEPARATORS.split(normalize_text(value).replace("\r", "")):
        name = normalize_text(name)
        if name and name not in names:
            names.append(name)
    return MODEL_SEPARATOR.join(names)


def _duplicate_number_message(part: Part) -> str:
    other = Part.objects.filter(number=part.number).first()
    if other is None:
        return f"配件编号 {part.number} 已被另一个配件使用。"
    return format_html(
        '配件编号 {} 已登记为 <a href="{}">{}</a>,请打开该配件修改,不要重复登记。',
        other.number,
        reverse("parts:part_update", args=[other.pk]),
        other.name,
    )


def part_save(*, part: Part) -> Part:
    """Create or update a catalogue part.

    1. Number, name, unit and the models it fits in canonical form.
    2. The database decides uniqueness of the number (no lookup first: two clerks saving
       the same number at once cannot both win); the refusal names the other part.
    """
    part.number = normalize_part_number(part.number)
    part.name = normalize_text(part.name)
    part.unit = normalize_text(part.unit)
    part.fits_models = normalize_model_names(part.fits_models)
    if not part.number:
        raise ValidationError({"number": "请填写配件编号。"})
    try:
        with transaction.atomic():
            part.save()
    except IntegrityError as error:
        constraint = violated_constraint(error) or ""
        if "number" not in constraint:
            raise
        raise ValidationError({"number": _duplicate_number_message(part)}) from error
    return part
