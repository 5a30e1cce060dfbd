"""The creation services every writer calls: forms, the import, the demo and factories."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.customers import services
from apps.customers.models import Customer, Vehicle, VehicleOwnership
from tests.factories.customers import CustomerFactory, valid_id_number, valid_vin

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC), tick=False)
def test_customer_create_normalises_and_derives_and_computes_the_segment():
    number = valid_id_number(7, birthday=dt.date(1990, 3, 4), male=False)
    customer = Customer(name="  王\u00a0 芳 ", mobile="+86 138 1234 5678", id_number=number)

    services.customer_create(customer=customer)

    customer.refresh_from_db()
    assert customer.name == "王 芳"
    assert customer.mobile == "13812345678"
    assert (customer.birthday, customer.sex) == (dt.date(1990, 3, 4), Customer.Sex.FEMALE)
    # No visits yet: below every threshold of the monthly recompute, not the model default.
    assert customer.segment == Customer.Segment.SMALL
    assert customer.segment_computed_on == dt.date(2026, 11, 16)


def test_a_company_keeps_no_id_number_sex_or_id_derived_birthday():
    number = valid_id_number(8, birthday=dt.date(1980, 1, 2))
    company = Customer(
        kind=Customer.Kind.COMPANY,
        name="深圳市某某物流有限公司",
        mobile="13800000001",
        id_number=number,
        sex=Customer.Sex.MALE,
        birthday=dt.date(1980, 1, 2),
    )

    services.customer_create(customer=company)

    company.refresh_from_db()
    assert (company.id_number, company.sex, company.birthday) == ("", "", None)


def test_customers_create_many_applies_the_same_rules():
    number = valid_id_number(9, birthday=dt.date(1975, 5, 6))
    customers = [
        Customer(name="李 雷", mobile="１３９ ００００ ０００１", id_number=number),
        Customer(
            kind=Customer.Kind.COMPANY, name="某某公司", mobile="13900000002", id_number=number
        ),
    ]

    created = services.customers_create_many(customers=customers)

    assert all(c.pk for c in created)
    person, company = Customer.objects.order_by("id")
    assert (person.mobile, person.sex, person.birthday) == (
        "13900000001",
        Customer.Sex.MALE,
        dt.date(1975, 5, 6),
    )
    assert person.segment == company.segment == Customer.Segment.SMALL
    assert (company.id_number, company.sex) == ("", "")


def test_vehicle_register_creates_the_vehicle_and_its_open_ownership(user_with_role):
    owner = CustomerFactory()
    vehicle = Vehicle(
        vin=f" {valid_vin(1)} ", plate="粤b 12345", brand="大众", model_name="速腾",
        sale_date=dt.date(2024, 5, 18),
    )  # fmt: skip

    services.vehicle_register(
        vehicle=vehicle, owner=owner, by=user_with_role("advisor"), note="新车登记"
    )

    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.plate, vehicle.owner) == (valid_vin(1), "粤B12345", owner)
    ownership = VehicleOwnership.objects.get(vehicle=vehicle)
    assert (ownership.customer, ownership.started_on, ownership.ended_on, ownership.note) == (
        owner,
        dt.date(2024, 5, 18),
        None,
        "新车登记",
    )


def test_vehicle_register_refuses_a_bad_check_digit_from_a_user_not_allowed(user_with_role):
    vin = valid_vin(2)
    bad = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
    vehicle = Vehicle(vin=bad, brand="大众", model_name="速腾")

    with pytest.raises(ValidationError):
        services.vehicle_register(
            vehicle=vehicle, owner=CustomerFactory(), by=user_with_role("advisor")
        )

    assert not Vehicle.objects.exists()
    assert not VehicleOwnership.objects.exists()


@time_machine.travel(dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC), tick=False)
def test_vehicles_register_many_opens_one_ownership_each_from_sale_date_or_today():
    owner = CustomerFactory()
    vehicles = [
        Vehicle(owner=owner, vin=valid_vin(3), brand="大众", model_name="速腾",
                sale_date=dt.date(2023, 2, 1)),
        Vehicle(owner=owner, vin=valid_vin(4), brand="大众", model_name="途观"),
    ]  # fmt: skip

    services.vehicles_register_many(vehicles=vehicles, note="导入:a.xlsx")

    rows = VehicleOwnership.objects.order_by("vehicle_id")
    assert [(r.vehicle_id, r.customer_id, r.started_on, r.ended_on, r.note) for r in rows] == [
        (vehicles[0].pk, owner.pk, dt.date(2023, 2, 1), None, "导入:a.xlsx"),
        (vehicles[1].pk, owner.pk, dt.date(2026, 11, 16), None, "导入:a.xlsx"),
    ]
