"""Validators and normalisers for the archive's identifiers (DOMAIN.md §2).

Each `normalize_*` returns the canonical form or raises ValidationError with a Chinese
message; forms, the Excel import and the demo data all use these, so a value accepted in
one place is accepted everywhere.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.util import isdigits

from apps.core.text import normalize_text

# ISO 3779 / GB 16735: letters I, O and Q never appear in a VIN.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
# Position weights of the check-digit algorithm; position 9 (weight 0) is the check digit.
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_CHECK_DIGIT_CODE = "vin_check_digit"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Plate letters exclude I and O, which read as 1 and 0.
_PLATE_LETTER = "A-HJ-NP-Z"
_PLATE_REGULAR = re.compile(
    rf"^[{PROVINCES}][{_PLATE_LETTER}][{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂学警港澳]$"
)
# New-energy plates have 8 characters: small cars D/F then 5 (the first may be a letter),
# large vehicles 5 digits then D/F.
_PLATE_NEW_ENERGY = re.compile(
    rf"^[{PROVINCES}][{_PLATE_LETTER}]([DF][{_PLATE_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$"
)
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# What people put between digits or characters: spaces, dashes (ASCII and the ones an input
# method or a word processor types), middle dots, full stops, slashes and brackets. Applied
# after normalize_text(), so full-width forms are already half-width.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−·・.。/()\[\]]")
# The country code written +86, 0086 or 86 before an 11-digit mobile number.
_MOBILE_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")
# Other phone: a landline with area code (0755-26001234 → 075526001234), an extension
# (转 / ext / x / #) kept after "转", or a second mobile.
_PHONE_OTHER = re.compile(r"^\+?[0-9]{5,16}(?:转[0-9]{1,6})?$")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\s*([0-9]{1,6})$", re.IGNORECASE)


def _compact(value) -> str:
    """The one normaliser (apps.core.text) then every separator removed."""
    return _SEPARATORS.sub("", normalize_text(value))


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) that the other 16 characters of `vin` call for."""
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str, *, allow_bad_check_digit: bool = False) -> str:
    vin = _compact(value).upper()
    if len(vin) != 17:
        raise ValidationError(f"VIN 必须是 17 位,当前为 {len(vin)} 位。", code="vin_length")
    bad = sorted({ch for ch in vin if ch not in VIN_ALPHABET})
    if bad:
        hint = "(VIN 中不会出现 I、O、Q)" if set(bad) & set("IOQ") else ""
        raise ValidationError(f"VIN 含有无效字符:{''.join(bad)}{hint}。", code="vin_chars")
    expected = vin_check_digit(vin)
    if vin[8] != expected and not allow_bad_check_digit:
        raise ValidationError(
            f"VIN 校验位(第 9 位)应为 {expected},实际为 {vin[8]};请核对 VIN。",
            code=VIN_CHECK_DIGIT_CODE,
        )
    return vin


def is_vin_check_digit_valid(vin: str) -> bool:
    return vin_check_digit(vin) == vin[8]


def normalize_plate(value: str) -> str:
    plate = _compact(value).upper()
    if _PLATE_REGULAR.match(plate) or _PLATE_NEW_ENERGY.match(plate):
        return plate
    raise ValidationError(
        "车牌号格式不正确:应为省份简称 + 字母 + 5 位(新能源 6 位),如 粤B12345、京AD12345。",
        code="plate",
    )


def normalize_mobile(value: str) -> str:
    """13812345678 from the ways people type it: "138 1234 5678", "138-1234-5678",
    "+86 138 1234 5678", "0086 13812345678", full-width digits, non-breaking spaces."""
    mobile = _MOBILE_COUNTRY_CODE.sub("", _compact(value))
    if not _MOBILE.match(mobile):
        raise ValidationError("手机号应为 11 位数字,以 13-19 开头。", code="mobile")
    return mobile


def validate_delivered_on(value: date) -> None:
    """A sales file is opened at or after delivery: a delivery date in the future is a typo."""
    if value > timezone.localdate():
        raise ValidationError("交车日期不能晚于今天:销售档案在交车后建立。", code="future_delivery")


def normalize_phone_other(value) -> str:
    """Another phone, stored as digits so the search box finds it ("0755-2600 1234" →
    "075526001234"; an extension "0755-26001234 ext 802" → "075526001234转802"); a mobile
    number in any typed form is stored as normalize_mobile() stores it."""
    text = normalize_text(value)
    if not text:
        return ""
    extension = ""
    found = _EXTENSION.search(text)
    if found:
        extension = "转" + found.group(1)
        text = text[: found.start()]
    number = _SEPARATORS.sub("", text)
    if _MOBILE.match(_MOBILE_COUNTRY_CODE.sub("", number)) and not extension:
        return _MOBILE_COUNTRY_CODE.sub("", number)
    number += extension
    if not _PHONE_OTHER.match(number) or len(number) > 20:
        raise ValidationError(
            "其他电话格式不正确:请填写带区号的座机(如 0755-26001234)或手机号。",
            code="phone_other",
        )
    return number


def normalize_id_number(value: str) -> str:
    """The 18-character resident ID number (GB 11643), checked as stdnum's ric.validate()
    does except for the region code: stdnum refuses a code created after the birth year
    (440305 南山区 exists from 1983), but the code is the holder's residence when the
    number was issued, so a Nanshan resident born in 1950 rightly carries 440305. stdnum
    also raises KeyError for an unknown county of a known province."""
    number = _compact(value).upper()
    if len(number) != 18:
        raise ValidationError("身份证号应为 18 位。", code="id_length")
    if not isdigits(number[:17]):
        raise ValidationError("身份证号格式不正确。", code="id_format")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError("身份证号校验位错误,请核对。", code="id_checksum")
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.InvalidComponent:
        raise ValidationError("身份证号中的出生日期或地区码无效。", code="id_component") from None
    if born > date.today():  # noqa: DTZ011 (a calendar date; a day's slack either way is harmless)
        raise ValidationError("身份证号中的出生日期晚于今天。", code="id_component")
    if not _region_known(number[:6]):
        raise ValidationError("身份证号中的出生日期或地区码无效。", code="id_component")
    return number


def _region_known(code: str) -> bool:
    """True when stdnum's GB/T 2260 table lists the county `code`, in any period."""
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def id_number_birthday(number: str) -> date:
    return ric.get_birth_date(number)


def id_number_sex(number: str) -> str:
    """'M' or 'F': the 17th digit is odd for men, even for women (GB 11643)."""
    return "M" if int(number[16]) % 2 else "F"


def normalize_credit_code(value: str) -> str:
    code = _compact(value).upper()
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise ValidationError("统一社会信用代码应为 18 位。", code="uscc_length") from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("统一社会信用代码校验位错误。", code="uscc_checksum") from None
    except stdnum_errors.ValidationError:
        raise ValidationError("统一社会信用代码格式不正确。", code="uscc_format") from None
