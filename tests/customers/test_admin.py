"""The Django admin is bound by the app's rules: services write, service-only fields are
read-only, and personal data is masked for administrators without customers.view_pii."""

import pytest
from django.urls import reverse

from apps.customers.models import Customer, ImportBatch, Vehicle, VehicleOwnership
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client, user_with_role):
    """The 系统管理员 role, staff for the admin site: no customers.view_pii."""
    user = user_with_role("admin", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def superuser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_administrator_sees_masked_phones_and_no_id_number(administrator):
    customer = CustomerFactory(
        name="王建国", mobile="13812345678", phone_other="075526001234",
        id_number="440305198506150011",
    )  # fmt: skip

    listing = administrator.get(reverse("admin:customers_customer_changelist")).content.decode()
    page = administrator.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    assert "138****5678" in listing
    assert "13812345678" not in listing
    assert "138****5678" in page
    assert "440305********0011" in page
    for whole in ("13812345678", "075526001234", "440305198506150011"):
        assert whole not in page
    assert 'name="mobile"' not in page


def test_an_administrator_cannot_change_a_segment_or_the_hidden_personal_data(administrator):
    customer = CustomerFactory(name="王建国", mobile="13812345678")
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = administrator.post(
        url,
        {
            "kind": "person",
            "name": "王建国",
            "source": "service_only",
            "segment": "vip",
            "mobile": "13900000000",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.segment, customer.mobile) == (Customer.Segment.SMALL, "13812345678")


def test_a_customer_added_in_the_admin_goes_through_the_service(superuser):
    response = superuser.post(
        reverse("admin:customers_customer_add"),
        {
            "kind": "person",
            "name": " 李娜 ",
            "mobile": "+86 139 0000 0001",
            "source": "service_only",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get()
    assert (customer.name, customer.mobile, customer.segment) == (
        "李娜",
        "13900000001",
        Customer.Segment.SMALL,
    )


def test_a_vehicle_owner_cannot_be_changed_in_the_admin(superuser):
    vehicle = VehicleFactory(plate="粤B12345")
    other = CustomerFactory()
    url = reverse("admin:customers_vehicle_change", args=[vehicle.pk])
    page = superuser.get(url).content.decode()
    assert 'name="owner"' not in page

    response = superuser.post(
        url,
        {
            "vin": vehicle.vin,
            "plate": "粤b 12345",
            "brand": "大众",
            "model_name": "途观",
            "mileage": 100,
            "owner": other.pk,
            "vin_check_digit_valid": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    vehicle.refresh_from_db()
    assert (vehicle.owner_id, vehicle.model_name, vehicle.vin_check_digit_valid) == (
        vehicle.owner_id,
        "途观",
        True,
    )
    assert vehicle.owner != other
    assert VehicleOwnership.objects.get().customer == vehicle.owner


def test_a_vehicle_added_in_the_admin_gets_its_ownership_row(superuser):
    owner = CustomerFactory()

    response = superuser.post(
        reverse("admin:customers_vehicle_add"),
        {
            "vin": valid_vin(9),
            "brand": "大众",
            "model_name": "速腾",
            "mileage": 0,
            "owner": owner.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    vehicle = Vehicle.objects.get()
    assert VehicleOwnership.objects.get(vehicle=vehicle).customer == owner


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:customers_vehicleownership_add",
        "admin:customers_importbatch_add",
        "admin:customers_customermerge_add",
    ],
)
def test_rows_only_services_write_cannot_be_added_in_the_admin(superuser, url_name):
    assert superuser.get(reverse(url_name)).status_code == 403


def test_an_import_batch_cannot_be_edited_in_the_admin(superuser):
    batch = ImportBatch.objects.create(
        file="imports/a.xlsx", original_name="a.xlsx", created_by=UserFactory()
    )
    url = reverse("admin:customers_importbatch_change", args=[batch.pk])

    superuser.post(url, {"original_name": "b.xlsx", "status": "succeeded"})

    batch.refresh_from_db()
    assert (batch.original_name, batch.status) == ("a.xlsx", ImportBatch.Status.PENDING)
