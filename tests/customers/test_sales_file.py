"""A sales file updates what it implies (DOMAIN.md §2, §4): the vehicle's sale date and
warranty (包修期, from the invoice date, the settings' years and kilometres) and the
owner's source 本店购车. A delivery date in the future is refused."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.selectors import settings_row_for_edit
from apps.core.services import area_settings_save
from apps.customers import services
from apps.customers.models import Customer, SalesFile
from apps.warranty.models import WarrantySettings
from tests.factories.customers import CustomerFactory, VehicleFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_a_new_sales_file_sets_sale_date_warranty_and_source():
    owner = CustomerFactory()
    assert owner.source == Customer.Source.SERVICE_ONLY
    vehicle = VehicleFactory(owner=owner, sale_date=None)
    sales_file = SalesFile(
        vehicle=vehicle,
        delivered_on=dt.date(2026, 11, 18),
        invoiced_on=dt.date(2026, 11, 16),
        salesperson="李思琪",
    )

    services.sales_file_save(sales_file=sales_file)

    vehicle.refresh_from_db()
    owner.refresh_from_db()
    assert vehicle.sale_date == dt.date(2026, 11, 18)
    # The national rules count the warranty from the invoice date: 3 years / 60,000 km.
    assert (vehicle.warranty_start, vehicle.warranty_end, vehicle.warranty_km_limit) == (
        dt.date(2026, 11, 16),
        dt.date(2029, 11, 16),
        60000,
    )
    assert owner.source == Customer.Source.BOUGHT_HERE
    assert owner.history.order_by("-history_id").first().source == Customer.Source.BOUGHT_HERE


@time_machine.travel(NOW, tick=False)
def test_the_warranty_follows_the_settings_and_starts_on_delivery_without_an_invoice():
    settings_row = settings_row_for_edit(WarrantySettings)
    settings_row.warranty_repair_years = 5
    settings_row.warranty_repair_km = 100000
    area_settings_save(rows=[settings_row], by=None)
    vehicle = VehicleFactory(sale_date=None)

    services.sales_file_save(
        sales_file=SalesFile(
            vehicle=vehicle, delivered_on=dt.date(2024, 2, 29), salesperson="李思琪"
        )
    )

    vehicle.refresh_from_db()
    assert (vehicle.warranty_start, vehicle.warranty_end, vehicle.warranty_km_limit) == (
        dt.date(2024, 2, 29),
        dt.date(2029, 2, 28),  # 29 February has no anniversary in 2029
        100000,
    )


@time_machine.travel(NOW, tick=False)
def test_a_delivery_date_in_the_future_is_refused_by_the_service_and_nothing_changes():
    vehicle = VehicleFactory(sale_date=dt.date(2024, 5, 18))

    with pytest.raises(ValidationError) as refused:
        services.sales_file_save(
            sales_file=SalesFile(
                vehicle=vehicle, delivered_on=dt.date(2026, 11, 21), salesperson="李思琪"
            )
        )

    assert refused.value.message_dict == {
        "delivered_on": ["交车日期不能晚于今天:销售档案在交车后建立。"]
    }
    assert not SalesFile.objects.exists()
    vehicle.refresh_from_db()
    assert vehicle.sale_date == dt.date(2024, 5, 18)
    assert vehicle.owner.source == Customer.Source.SERVICE_ONLY


@time_machine.travel(NOW, tick=False)
def test_the_sales_file_form_refuses_a_future_delivery_date(role_client):
    vehicle = VehicleFactory()
    client = role_client("manager")

    response = client.post(
        reverse("customers:salesfile_create", args=[vehicle.pk]),
        {"delivered_on": "2026-11-21", "salesperson": "李思琪"},
    )

    assert response.status_code == 200
    assert "交车日期不能晚于今天:销售档案在交车后建立。" in response.content.decode()
    assert not SalesFile.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_sales_file_page_creates_it_and_the_vehicle_page_shows_the_warranty(role_client):
    vehicle = VehicleFactory(sale_date=None)
    client = role_client("manager")

    response = client.post(
        reverse("customers:salesfile_create", args=[vehicle.pk]),
        {"delivered_on": "2026-11-18", "invoiced_on": "2026-11-18", "salesperson": "李思琪"},
    )

    assert response.status_code == 302
    page = client.get(reverse("customers:vehicle_detail", args=[vehicle.pk])).content.decode()
    assert "2026-11-18 至 2029-11-18,60000 公里内" in page
