"""The customer and vehicle lists: keyset pages, filters, masking, fixed queries."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.core.pagination import encode_cursor
from apps.customers.models import Customer, Vehicle
from apps.customers.selectors import CUSTOMER_LIST_ORDER
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def _ids(response) -> list[int]:
    return [row.pk for row in response.context["page"].rows]


def _cursor(row) -> str:
    return encode_cursor(row, order=CUSTOMER_LIST_ORDER)


def test_the_customer_list_pages_by_keyset_newest_record_first(role_client):
    client = role_client("advisor")
    # Records created out of id order (as an import of old records does), two of them at
    # the same moment: the list follows the creation time, then the id.
    days = [(serial * 7) % 30 for serial in range(30)]  # a permutation of 0..29
    customers = [
        CustomerFactory(created_at=local_datetime(dt.date(2026, 1, 1) + dt.timedelta(days=day)))
        for day in days
    ]
    twin = CustomerFactory(created_at=customers[0].created_at)
    newest_first = sorted([*customers, twin], key=lambda c: (c.created_at, c.pk), reverse=True)
    expected = [c.pk for c in newest_first]
    assert expected != sorted(expected, reverse=True)  # the id order would be wrong
    url = reverse("customers:customer_list")

    first = client.get(url)
    assert _ids(first) == expected[:25]
    page = first.context["page"]
    assert (page.previous, page.next) == (None, _cursor(newest_first[24]))

    second = client.get(url, {"after": page.next})
    assert _ids(second) == expected[25:]
    page = second.context["page"]
    assert (page.previous, page.next) == (_cursor(newest_first[25]), None)

    back = client.get(url, {"before": page.previous})
    assert _ids(back) == expected[:25]
    page = back.context["page"]
    assert (page.previous, page.next) == (None, _cursor(newest_first[24]))
    body = html(first)
    shown = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>\s*</tr>", body)  # 建档日期, last column
    assert shown == [c.created_at.date().isoformat() for c in newest_first[:25]]
    assert "每页 25 条,按建档时间由新到旧" in body


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "1234", "!!!", "eyJhIjoxfQ", "WyJ4IiwxXQ", "WzEsMl0", "W10", "bnVsbA"],
    ids=[
        "empty",
        "text",
        "an-old-id",
        "not-base64",
        "an-object",
        "not-a-date",
        "ints",
        "[]",
        "null",
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_garbled_cursor_shows_the_first_page(role_client, cursor, direction):
    client = role_client("advisor")
    customers = CustomerFactory.create_batch(3)

    response = client.get(reverse("customers:customer_list"), {direction: cursor})

    assert response.status_code == 200
    assert _ids(response) == [c.pk for c in reversed(customers)]
    assert response.context["page"].previous is None


def test_the_pager_links_carry_the_cursor_and_keep_the_filters(role_client):
    client = role_client("advisor")
    customers = [CustomerFactory(segment=Customer.Segment.VIP) for _ in range(26)]

    response = client.get(reverse("customers:customer_list"), {"segment": "vip"})

    assert f'href="?segment=vip&amp;after={_cursor(customers[1])}"' in html(response)


def test_the_customer_list_filters_by_creation_date_in_local_time(role_client):
    client = role_client("advisor")
    at = local_datetime
    before = CustomerFactory(name="二月末", created_at=at(dt.date(2026, 2, 28), hour=23))
    # 00:30 on 1 March in Shanghai is still 28 February in UTC: the local date counts.
    first_day = CustomerFactory(name="三月初", created_at=at(dt.date(2026, 3, 1), hour=0))
    last_day = CustomerFactory(name="三月末", created_at=at(dt.date(2026, 3, 31), hour=23))
    after = CustomerFactory(name="四月初", created_at=at(dt.date(2026, 4, 1), hour=0))

    response = client.get(
        reverse("customers:customer_list"),
        {"created_from": "2026-03-01", "created_to": "2026-03-31"},
    )

    assert _ids(response) == [last_day.pk, first_day.pk]
    assert before.pk not in _ids(response) and after.pk not in _ids(response)


def test_the_customer_list_filters_by_segment(role_client):
    client = role_client("advisor")
    vip = CustomerFactory(segment=Customer.Segment.VIP)
    CustomerFactory(segment=Customer.Segment.NORMAL)
    small = CustomerFactory(segment=Customer.Segment.SMALL)

    assert _ids(client.get(reverse("customers:customer_list"), {"segment": "vip"})) == [vip.pk]
    assert _ids(client.get(reverse("customers:customer_list"), {"segment": "small"})) == [small.pk]


def test_an_invalid_filter_lists_nothing_rather_than_everything(role_client):
    client = role_client("advisor")
    CustomerFactory()

    response = client.get(reverse("customers:customer_list"), {"segment": "platinum"})

    assert response.status_code == 200
    assert _ids(response) == []


def test_the_customer_list_masks_the_phones(role_client):
    CustomerFactory(mobile="13812345678")

    body = html(role_client("manager").get(reverse("customers:customer_list")))

    assert "138****5678" in body
    assert "13812345678" not in body


def test_the_customer_list_runs_the_same_eight_queries_for_3_rows_and_for_25(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    url = reverse("customers:customer_list")
    VehicleFactory.create_batch(3)  # each with its own owner
    # The page's own 2: one page of customers, and the vehicles of all of them.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        assert len(_ids(client.get(url))) == 3
    VehicleFactory.create_batch(50)

    with django_assert_num_queries(PAGE_QUERIES + 2):
        first = client.get(url)
    with django_assert_num_queries(PAGE_QUERIES + 2):
        second = client.get(url, {"after": first.context["page"].next})
    with django_assert_num_queries(PAGE_QUERIES + 2):
        filtered = client.get(url, {"segment": "small", "created_from": "2020-01-01"})

    assert len(_ids(first)) == len(_ids(second)) == len(_ids(filtered)) == 25


def test_the_vehicle_list_pages_by_keyset_and_filters_by_sale_date_brand_and_flag(
    role_client,
):
    client = role_client("parts")
    url = reverse("customers:vehicle_list")
    march = [VehicleFactory(sale_date=dt.date(2026, 3, day), brand="大众") for day in range(1, 28)]
    april = VehicleFactory(sale_date=dt.date(2026, 4, 1), brand="丰田")
    flagged = VehicleFactory(sale_date=dt.date(2026, 4, 2), brand="大众")
    Vehicle.objects.filter(pk=flagged.pk).update(vin_check_digit_valid=False)

    in_march = client.get(url, {"sale_from": "2026-03-01", "sale_to": "2026-03-31"})
    assert _ids(in_march) == [v.pk for v in reversed(march)][:25]
    older = client.get(
        url,
        {
            "sale_from": "2026-03-01",
            "sale_to": "2026-03-31",
            "after": in_march.context["page"].next,
        },
    )
    assert _ids(older) == [march[1].pk, march[0].pk]
    assert older.context["page"].next is None
    assert "每页 25 条,按登记时间由新到旧" in html(older)
    assert _ids(client.get(url, {"brand": "丰田"})) == [april.pk]
    assert _ids(client.get(url, {"flagged": "true"})) == [flagged.pk]


def test_the_vehicle_list_runs_the_same_queries_for_3_rows_and_for_25(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    url = reverse("customers:vehicle_list")
    VehicleFactory.create_batch(3)
    with django_assert_num_queries(PAGE_QUERIES + 1):  # the page of vehicles with owners
        assert len(_ids(client.get(url))) == 3
    VehicleFactory.create_batch(30)

    with django_assert_num_queries(PAGE_QUERIES + 1):
        assert len(_ids(client.get(url))) == 25
