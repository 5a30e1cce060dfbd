"""Personal data (PIPL): the one place that decides how personal data is shown masked.

Templates (the `dms` filters), the Excel exports and the SMS outbox call these functions;
none of them slices a phone number on its own. The whole value of a phone or ID number is
shown only after a user allowed to see it asks for it, and every such request is logged
(apps.customers.services.customer_reveal_pii).

Rules:
- mobile 13812345678 → 138****5678 (the 3-digit carrier prefix and the last 4 digits, what
  a caller is asked to confirm); other numbers keep their first and last 2 characters.
- resident ID 440305198506150011 → 440305********0011: the region code and the last 4 stay,
  the birth date is hidden (so a birthday must never be shown next to a masked ID number:
  together they give the whole number).
- address → its district-level part (广东省深圳市南山区****): enough to know where a
  customer lives for service planning, not where to find them.
"""

import re

from django.db import models

MASK = "****"
# Fewer characters than this leave nothing worth keeping: the whole value is hidden.
_PHONE_SHORT = 4
_ID_KEPT_HEAD, _ID_KEPT_TAIL = 6, 4  # region code; sequence number and check digit


class PiiField(models.TextChoices):
    """The fields of a customer shown masked until revealed (and logged when revealed)."""

    MOBILE = "mobile", "手机"
    PHONE_OTHER = "phone_other", "其他电话"
    ID_NUMBER = "id_number", "身份证号"


def mask_phone(value) -> str:
    """138****5678: the first 3 and last 4 digits of a mobile; other numbers keep 2 + 2."""
    text = str(value or "")
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]}{MASK}{text[-4:]}"
    if len(text) > _PHONE_SHORT:
        return f"{text[:2]}{'*' * (len(text) - 4)}{text[-2:]}"
    return "*" * len(text)


def mask_id(value) -> str:
    """110105********002X: region code and the last 4 characters, birth date hidden."""
    text = str(value or "")
    if len(text) <= _ID_KEPT_HEAD + _ID_KEPT_TAIL:  # nothing would be hidden
        return "*" * len(text)
    hidden = len(text) - _ID_KEPT_HEAD - _ID_KEPT_TAIL
    return f"{text[:_ID_KEPT_HEAD]}{'*' * hidden}{text[-_ID_KEPT_TAIL:]}"


def mask_field(field: str, value) -> str:
    """The masked form of a customer's `field` (one of PiiField)."""
    return mask_id(value) if field == PiiField.ID_NUMBER else mask_phone(value)


# The administrative prefix of a Chinese address, down to the district or county:
# [province or autonomous region] [city, prefecture or league] [district, county, banner or
# county-level city]. Each part is a short run of characters that are not themselves
# street-level words (镇 town, 乡, 路 road, 街/道 street, 号 number, 村 village), so a
# "工业区" or "华侨城市场" further along the street is never taken for a district.
_NOT_STREET = r"[^省市区县旗镇乡路街道号村\d\s]"
_DISTRICT_PREFIX = re.compile(
    rf"""
    ^(?:{_NOT_STREET}{{2,10}}?(?:省|自治区|特别行政区))?
    (?:{_NOT_STREET}{{1,10}}?(?:自治州|地区|盟|市))?
    (?:{_NOT_STREET}{{1,12}}?(?:区|县|旗|市))?
    """,
    re.VERBOSE,
)


def mask_address(value) -> str:
    """广东省深圳市南山区科技园科苑路15号 → 广东省深圳市南山区****.

    Only the administrative part is kept, down to the district or county; an address with
    no recognisable administrative part is hidden whole.
    """
    text = "".join(str(value or "").split())
    if not text:
        return ""
    kept = _DISTRICT_PREFIX.match(text).group(0)
    if kept == text:
        return text
    return f"{kept}{MASK}"
