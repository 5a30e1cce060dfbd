"""Data entered once is stored once: one archive per (mobile, name), one vehicle per VIN,
one current vehicle per plate. The database refuses the second write; the user reads our
own sentence naming the other record, with a link to it."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from apps.customers import services
from apps.customers.models import Customer, Vehicle, VehicleOwnership
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = {
    "kind": "person",
    "name": "王建国",
    "mobile": "13912345678",
    "source": "service_only",
}


def _vehicle_post(vin: str, plate: str = "") -> dict:
    return {"vin": vin, "plate": plate, "brand": "大众", "model_name": "速腾", "mileage": 0}


# --- customers ---------------------------------------------------------------------------


def test_the_same_customer_entered_twice_is_refused_with_a_link_to_the_first(role_client):
    client = role_client("advisor")
    client.post(reverse("customers:customer_create"), NEW_CUSTOMER)
    existing = Customer.objects.get()

    # The second time typed differently: spaces, +86, a non-breaking space in the name
    response = client.post(
        reverse("customers:customer_create"),
        NEW_CUSTOMER | {"name": "王建国\u00a0", "mobile": "+86 139 1234 5678"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    link = reverse("customers:customer_detail", args=[existing.pk])
    assert f'已有同名、同手机号的客户档案:<a href="{link}">王建国</a>' in body
    assert "已存在" not in body  # Django's "具有 … 的 客户 已存在。"
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


def test_editing_a_customer_into_another_ones_mobile_and_name_is_refused(role_client):
    first = CustomerFactory(name="王建国", mobile="13912345678")
    second = CustomerFactory(name="王建国", mobile="13900000000")
    client = role_client("advisor")

    response = client.post(
        reverse("customers:customer_update", args=[second.pk]),
        NEW_CUSTOMER | {"mobile": "139-1234-5678"},
    )

    assert response.status_code == 200
    assert reverse("customers:customer_detail", args=[first.pk]) in response.content.decode()
    second.refresh_from_db()
    assert second.mobile == "13900000000"


def test_the_id_number_of_another_customer_is_refused_naming_that_customer():
    CustomerFactory(name="李娜", id_number="440305198506150011")

    with pytest.raises(ValidationError) as refused:
        services.customer_create(
            customer=Customer(name="李四", mobile="13700000000", id_number="440305198506150011")
        )

    assert "该身份证号已登记在客户" in refused.value.message_dict["id_number"][0]
    assert "李娜" in refused.value.message_dict["id_number"][0]
    assert Customer.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_saving_the_same_new_customer_at_once_store_one():
    # Given two threads that each build the same customer and save it at the same moment
    barrier = threading.Barrier(2)
    outcomes = []

    def save():
        try:
            barrier.wait(timeout=5)
            services.customer_create(customer=Customer(name="张伟", mobile="13812345678"))
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(error.message_dict["__all__"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then the database let exactly one in and the other clerk reads our message
    assert Customer.objects.filter(mobile="13812345678").count() == 1
    saved, refused = sorted(outcomes)  # ASCII sorts before Chinese
    assert saved == "saved"
    assert refused.startswith("已有同名、同手机号的客户档案:<a href=")


# --- VINs --------------------------------------------------------------------------------


def test_a_vin_already_registered_names_its_owner_and_offers_the_transfer(role_client):
    owner = CustomerFactory(name="王建国")
    car = VehicleFactory(owner=owner, plate="粤B12345", vin=valid_vin(42))
    buyer = CustomerFactory(name="李娜")
    client = role_client("advisor")

    # Pasted with spaces around and inside, as it comes from a document
    response = client.post(
        reverse("customers:vehicle_create", args=[buyer.pk]),
        _vehicle_post(f"  {valid_vin(42)[:8]} {valid_vin(42)[8:]} "),
    )

    assert response.status_code == 200
    body = response.content.decode()
    vehicle_link = reverse("customers:vehicle_detail", args=[car.pk])
    owner_link = reverse("customers:customer_detail", args=[owner.pk])
    transfer = reverse("customers:vehicle_change_owner", args=[car.pk])
    owner_html = f'<a href="{owner_link}">王建国</a>'
    assert f'该 VIN 已登记:<a href="{vehicle_link}">粤B12345</a>,车主 {owner_html}' in body
    assert f'如果这辆车已转给 李娜,请<a href="{transfer}?to={buyer.pk}">办理过户</a>' in body
    assert "已存在" not in body
    assert Vehicle.objects.count() == 1
    assert VehicleOwnership.objects.count() == 1


def test_the_transfer_link_fills_in_the_new_owner(role_client):
    car = VehicleFactory()
    buyer = CustomerFactory(name="李娜", mobile="13700001111")
    client = role_client("advisor")

    response = client.get(
        reverse("customers:vehicle_change_owner", args=[car.pk]), {"to": buyer.pk}
    )

    form = response.context["form"]
    assert (form.initial["new_owner_mobile"], form.initial["new_owner_name"]) == (
        "13700001111",
        "李娜",
    )


def test_the_owner_change_form_reads_a_mobile_typed_with_spaces_and_country_code(role_client):
    car = VehicleFactory()
    buyer = CustomerFactory(name="李娜", mobile="13700001111")
    client = role_client("advisor")

    response = client.post(
        reverse("customers:vehicle_change_owner", args=[car.pk]),
        {
            "new_owner_mobile": "＋８６ 137 0000 1111",
            "new_owner_name": " 李娜 ",
            "on": "2026-11-16",
        },
    )

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.owner == buyer


# --- plates ------------------------------------------------------------------------------


def test_a_plate_on_another_vehicle_is_refused_naming_that_vehicle_and_owner(role_client):
    holder = VehicleFactory(plate="粤B12345", owner=CustomerFactory(name="王建国"))
    owner = CustomerFactory()
    client = role_client("advisor")

    response = client.post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        _vehicle_post(valid_vin(77), plate="粤b 12345"),
    )

    body = response.content.decode()
    link = reverse("customers:vehicle_detail", args=[holder.pk])
    assert f'车牌 粤B12345 已登记在车辆 <a href="{link}">{holder.vin}</a>' in body
    assert "王建国" in body
    assert "释放车牌" in body
    assert list(Vehicle.objects.values_list("pk", flat=True)) == [holder.pk]


def test_a_freed_plate_can_go_to_another_vehicle_and_the_release_is_recorded(
    role_client, user_with_role
):
    advisor = user_with_role("advisor")
    holder = VehicleFactory(plate="粤B12345")
    other = VehicleFactory(plate="")

    services.vehicle_free_plate(vehicle=holder, by=advisor, reason="车牌录错在本车")
    other.plate = "粤B12345"
    services.vehicle_save(vehicle=other, by=advisor)

    holder.refresh_from_db()
    other.refresh_from_db()
    assert (holder.plate, other.plate) == ("", "粤B12345")
    latest = holder.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        advisor,
        "释放车牌 粤B12345:车牌录错在本车",
    )
    page = role_client("parts").get(reverse("customers:vehicle_detail", args=[holder.pk]))
    record = page.context["plate_changes"][0]
    assert (record["old"], record["new"], record["by"]) == ("粤B12345", "", advisor)
    assert "车牌录错在本车" in page.content.decode()


def test_the_free_plate_button_frees_it_with_a_reason_and_refuses_without(role_client):
    holder = VehicleFactory(plate="粤B12345")
    client = role_client("advisor")
    url = reverse("customers:vehicle_free_plate", args=[holder.pk])
    detail = client.get(reverse("customers:vehicle_detail", args=[holder.pk]))
    assert url in detail.content.decode()

    refused = client.post(url, {"reason": "   "})

    assert "请填写释放原因。" in refused.content.decode()
    holder.refresh_from_db()
    assert holder.plate == "粤B12345"

    freed = client.post(url, {"reason": "车辆已转籍外地"})

    assert freed.status_code == 302
    holder.refresh_from_db()
    assert holder.plate == ""


def test_freeing_the_plate_of_a_vehicle_without_one_is_refused(user_with_role):
    vehicle = VehicleFactory(plate="")

    with pytest.raises(ValidationError) as refused:
        services.vehicle_free_plate(vehicle=vehicle, by=user_with_role("advisor"), reason="x")

    assert refused.value.message_dict == {"reason": ["本车没有登记车牌。"]}
    assert vehicle.history.count() == 1  # only its creation
