"""The customer info card (客户售后信息卡): every vehicle owned now and before, every visit
with its lines, the summary of visits, PII by role, and a fixed number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from tests.customers.conftest import WANG_ID_NUMBER
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory
from tests.factories.workorders import visits_every_month
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def _card(client, customer):
    response = client.get(reverse("customers:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    return response


def test_the_card_lists_every_vehicle_owned_now_and_before_with_the_sold_one_marked(
    role_client, card
):
    response = _card(role_client("advisor"), card["wang"])

    ownerships = response.context["ownerships"]
    assert [(o.vehicle.plate, o.started_on, o.ended_on) for o in ownerships] == [
        ("粤B11111", dt.date(2023, 4, 1), None),
        ("粤B22222", dt.date(2022, 1, 15), dt.date(2025, 6, 30)),
    ]
    body = response.content.decode()
    assert "已过户 2025-06-30" in body
    assert body.count("当前车主") == 1


def test_the_card_lists_every_visit_of_the_customer_with_its_lines(role_client, card):
    response = _card(role_client("advisor"), card["wang"])

    visits = response.context["visits"]
    assert visits == card["visits"]
    assert [[line.description for line in visit.lines.all()] for visit in visits] == [
        ["更换机油", "更换机滤"],
        ["更换水泵"],
        ["更换机油", "更换机滤"],
    ]
    body = response.content.decode()
    for visit in card["visits"]:
        assert visit.number in body
    assert "更换水泵" in body
    assert "李强的保养" not in body


def test_the_card_sums_up_the_visits(role_client, card):
    response = _card(role_client("advisor"), card["wang"])

    assert response.context["summary"] == {
        "count": 3,
        "total": Decimal("2600.00"),
        "paid_count": 3,  # the warranty visit counts too (DOMAIN.md §8)
        "first_visit": local_datetime(dt.date(2024, 6, 1)),
        "last_visit": local_datetime(dt.date(2025, 12, 1)),
        "last_paid_visit": local_datetime(dt.date(2025, 12, 1)),
        "longest_gap_days": 325,  # 2025-01-10 → 2025-12-01
    }
    body = html(response)
    summary_html = body[body.index('id="visit-summary"') : body.index("维修档案")]
    for text in ("2024-06-01", "2025-12-01", "325 天", "¥2600"):
        assert text in summary_html


def test_a_customer_with_no_visit_has_an_empty_summary(role_client):
    customer = CustomerFactory(name="赵敏")

    response = _card(role_client("advisor"), customer)

    assert response.context["summary"]["count"] == 0
    assert response.context["summary"]["longest_gap_days"] is None
    assert "还没有维修记录。" in html(response)
    assert "名下没有车辆。" in html(response)


@pytest.mark.parametrize("role", ["advisor", "manager", "warranty", "callback", "complaint"])
def test_roles_with_the_pii_permission_see_the_numbers_masked_with_a_reveal_button(
    role_client, card, role
):
    # The whole numbers come one at a time through 显示, which logs each reveal
    # (tests/customers/test_pii_reveal.py).
    wang = card["wang"]
    response = _card(role_client(role), wang)

    body = html(response)
    masked_id = f"440305********071{WANG_ID_NUMBER[-1]}"
    assert re.search(r'id="customer-mobile"><span [^>]*>138\*\*\*\*5678\s*<button', body)
    assert re.search(rf'id="customer-id-number"><span [^>]*>{re.escape(masked_id)}\s*<button', body)
    assert reverse("customers:customer_reveal", args=[wang.pk, "mobile"]) in body
    assert reverse("customers:customer_reveal", args=[wang.pk, "id_number"]) in body
    assert "13812345678" not in body
    assert wang.id_number not in body


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_roles_without_the_pii_permission_see_the_mobile_and_id_number_masked(
    role_client, card, role
):
    response = _card(role_client(role), card["wang"])

    body = html(response)
    assert re.search(r'id="customer-mobile"><span [^>]*>138\*\*\*\*5678</span>', body)
    masked_id = f"440305********071{WANG_ID_NUMBER[-1]}"  # region and last 4 only
    assert re.search(rf'id="customer-id-number"><span [^>]*>{re.escape(masked_id)}</span>', body)
    assert "显示</button>" not in body
    assert "13812345678" not in body
    assert card["wang"].id_number not in body


def _customer_with_visits(count: int) -> Customer:
    customer = CustomerFactory()
    cars = [VehicleFactory(owner=customer), VehicleFactory(owner=customer)]
    SalesFileFactory(vehicle=cars[0])
    visits_every_month(cars, count=count, lines=("工时", "配件", "辅料"))
    return customer


def test_the_card_runs_the_same_ten_queries_for_3_visits_and_for_30(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    few, many = _customer_with_visits(3), _customer_with_visits(30)

    # The page's own 4: the customer; ownerships with their vehicles and sales files;
    # the visits with their vehicles and advisors; the lines of all the visits.
    with django_assert_num_queries(PAGE_QUERIES + 4):
        few_response = _card(client, few)
    with django_assert_num_queries(PAGE_QUERIES + 4):
        many_response = _card(client, many)

    assert len(few_response.context["visits"]) == 3
    assert len(many_response.context["visits"]) == 30
    assert html(many_response).count('class="visit-line"') == 90


def test_an_unknown_customer_is_a_404(role_client):
    response = role_client("advisor").get(reverse("customers:customer_detail", args=[999999]))

    assert response.status_code == 404
