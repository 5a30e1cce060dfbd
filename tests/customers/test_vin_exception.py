"""A VIN failing only its check digit: refused to advisors, kept by a manager with a
reason, and flagged until corrected."""

import pytest
from django.urls import reverse

from apps.customers.models import Vehicle
from apps.customers.validators import vin_check_digit
from tests.factories.customers import CustomerFactory, valid_vin
from tests.pages import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def _bad_check_digit_vin(serial: int = 777) -> str:
    vin = valid_vin(serial)
    wrong = "1" if vin[8] != "1" else "2"
    assert vin_check_digit(vin) != wrong
    return vin[:8] + wrong + vin[9:]


def _vehicle_form(vin: str, **extra) -> dict:
    return {
        "vin": vin,
        "plate": "粤B88888",
        "brand": "大众",
        "model_name": "帕萨特",
        "mileage": "1000",
        **extra,
    }


def test_an_advisor_cannot_save_a_vin_with_a_wrong_check_digit(role_client):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()

    response = role_client("advisor").post(
        reverse("customers:vehicle_create", args=[owner.pk]), _vehicle_form(vin)
    )

    assert response.status_code == 200
    expected = vin_check_digit(vin)
    assert response.context["form"].errors == {
        "vin": [f"VIN 校验位(第 9 位)应为 {expected},实际为 {vin[8]};请核对 VIN。"]
    }
    assert "VIN校验位例外原因" not in html(response)  # the advisor has no such field
    assert Vehicle.objects.filter(vin=vin).exists() is False


def test_a_manager_without_a_reason_is_asked_for_one_and_nothing_is_saved(role_client):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()

    response = role_client("manager").post(
        reverse("customers:vehicle_create", args=[owner.pk]), _vehicle_form(vin)
    )

    assert response.status_code == 200
    (message,) = response.context["form"].errors["vin"]
    assert message.endswith("如确认无误,请在“VIN校验位例外原因”中说明后保存。")
    assert Vehicle.objects.filter(vin=vin).exists() is False


def test_a_manager_with_a_reason_saves_the_vin_and_the_vehicle_stays_flagged(
    client, user_with_role
):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()
    manager = user_with_role("manager")
    client.force_login(manager)

    response = client.post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        _vehicle_form(vin, vin_exception_reason="平行进口车,合格证即如此"),
    )

    assert response.status_code == 302
    vehicle = Vehicle.objects.get(vin=vin)
    assert (vehicle.vin_check_digit_valid, vehicle.vin_exception_reason) == (
        False,
        "平行进口车,合格证即如此",
    )
    assert vehicle.vin_exception_by == manager
    assert "VIN校验位不符,待核" in html(client.get(response["Location"]))
    flagged = client.get(reverse("customers:vehicle_list"), {"flagged": "true"})
    assert [row.pk for row in flagged.context["page"].rows] == [vehicle.pk]


def test_a_flagged_vehicle_edited_later_keeps_its_flag_and_reason(role_client):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()
    manager_client = role_client("manager")
    manager_client.post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        _vehicle_form(vin, vin_exception_reason="平行进口车"),
    )
    vehicle = Vehicle.objects.get(vin=vin)
    approver = vehicle.vin_exception_by

    advisor_client = role_client("advisor")
    response = advisor_client.post(
        reverse("customers:vehicle_update", args=[vehicle.pk]),
        _vehicle_form(vin, mileage="15000"),
    )

    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.mileage == 15000
    assert (vehicle.vin_check_digit_valid, vehicle.vin_exception_reason) == (False, "平行进口车")
    assert vehicle.vin_exception_by == approver


def test_an_advisor_cannot_change_a_flagged_vin_to_another_wrong_one(role_client):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()
    role_client("manager").post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        _vehicle_form(vin, vin_exception_reason="平行进口车"),
    )
    vehicle = Vehicle.objects.get(vin=vin)
    other = _bad_check_digit_vin(778)

    response = role_client("advisor").post(
        reverse("customers:vehicle_update", args=[vehicle.pk]), _vehicle_form(other)
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["vin"]
    vehicle.refresh_from_db()
    assert vehicle.vin == vin


def test_correcting_a_flagged_vin_clears_the_flag(role_client):
    owner = CustomerFactory()
    vin = _bad_check_digit_vin()
    client = role_client("manager")
    client.post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        _vehicle_form(vin, vin_exception_reason="待核"),
    )
    vehicle = Vehicle.objects.get(vin=vin)

    client.post(
        reverse("customers:vehicle_update", args=[vehicle.pk]), _vehicle_form(valid_vin(777))
    )

    vehicle.refresh_from_db()
    assert vehicle.vin == valid_vin(777)
    assert (vehicle.vin_check_digit_valid, vehicle.vin_exception_reason) == (True, "")
    assert vehicle.vin_exception_by is None
