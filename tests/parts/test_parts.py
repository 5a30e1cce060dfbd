"""The parts catalogue: part_save normalises and refuses a duplicate number in our words;
the form takes messy input; the list searches by number prefix or name, pages by number,
in a fixed number of queries; only the parts clerk and the manager write."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.parts.forms import PartForm
from apps.parts.models import Part
from apps.parts.services import normalize_model_names, normalize_part_number, part_save
from tests.factories.parts import PartFactory
from tests.pages import PAGE_QUERIES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("５ｑｄ １２９ ６２０", "5QD129620"),
        ("  5qd-129-620\u00a0", "5QD-129-620"),
        ("g052195m4", "G052195M4"),
    ],
)
def test_a_part_number_is_stored_half_width_upper_case_without_spaces(typed, stored):
    assert normalize_part_number(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("速腾, 迈腾", "速腾、迈腾"),
        ("速腾，迈腾 、 速腾", "速腾、迈腾"),
        ("速腾 2023款 300TSI;宝来 2023款 1.5L\n", "速腾 2023款 300TSI、宝来 2023款 1.5L"),
        ("  ", ""),
    ],
)
def test_fits_models_typed_with_commas_or_enumeration_marks_become_one_list(typed, stored):
    assert normalize_model_names(typed) == stored


def test_part_save_normalises_and_stores_the_part():
    part = part_save(
        part=Part(
            number=" ５qd698151 ",
            name=" 前刹车片 ",
            unit="套",
            price=Decimal("580"),
            fits_models="速腾,迈腾",
        )
    )

    part.refresh_from_db()
    assert (part.number, part.name, part.fits_models) == ("5QD698151", "前刹车片", "速腾、迈腾")
    assert part.fits("速腾") is True
    assert part.fits("宝来") is False


def test_part_save_refuses_a_number_already_used_and_names_the_other_part():
    first = PartFactory(number="5QD698151", name="前刹车片")

    with pytest.raises(ValidationError) as refused:
        part_save(part=Part(number="5qd 698151", name="别的", unit="个", price=Decimal(1)))

    [message] = refused.value.message_dict["number"]
    assert "5QD698151" in message
    assert reverse("parts:part_update", args=[first.pk]) in message
    assert Part.objects.count() == 1


def test_the_form_takes_a_full_width_number_with_spaces_and_a_list_with_commas():
    form = PartForm(
        {
            "number": "　５ＱＤ　８１９　６５３　",
            "name": "空调滤芯",
            "unit": "个",
            "price": "１１８",
            "fits_models": "速腾，迈腾,速腾",
            "active": "on",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["number"] == "5QD819653"
    assert form.cleaned_data["price"] == Decimal("118")
    assert form.cleaned_data["fits_models"] == "速腾、迈腾"


def test_the_form_says_what_is_missing_or_wrong_in_chinese():
    form = PartForm({"number": "  ", "name": "", "unit": "个", "price": "abc"})

    assert form.is_valid() is False
    assert form.errors == {
        "number": ["请填写配件编号。"],
        "name": ["请填写配件名称。"],
        "price": ["销售单价应为数字。"],
    }


def test_a_negative_price_is_refused():
    form = PartForm({"number": "X1", "name": "机油", "unit": "桶", "price": "-1"})

    assert form.errors == {"price": ["销售单价不能为负数。"]}


# --- pages --------------------------------------------------------------------------------


def test_the_list_finds_a_number_prefix_typed_in_lower_case_or_a_name_fragment(role_client):
    PartFactory(number="5QD129620", name="空气滤清器")
    PartFactory(number="5QD819653", name="空调滤芯")
    PartFactory(number="G052195M4", name="全合成机油 5W-30 4L")
    client = role_client("parts")

    by_number = client.get(reverse("parts:part_list"), {"q": "5qd8"})
    by_name = client.get(reverse("parts:part_list"), {"q": "机油"})

    assert [p.number for p in by_number.context["page"].rows] == ["5QD819653"]
    assert [p.number for p in by_name.context["page"].rows] == ["G052195M4"]


def test_the_list_pages_by_part_number_and_hides_inactive_parts(role_client):
    for n in range(30):
        PartFactory(number=f"P{n:03d}")
    PartFactory(number="P000A", active=False)
    client = role_client("parts")

    first = client.get(reverse("parts:part_list")).context["page"]
    second = client.get(reverse("parts:part_list"), {"after": first.next}).context["page"]

    assert [p.number for p in first.rows] == [f"P{n:03d}" for n in range(25)]
    assert [p.number for p in second.rows] == [f"P{n:03d}" for n in range(25, 30)]


def test_the_list_runs_the_same_queries_for_3_parts_and_for_40(
    role_client, settings_row, django_assert_num_queries
):
    client = role_client("parts")
    PartFactory.create_batch(3)
    # The page's own 1: one page of parts (the search is part of its WHERE).
    with django_assert_num_queries(PAGE_QUERIES + 1):
        client.get(reverse("parts:part_list"), {"q": "5QD"})
    PartFactory.create_batch(40)

    with django_assert_num_queries(PAGE_QUERIES + 1):
        response = client.get(reverse("parts:part_list"), {"q": "5QD"})

    assert len(response.context["page"].rows) == 25


def test_the_parts_clerk_creates_a_part_typed_messily(role_client):
    client = role_client("parts")

    response = client.post(
        reverse("parts:part_create"),
        {
            "number": "５ｑｄ 955 425",
            "name": "雨刮片",
            "unit": "对",
            "price": "198",
            "fits_models": "速腾, 迈腾",
            "active": "on",
        },
    )

    assert response.status_code == 302
    part = Part.objects.get()
    assert (part.number, part.fits_models) == ("5QD955425", "速腾、迈腾")


def test_a_duplicate_number_is_shown_on_the_form_with_a_link(role_client):
    first = PartFactory(number="5QD955425")
    client = role_client("manager")

    response = client.post(
        reverse("parts:part_create"),
        {"number": "5qd955425", "name": "雨刮片", "unit": "对", "price": "198"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "配件编号 5QD955425 已登记为" in body
    assert reverse("parts:part_update", args=[first.pk]) in body
    assert Part.objects.count() == 1


def test_an_advisor_may_read_the_catalogue_but_not_change_a_price(role_client):
    part = PartFactory(price=Decimal("68.00"))
    client = role_client("advisor")

    assert client.get(reverse("parts:part_list")).status_code == 200
    response = client.post(
        reverse("parts:part_update", args=[part.pk]),
        {"number": part.number, "name": part.name, "unit": "个", "price": "1"},
    )

    assert response.status_code == 403
    part.refresh_from_db()
    assert part.price == Decimal("68.00")
