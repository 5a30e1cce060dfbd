"""The vehicle page: owner history, visits, sales file, masking, fixed queries."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.customers import services
from apps.customers.models import Vehicle
from tests.factories.customers import ALL_DOCUMENTS, SalesFileFactory, VehicleFactory
from tests.factories.workorders import visits_every_month
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def test_the_vehicle_page_shows_its_owner_history_visits_and_sales_file(role_client, card):
    sold = card["sold"]
    sales_file = SalesFileFactory(vehicle=sold, delivered_on=dt.date(2022, 1, 15))
    services.sales_file_receive_documents(
        sales_file=sales_file, kinds=ALL_DOCUMENTS[:4], on=dt.date(2022, 1, 16), by=None
    )

    response = role_client("advisor").get(reverse("customers:vehicle_detail", args=[sold.pk]))

    assert response.status_code == 200
    vehicle = response.context["vehicle"]
    assert [(o.customer.name, o.ended_on) for o in vehicle.ownerships.all()] == [
        ("李强", None),
        ("王芳", dt.date(2025, 6, 30)),
    ]
    assert [v.opened_at.date() for v in response.context["visits"]] == [
        dt.date(2026, 2, 1),
        dt.date(2025, 1, 10),
    ]
    body = html(response)
    assert "李强:2025-06-30 至 今" in body
    assert "王芳:2022-01-15 至 2025-06-30" in body
    assert "资料 4/9" in body
    # Masked for everyone; the advisor may reveal it (tests/customers/test_pii_reveal.py).
    assert "139****1111" in body
    assert "13900001111" not in body
    assert reverse("customers:customer_reveal", args=[sold.owner_id, "mobile"]) in body


def test_the_vehicle_page_masks_the_owner_mobile_for_the_parts_clerk(role_client, card):
    response = role_client("parts").get(reverse("customers:vehicle_detail", args=[card["kept"].pk]))

    body = html(response)
    assert "138****5678" in body
    assert "13812345678" not in body
    # The parts clerk may not open customers: the owner's name is not a link.
    assert reverse("customers:customer_detail", args=[card["wang"].pk]) not in body


def _vehicle_with_visits(count: int) -> Vehicle:
    vehicle = VehicleFactory()
    sales_file = SalesFileFactory(vehicle=vehicle)
    services.sales_file_receive_documents(
        sales_file=sales_file, kinds=ALL_DOCUMENTS[:2], on=dt.date(2026, 11, 17), by=None
    )
    visits_every_month([vehicle], count=count, lines=("工时", "配件"))
    return vehicle


def test_the_vehicle_page_runs_the_same_fifteen_queries_for_3_visits_and_for_30(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    few, many = _vehicle_with_visits(3), _vehicle_with_visits(30)

    # The page's own 7: the vehicle with its owner, sales file and VIN-exception approver;
    # its ownerships with their customers; the visits with customers and advisors; the
    # lines of all the visits; the documents of the sales file; its licence photos with
    # who took them; the vehicle's history
    # with its users (the plate record); the 三包 block's 2 (apps.warranty): the vehicle's
    # claims and its warranty work orders.
    for vehicle, count in ((few, 3), (many, 30)):
        with django_assert_num_queries(PAGE_QUERIES + 9):
            response = client.get(reverse("customers:vehicle_detail", args=[vehicle.pk]))
        assert len(response.context["visits"]) == count
