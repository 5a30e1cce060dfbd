"""The archive's identifiers (DOMAIN.md §2): VIN, plate, mobile, resident ID, credit code.

Example tests pin the exact Chinese messages and codes; property tests (hypothesis) check
the check-digit rules over many generated values.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from apps.customers.validators import (
    VIN_ALPHABET,
    VIN_CHECK_DIGIT_CODE,
    id_number_birthday,
    id_number_sex,
    is_vin_check_digit_valid,
    normalize_credit_code,
    normalize_id_number,
    normalize_mobile,
    normalize_phone_other,
    normalize_plate,
    normalize_vin,
    vin_check_digit,
)
from tests.factories.customers import valid_vin

CHECK_DIGITS = "0123456789X"  # what position 9 of a VIN and position 18 of an ID can hold


def _vin_with_check_digit(body: str) -> str:
    """`body` is 17 characters; position 9 is replaced by the digit the others call for."""
    return body[:8] + vin_check_digit(body) + body[9:]


def _id_with_check_digit(first_17: str) -> str:
    # ric.calc_check_digit expects the whole number and ignores its last character.
    return first_17 + ric.calc_check_digit(first_17 + "0")


def _refusal(function, value, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        function(value, **kwargs)
    return caught.value


# --- VIN -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # the check-digit example of ISO 3779 text books: X
        "11111111111111111",
        "LSVAU218XN2183294",
    ],
)
def test_vin_with_a_correct_check_digit_is_accepted_unchanged(vin):
    assert normalize_vin(vin) == vin
    assert is_vin_check_digit_valid(vin) is True


def test_vin_is_upper_cased_and_stripped_of_spaces_and_dashes():
    assert normalize_vin(" lsvau218x-n2183294 ") == "LSVAU218XN2183294"


@pytest.mark.parametrize(
    "pasted",
    [
        "  LSVAU218XN2183294\t",
        "\u00a0LSVAU218XN2183294\u00a0",
        "LSVAU 218XN 218 3294",
        "ＬＳＶＡＵ２１８ＸＮ２１８３２９４",
        "\u3000LSVAU218XN2183294\u3000",
    ],
)
def test_a_pasted_vin_loses_its_spaces_before_the_length_is_checked(pasted):
    assert normalize_vin(pasted) == "LSVAU218XN2183294"


@pytest.mark.parametrize(("vin", "length"), [("LSVAU218XN218329", 16), ("LSVAU218XN21832945", 18)])
def test_vin_of_the_wrong_length_is_refused_with_its_length(vin, length):
    error = _refusal(normalize_vin, vin)

    assert error.code == "vin_length"
    assert error.messages == [f"VIN 必须是 17 位,当前为 {length} 位。"]


def test_empty_vin_is_refused_as_zero_characters_long():
    error = _refusal(normalize_vin, None)

    assert error.code == "vin_length"
    assert error.messages == ["VIN 必须是 17 位,当前为 0 位。"]


def test_vin_with_i_o_or_q_is_refused_naming_the_letters():
    error = _refusal(normalize_vin, "LSVOU218XN21832I4")

    assert error.code == "vin_chars"
    assert error.messages == ["VIN 含有无效字符:IO(VIN 中不会出现 I、O、Q)。"]


def test_vin_with_other_invalid_characters_is_refused_without_the_i_o_q_hint():
    error = _refusal(normalize_vin, "LSVAU218XN2183_94")

    assert error.code == "vin_chars"
    assert error.messages == ["VIN 含有无效字符:_。"]


def test_vin_failing_only_its_check_digit_is_refused_with_the_expected_digit():
    error = _refusal(normalize_vin, "LSVAU2180N2183294")

    assert error.code == VIN_CHECK_DIGIT_CODE
    assert error.messages == ["VIN 校验位(第 9 位)应为 X,实际为 0;请核对 VIN。"]
    assert is_vin_check_digit_valid("LSVAU2180N2183294") is False


def test_vin_failing_only_its_check_digit_is_kept_when_the_caller_allows_it():
    assert normalize_vin("lsvau2180n2183294", allow_bad_check_digit=True) == "LSVAU2180N2183294"


def test_allowing_a_bad_check_digit_does_not_let_i_o_q_through():
    error = _refusal(normalize_vin, "LSVAU2180N21832Q4", allow_bad_check_digit=True)

    assert error.code == "vin_chars"


def test_the_factory_vins_pass_the_validator():
    assert [normalize_vin(valid_vin(serial)) for serial in (1, 2, 999_999)] == [
        valid_vin(1),
        valid_vin(2),
        valid_vin(999_999),
    ]


vin_bodies = st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17)


@given(body=vin_bodies)
def test_any_vin_body_with_its_computed_check_digit_validates(body):
    vin = _vin_with_check_digit(body)

    assert normalize_vin(vin) == vin
    assert is_vin_check_digit_valid(vin) is True


@given(body=vin_bodies, data=st.data())
def test_any_changed_check_digit_fails_with_the_check_digit_code(body, data):
    vin = _vin_with_check_digit(body)
    wrong = data.draw(st.sampled_from([ch for ch in VIN_ALPHABET if ch != vin[8]]))
    bad = vin[:8] + wrong + vin[9:]

    error = _refusal(normalize_vin, bad)

    assert error.code == VIN_CHECK_DIGIT_CODE
    assert is_vin_check_digit_valid(bad) is False
    assert normalize_vin(bad, allow_bad_check_digit=True) == bad


@given(
    body=vin_bodies,
    position=st.integers(min_value=0, max_value=16),
    letter=st.sampled_from("IOQioq"),
    allow=st.booleans(),
)
def test_any_vin_containing_i_o_or_q_fails(body, position, letter, allow):
    vin = _vin_with_check_digit(body)
    bad = vin[:position] + letter + vin[position + 1 :]

    error = _refusal(normalize_vin, bad, allow_bad_check_digit=allow)

    assert error.code == "vin_chars"
    assert "(VIN 中不会出现 I、O、Q)" in error.messages[0]


# --- plates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plate",
    [
        "粤B12345",
        "京A8B8C8",
        "沪AA1234",
        "粤B1234学",
        "粤B1234警",
        "粤Z1234港",
        "粤Z1234澳",
        "粤B1234挂",
        "京AD12345",  # new energy, small car: D then 5
        "京AF12345",
        "粤BDA1234",  # new energy: the character after D/F may be a letter
        "粤B12345D",  # new energy, large vehicle: 5 digits then D/F
        "粤B12345F",
    ],
)
def test_chinese_plate_formats_are_accepted(plate):
    assert normalize_plate(plate) == plate


@pytest.mark.parametrize(
    ("given_plate", "expected"),
    [("粤b12345", "粤B12345"), ("粤B 12345", "粤B12345"), ("京ad-12345", "京AD12345")],
)
def test_plate_is_upper_cased_and_stripped_of_separators(given_plate, expected):
    assert normalize_plate(given_plate) == expected


@pytest.mark.parametrize(
    "plate",
    [
        "粤BI2345",  # I reads as 1
        "粤BO2345",  # O reads as 0
        "粤IB12345",
        "京AD1234O",
        "粤B1234",  # 6 characters
        "粤B123456",  # 8 characters but not new energy
        "京AX12345",  # 8 characters: the third must be D or F
        "粤B12345X",  # 8 characters: the last must be D or F
        "粤B12345学6",
        "港B12345",  # not a province abbreviation
        "粤112345",  # the city code is a letter
        "B12345",
        "",
    ],
)
def test_malformed_plates_are_refused_with_a_chinese_example(plate):
    error = _refusal(normalize_plate, plate)

    assert error.code == "plate"
    assert error.messages == [
        "车牌号格式不正确:应为省份简称 + 字母 + 5 位(新能源 6 位),如 粤B12345、京AD12345。"
    ]


# --- mobiles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mobile",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+8613812345678",
        "86-138-1234-5678",
        "138-1234-5678",
        "138.1234.5678",
        "138·1234·5678",
        "0086 138 1234 5678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",  # full-width digits, as a Chinese input method types them
        "＋８６ １３８ １２３４ ５６７８",
        "138\u00a01234\u00a05678",  # non-breaking spaces pasted from a web page
        "138\u30001234\u30005678",  # ideographic spaces
        "\ufeff138 1234 5678\u200b",  # zero-width characters from chat apps
        "138–1234—5678",  # en and em dashes a word processor types
        13812345678,  # Excel gives a number when the column is not text
    ],
)
def test_mobile_is_normalised_to_eleven_digits(mobile):
    assert normalize_mobile(mobile) == "13812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_mobiles_of_every_carrier_prefix_are_accepted(prefix):
    assert normalize_mobile(f"{prefix}912345678") == f"{prefix}912345678"


@pytest.mark.parametrize(
    "mobile",
    [
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # no carrier starts 12
        "23812345678",
        "+85213812345678",
        "0755-26001234",  # a landline belongs in 其他电话
        "1381234567a",
        "",
        None,
    ],
)
def test_malformed_mobiles_are_refused(mobile):
    error = _refusal(normalize_mobile, mobile)

    assert error.code == "mobile"
    assert error.messages == ["手机号应为 11 位数字,以 13-19 开头。"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0755-26001234", "075526001234"),
        ("(0755) 2600 1234", "075526001234"),
        ("０７５５－２６００１２３４", "075526001234"),
        ("0755-26001234 转 802", "075526001234转802"),
        ("0755-26001234 ext. 802", "075526001234转802"),
        ("075526001234转802", "075526001234转802"),  # already canonical: unchanged
        ("+86 139 0000 0001", "13900000001"),
        ("", ""),
        (None, ""),
    ],
)
def test_other_phone_is_stored_as_digits_whatever_the_typing(typed, stored):
    assert normalize_phone_other(typed) == stored


@pytest.mark.parametrize("typed", ["0755-26001234 / 0755-26001235", "见备注", "12"])
def test_an_other_phone_that_is_not_one_number_is_refused(typed):
    error = _refusal(normalize_phone_other, typed)

    assert error.code == "phone_other"


# --- resident ID numbers -------------------------------------------------------------


def test_resident_id_number_is_accepted_and_gives_birthday_and_sex():
    number = normalize_id_number("11010519491231002X")

    assert number == "11010519491231002X"
    assert id_number_birthday(number) == dt.date(1949, 12, 31)
    assert id_number_sex(number) == "F"  # 17th digit 2 is even


def test_odd_seventeenth_digit_means_male():
    number = normalize_id_number("440305198506150011")

    assert id_number_birthday(number) == dt.date(1985, 6, 15)
    assert id_number_sex(number) == "M"


def test_id_number_is_upper_cased_and_stripped_of_spaces():
    assert normalize_id_number("110105 19491231 002x") == "11010519491231002X"


def test_id_number_keeps_a_region_code_created_after_the_birth_year():
    # 440305 (南山区) dates from 1983, but the code is the residence when the card was
    # issued: a Nanshan resident born in 1950 carries it.
    number = _id_with_check_digit("44030519500101001")

    assert normalize_id_number(number) == number


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("11010519491231002", "id_length", "身份证号应为 18 位。"),
        ("11010519491231002X1", "id_length", "身份证号应为 18 位。"),
        ("", "id_length", "身份证号应为 18 位。"),
        ("110105194912310021", "id_checksum", "身份证号校验位错误,请核对。"),
        ("11010519491231002Y", "id_checksum", "身份证号校验位错误,请核对。"),
        ("1101051949123100AX", "id_format", "身份证号格式不正确。"),
        (
            _id_with_check_digit("11010519491331002"),  # month 13
            "id_component",
            "身份证号中的出生日期或地区码无效。",
        ),
        (
            _id_with_check_digit("11010519490230002"),  # 30 February
            "id_component",
            "身份证号中的出生日期或地区码无效。",
        ),
        (
            _id_with_check_digit("99999919491231002"),  # no such region
            "id_component",
            "身份证号中的出生日期或地区码无效。",
        ),
        (
            _id_with_check_digit("44999919491231002"),  # a real province, no such county
            "id_component",
            "身份证号中的出生日期或地区码无效。",
        ),
    ],
)
def test_invalid_id_numbers_are_refused_with_the_reason(number, code, message):
    error = _refusal(normalize_id_number, number)

    assert error.code == code
    assert error.messages == [message]


REGIONS = ("110105", "110101", "440305", "440300", "310115")  # 朝阳 东城 南山 深圳 浦东


@given(
    region=st.sampled_from(REGIONS),
    birthday=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_any_real_region_birthday_and_sequence_with_its_check_digit_validates(
    region, birthday, sequence
):
    number = _id_with_check_digit(f"{region}{birthday:%Y%m%d}{sequence:03d}")

    assert normalize_id_number(number) == number
    assert id_number_birthday(number) == birthday
    assert id_number_sex(number) == ("M" if sequence % 2 else "F")


@given(
    region=st.sampled_from(REGIONS),
    birthday=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    data=st.data(),
)
def test_any_wrong_id_check_digit_fails(region, birthday, sequence, data):
    number = _id_with_check_digit(f"{region}{birthday:%Y%m%d}{sequence:03d}")
    wrong = data.draw(st.sampled_from([ch for ch in CHECK_DIGITS if ch != number[17]]))

    error = _refusal(normalize_id_number, number[:17] + wrong)

    assert error.code == "id_checksum"


# --- unified social credit codes -----------------------------------------------------


@pytest.mark.parametrize(
    ("given_code", "expected"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("91110000600037341l", "91110000600037341L"),
        ("9111 0000 6000 3734 1L", "91110000600037341L"),
        ("91440300MA5F0XXX0B", "91440300MA5F0XXX0B"),
    ],
)
def test_credit_code_is_accepted_upper_cased_without_separators(given_code, expected):
    assert normalize_credit_code(given_code) == expected


@pytest.mark.parametrize(
    ("credit_code", "code", "message"),
    [
        ("91110000600037341", "uscc_length", "统一社会信用代码应为 18 位。"),
        ("", "uscc_length", "统一社会信用代码应为 18 位。"),
        ("91110000600037341K", "uscc_checksum", "统一社会信用代码校验位错误。"),
        ("9111000A600037341L", "uscc_format", "统一社会信用代码格式不正确。"),
        ("91110000600037I41L", "uscc_format", "统一社会信用代码格式不正确。"),
    ],
)
def test_invalid_credit_codes_are_refused_with_the_reason(credit_code, code, message):
    error = _refusal(normalize_credit_code, credit_code)

    assert error.code == code
    assert error.messages == [message]
