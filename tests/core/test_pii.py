"""PIPL masking (apps/core/pii.py): the one set of rules templates, Excel and SMS use."""

import pytest
from django.template import Context, Template

from apps.core.pii import PiiField, mask_address, mask_field, mask_id, mask_phone


@pytest.mark.parametrize("mobile", ["13812345678", 13812345678])
def test_mask_phone_keeps_the_first_three_and_last_four_digits_of_a_mobile(mobile):
    assert mask_phone(mobile) == "138****5678"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("0755-26001234", "07*********34"),
        ("26001234", "26****34"),
        ("12345", "12*45"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone_keeps_two_and_two_of_other_numbers_and_hides_short_ones(number, masked):
    assert mask_phone(number) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("440305198506150011", "440305********0011"),
        ("12345678901", "123456*8901"),
        ("1234567890", "**********"),  # 6 + 4 shown would hide nothing
        ("H1234567", "********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_hides_the_birth_date_and_never_shows_a_short_number_whole(number, masked):
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("广东省深圳市南山区科技园科苑路15号", "广东省深圳市南山区****"),
        ("深圳市南山区深南大道 9688 号", "深圳市南山区****"),
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("上海市浦东新区张江镇祖冲之路 887 弄", "上海市浦东新区****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放南路 1 号", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("吉林省延边朝鲜族自治州延吉市人民路 5 号", "吉林省延边朝鲜族自治州延吉市****"),
        ("云南省普洱市孟连傣族拉祜族佤族自治县娜允镇", "云南省普洱市孟连傣族拉祜族佤族自治县****"),
        # Dongguan has no districts: the city is the finest administrative level.
        ("广东省东莞市长安镇振安工业区 3 栋", "广东省东莞市****"),
        # A 市场 or 工业区 in the street part is not taken for a city or a district.
        ("南山区华侨城市场 12 号", "南山区****"),
        ("科技园科苑路 15 号", "****"),
        ("深圳市南山区", "深圳市南山区"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_address_keeps_only_the_district_level(address, masked):
    assert mask_address(address) == masked


def test_templates_mask_through_the_dms_filters_which_are_the_pii_functions():
    template = Template(
        "{% load dms %}{{ mobile|mask_phone }} {{ id_number|mask_id }} {{ address|mask_address }}"
    )

    html = template.render(
        Context(
            {
                "mobile": "13812345678",
                "id_number": "11010519491231002X",
                "address": "深圳市南山区科苑路15号",
            }
        )
    )

    assert html == "138****5678 110105********002X 深圳市南山区****"


def test_mask_field_masks_each_revealable_field_by_its_own_rule():
    assert mask_field(PiiField.MOBILE, "13812345678") == "138****5678"
    assert mask_field(PiiField.PHONE_OTHER, "075526001234") == "07********34"
    assert mask_field(PiiField.ID_NUMBER, "11010519491231002X") == "110105********002X"
