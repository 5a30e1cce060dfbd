"""PIPL masking in templates: phones and ID numbers are shown whole only to roles allowed."""

import pytest
from django.template import Context, Template

from apps.core.templatetags.dms import mask_id, mask_phone, pii, pii_id


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


def test_pii_shows_the_whole_phone_only_when_allowed():
    assert pii("13812345678", True) == "13812345678"
    assert pii("13812345678", False) == "138****5678"
    assert pii(None, True) == ""


def test_pii_id_shows_the_whole_id_number_only_when_allowed():
    assert pii_id("11010519491231002X", True) == "11010519491231002X"
    assert pii_id("11010519491231002X", False) == "110105********002X"
    assert pii_id(None, False) == ""


@pytest.mark.parametrize(
    ("allowed", "rendered"),
    [(True, "13812345678 11010519491231002X"), (False, "138****5678 110105********002X")],
)
def test_templates_mask_through_the_dms_library(allowed, rendered):
    template = Template("{% load dms %}{{ mobile|pii:allowed }} {{ id_number|pii_id:allowed }}")

    html = template.render(
        Context({"mobile": "13812345678", "id_number": "11010519491231002X", "allowed": allowed})
    )

    assert html == rendered
