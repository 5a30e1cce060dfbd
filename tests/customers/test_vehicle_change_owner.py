"""The owner change (过户): the service keeps the whole ownership history; the page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.customers import services
from apps.customers.models import VehicleOwnership
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def _ownership_rows(vehicle) -> list[tuple]:
    return list(
        VehicleOwnership.objects.filter(vehicle=vehicle)
        .order_by("id")
        .values_list("customer__name", "started_on", "ended_on", "note")
    )


@pytest.fixture
def transfer():
    seller = CustomerFactory(name="陈卖", mobile="13811110000")
    buyer = CustomerFactory(name="刘买", mobile="13922220000")
    vehicle = VehicleFactory(owner=seller, sale_date=dt.date(2024, 5, 18))
    return {"seller": seller, "buyer": buyer, "vehicle": vehicle}


def test_a_transfer_closes_the_old_ownership_and_opens_one_for_the_buyer(transfer):
    vehicle = transfer["vehicle"]

    services.vehicle_change_owner(
        vehicle=vehicle, new_owner=transfer["buyer"], on=dt.date(2026, 3, 1), note="二手车交易"
    )

    assert vehicle.owner == transfer["buyer"]
    vehicle.refresh_from_db()
    assert vehicle.owner_id == transfer["buyer"].pk
    assert _ownership_rows(vehicle) == [
        ("陈卖", dt.date(2024, 5, 18), dt.date(2026, 3, 1), ""),
        ("刘买", dt.date(2026, 3, 1), None, "二手车交易"),
    ]


def test_a_second_transfer_keeps_the_whole_history(transfer):
    vehicle = transfer["vehicle"]
    third = CustomerFactory(name="周三")
    services.vehicle_change_owner(
        vehicle=vehicle, new_owner=transfer["buyer"], on=dt.date(2026, 3, 1)
    )

    services.vehicle_change_owner(vehicle=vehicle, new_owner=third, on=dt.date(2026, 9, 1))

    assert [row[:3] for row in _ownership_rows(vehicle)] == [
        ("陈卖", dt.date(2024, 5, 18), dt.date(2026, 3, 1)),
        ("刘买", dt.date(2026, 3, 1), dt.date(2026, 9, 1)),
        ("周三", dt.date(2026, 9, 1), None),
    ]


@pytest.mark.parametrize(
    ("new_owner", "on", "expected"),
    [
        ("seller", dt.date(2026, 3, 1), {"new_owner": ["新车主与当前车主相同。"]}),
        ("buyer", dt.date(2024, 5, 17), {"on": ["过户日期不能早于当前车主的起始日期。"]}),
    ],
    ids=["to-the-current-owner", "dated-before-the-current-ownership-began"],
)
def test_a_refused_transfer_says_why_and_changes_nothing(transfer, new_owner, on, expected):
    vehicle = transfer["vehicle"]
    before = _ownership_rows(vehicle)

    with pytest.raises(ValidationError) as error:
        services.vehicle_change_owner(vehicle=vehicle, new_owner=transfer[new_owner], on=on)

    assert error.value.message_dict == expected
    vehicle.refresh_from_db()
    assert vehicle.owner_id == transfer["seller"].pk
    assert _ownership_rows(vehicle) == before


def test_the_owner_change_page_finds_the_buyer_by_mobile_and_name(role_client, transfer):
    vehicle = transfer["vehicle"]

    response = role_client("advisor").post(
        reverse("customers:vehicle_change_owner", args=[vehicle.pk]),
        {"new_owner_mobile": "139 2222 0000", "new_owner_name": "刘买", "on": "2026-03-01"},
    )

    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.owner_id == transfer["buyer"].pk


def test_the_owner_change_page_shows_a_refusal_on_its_field_and_changes_nothing(
    role_client, transfer
):
    vehicle = transfer["vehicle"]
    before = _ownership_rows(vehicle)

    response = role_client("advisor").post(
        reverse("customers:vehicle_change_owner", args=[vehicle.pk]),
        {"new_owner_mobile": "13811110000", "new_owner_name": "陈卖", "on": "2026-03-01"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": ["新车主与当前车主相同。"]}
    assert _ownership_rows(vehicle) == before


def test_the_owner_change_page_asks_for_an_archived_buyer(role_client, transfer):
    vehicle = transfer["vehicle"]

    response = role_client("advisor").post(
        reverse("customers:vehicle_change_owner", args=[vehicle.pk]),
        {"new_owner_mobile": "13700000000", "new_owner_name": "无档案", "on": "2026-03-01"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "找不到该手机号和姓名的客户,请先新建客户档案。"
    ]
    vehicle.refresh_from_db()
    assert vehicle.owner_id == transfer["seller"].pk
