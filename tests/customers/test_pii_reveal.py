"""Personal data on detail pages (PIPL): phone and ID numbers masked until 显示, every reveal
logged, the log listed to managers; birthday and address hidden where the ID number is.

The masking rules themselves are tested in tests/core/test_pii.py.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from apps.core.pii import PiiField
from apps.customers import services
from apps.customers.models import PiiReveal
from tests.factories.core import rules_in_cache
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_id_number
from tests.pages import PAGE_QUERIES

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_NUMBER = valid_id_number(35)  # 440305 19850615 071 + check digit
MASKED_ID = f"440305********071{ID_NUMBER[-1]}"


@pytest.fixture
def wang():
    rules_in_cache()
    customer = CustomerFactory(
        name="王芳",
        mobile="13812345678",
        phone_other="075526001234",
        id_number=ID_NUMBER,
        birthday=dt.date(1985, 6, 15),
        sex="F",
        address="广东省深圳市南山区科苑路15号",
    )
    VehicleFactory(owner=customer, plate="粤B12345")
    return customer


def _card(client, customer) -> str:
    response = client.get(reverse("customers:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _reveal(client, customer, field, *, from_page="/archive/customers/1/"):
    return client.post(
        reverse("customers:customer_reveal", args=[customer.pk, field]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{from_page}"},
    )


def _dd(body: str, element_id: str) -> str:
    """The text of <dd id=element_id>, tags removed and spaces collapsed."""
    match = re.search(rf'<dd class="col-8" id="{element_id}">(.*?)</dd>', body, re.S)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- the card: masked for everyone until revealed ------------------------------------------


def test_the_advisor_sees_every_number_masked_with_a_button_to_reveal_each(role_client, wang):
    body = _card(role_client("advisor"), wang)

    assert _dd(body, "customer-mobile") == "138****5678 显示"
    assert _dd(body, "customer-phone-other") == "07********34 显示"
    assert _dd(body, "customer-id-number") == f"{MASKED_ID} 显示"
    for field in PiiField.values:
        assert reverse("customers:customer_reveal", args=[wang.pk, field]) in body
    assert "13812345678" not in body
    assert "075526001234" not in body
    assert ID_NUMBER not in body
    assert PiiReveal.objects.count() == 0  # opening the card reveals nothing


def test_the_birthday_next_to_a_masked_id_number_is_hidden_even_from_the_advisor(role_client, wang):
    # Region + birthday + last 4 would be the whole ID number.
    body = _card(role_client("advisor"), wang)

    assert _dd(body, "customer-mobile")  # the card rendered
    assert "1985-06-15" not in body
    assert ' / <span id="customer-birthday">****-**-**</span>' in body


def test_a_birthday_without_an_id_number_shows_to_the_advisor_not_to_the_supervisor(role_client):
    rules_in_cache()
    customer = CustomerFactory(name="李雷", birthday=dt.date(1990, 3, 8))

    assert '<span id="customer-birthday">1990-03-08</span>' in _card(
        role_client("advisor"), customer
    )
    supervisor_card = _card(role_client("supervisor"), customer)
    assert '<span id="customer-birthday">****-**-**</span>' in supervisor_card
    assert "1990-03-08" not in supervisor_card


def test_the_supervisor_sees_masked_numbers_no_button_no_birthday_and_the_district_only(
    role_client, wang
):
    body = _card(role_client("supervisor"), wang)

    assert _dd(body, "customer-mobile") == "138****5678"
    assert _dd(body, "customer-id-number") == MASKED_ID
    assert "显示</button>" not in body
    assert "/reveal/" not in body
    assert "1985-06-15" not in body
    assert _dd(body, "customer-address") == "广东省深圳市南山区****"
    assert "科苑路" not in body


def test_the_advisor_sees_the_whole_address(role_client, wang):
    body = _card(role_client("advisor"), wang)

    assert _dd(body, "customer-address") == "广东省深圳市南山区科苑路15号"


# --- revealing ---------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 20, 10, 15, tzinfo=SHANGHAI), tick=False)
def test_revealing_the_mobile_answers_a_tel_link_and_logs_who_when_whose_what_and_where(
    role_client, user_with_role, wang
):
    client = role_client("advisor")
    card_path = reverse("customers:customer_detail", args=[wang.pk])

    response = _reveal(client, wang, "mobile", from_page=card_path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="pii-mobile-{wang.pk}"' in html  # replaces the masked span in place
    assert '<a href="tel:13812345678">13812345678</a>' in html
    assert "显示</button>" not in html
    reveal = PiiReveal.objects.get()
    assert (reveal.customer, reveal.field, reveal.page) == (wang, "mobile", card_path)
    assert reveal.revealed_by.groups.get().name == "advisor"
    assert reveal.created_at == dt.datetime(2026, 11, 20, 10, 15, tzinfo=SHANGHAI)


def test_revealing_the_id_number_also_shows_the_birthday_beside_it(role_client, wang):
    response = _reveal(role_client("advisor"), wang, "id_number")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span class="pii-value" id="pii-id_number-{wang.pk}">{ID_NUMBER}</span>' in html
    assert "tel:" not in html
    assert '<span id="customer-birthday" hx-swap-oob="true">1985-06-15</span>' in html
    assert PiiReveal.objects.get().field == PiiField.ID_NUMBER


def test_each_reveal_is_a_row_of_its_own(role_client, wang):
    client = role_client("callback")

    _reveal(client, wang, "mobile")
    _reveal(client, wang, "mobile")
    _reveal(client, wang, "phone_other")

    assert list(PiiReveal.objects.order_by("id").values_list("field", flat=True)) == [
        "mobile",
        "mobile",
        "phone_other",
    ]


def test_revealing_from_the_vehicle_page_records_that_page(role_client, wang):
    vehicle = wang.vehicles.get()
    client = role_client("advisor")
    vehicle_path = reverse("customers:vehicle_detail", args=[vehicle.pk])
    body = client.get(vehicle_path).content.decode()
    assert "138****5678" in body
    assert "13812345678" not in body

    response = _reveal(client, wang, "mobile", from_page=vehicle_path)

    assert '<a href="tel:13812345678">13812345678</a>' in response.content.decode()
    assert PiiReveal.objects.get().page == vehicle_path


def test_a_reveal_without_htmx_is_logged_with_no_page(role_client, wang):
    response = role_client("advisor").post(
        reverse("customers:customer_reveal", args=[wang.pk, "mobile"])
    )

    assert response.status_code == 200
    assert PiiReveal.objects.get().page == ""


def test_a_page_on_another_site_is_not_recorded_as_the_page(role_client, wang):
    client = role_client("advisor")

    client.post(
        reverse("customers:customer_reveal", args=[wang.pk, "mobile"]),
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )

    assert PiiReveal.objects.get().page == ""


@pytest.mark.parametrize("role", ["supervisor", "admin", "parts"])
def test_a_role_without_the_pii_permission_is_refused_and_nothing_is_logged(
    role_client, wang, role
):
    response = _reveal(role_client(role), wang, "mobile")

    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert PiiReveal.objects.count() == 0


def test_a_reveal_must_be_a_post(role_client, wang):
    response = role_client("advisor").get(
        reverse("customers:customer_reveal", args=[wang.pk, "mobile"])
    )

    assert response.status_code == 405
    assert PiiReveal.objects.count() == 0


@pytest.mark.parametrize("field", ["address", "name", "password"])
def test_only_phone_and_id_numbers_can_be_revealed(role_client, wang, field):
    response = _reveal(role_client("advisor"), wang, field)

    assert response.status_code == 404
    assert PiiReveal.objects.count() == 0


def test_revealing_a_number_the_customer_does_not_have_is_a_404_and_not_logged(role_client):
    rules_in_cache()
    customer = CustomerFactory(phone_other="", id_number="")

    response = _reveal(role_client("advisor"), customer, "id_number")

    assert response.status_code == 404
    assert PiiReveal.objects.count() == 0


# --- the reveal log ------------------------------------------------------------------------


def _log_rows(response) -> list[tuple[str, str, str]]:
    rows = response.context["page"].rows
    return [(row.revealed_by.display_name, row.customer.name, row.field) for row in rows]


@pytest.fixture
def log(user_with_role, wang):
    """Three reveals by two clerks on two days."""
    li = CustomerFactory(name="李雷", mobile="13900001111")
    zhou = user_with_role("advisor", display_name="周顾问")
    chen = user_with_role("callback", display_name="陈专员")
    for when, user, customer, field in [
        (dt.datetime(2026, 11, 18, 9, 0), zhou, wang, "mobile"),
        (dt.datetime(2026, 11, 18, 23, 59), chen, li, "mobile"),
        (dt.datetime(2026, 11, 19, 0, 1), zhou, wang, "id_number"),
    ]:
        with time_machine.travel(when.replace(tzinfo=SHANGHAI), tick=False):
            PiiReveal.objects.create(customer=customer, field=field, revealed_by=user, page="/")
    return {"zhou": zhou, "chen": chen}


def test_the_manager_lists_the_log_newest_first(role_client, log):
    response = role_client("manager").get(reverse("customers:pii_reveal_list"))

    assert response.status_code == 200
    assert _log_rows(response) == [
        ("周顾问", "王芳", "id_number"),
        ("陈专员", "李雷", "mobile"),
        ("周顾问", "王芳", "mobile"),
    ]
    body = response.content.decode()
    assert "2026-11-19 00:01:00" in body
    assert "13812345678" not in body
    assert ID_NUMBER not in body


def test_the_log_filters_by_user(role_client, log):
    response = role_client("manager").get(
        reverse("customers:pii_reveal_list"), {"revealed_by": log["zhou"].pk}
    )

    assert _log_rows(response) == [("周顾问", "王芳", "id_number"), ("周顾问", "王芳", "mobile")]


def test_the_log_filters_by_local_date(role_client, log):
    # 23:59 on the 18th (Beijing time) is on the 18th, 00:01 on the 19th is not.
    response = role_client("manager").get(
        reverse("customers:pii_reveal_list"),
        {"created_from": "2026-11-18", "created_to": "2026-11-18"},
    )

    assert _log_rows(response) == [("陈专员", "李雷", "mobile"), ("周顾问", "王芳", "mobile")]


def test_the_log_filters_by_field(role_client, log):
    response = role_client("manager").get(
        reverse("customers:pii_reveal_list"), {"field": "id_number"}
    )

    assert _log_rows(response) == [("周顾问", "王芳", "id_number")]


def test_the_log_pages_by_keyset_and_its_queries_do_not_grow(
    role_client, wang, user_with_role, django_assert_num_queries
):
    clerk = user_with_role("callback", display_name="陈专员")
    PiiReveal.objects.bulk_create(
        PiiReveal(customer=wang, field="mobile", revealed_by=clerk, page=f"/{n}") for n in range(30)
    )
    client = role_client("manager")
    client.get(reverse("customers:pii_reveal_list"))  # warm the session and permission caches

    # Every page's (session, user, permissions, the navigation's groups), the 25 rows with
    # customers and users (one join), users for the filter's choices.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        first = client.get(reverse("customers:pii_reveal_list"))

    assert [r.page for r in first.context["page"].rows] == [f"/{n}" for n in range(29, 4, -1)]
    second = client.get(reverse("customers:pii_reveal_list"), {"after": first.context["page"].next})
    assert [r.page for r in second.context["page"].rows] == ["/4", "/3", "/2", "/1", "/0"]
    assert second.context["page"].next is None


def test_a_merge_keeps_the_reveals_of_the_merged_customer_on_the_kept_one(user_with_role):
    # The log outlives the duplicate archive: its reveals move like its visits do.
    keep = CustomerFactory(name="张伟", mobile="13812345678")
    duplicate = CustomerFactory(name="张伟", mobile="13900002222")
    clerk, manager = user_with_role("callback"), user_with_role("manager")
    services.customer_reveal_pii(customer=duplicate, field="mobile", by=clerk, page="/x/")

    merge = services.customers_merge(keep=keep, duplicate=duplicate, by=manager, reason="重复建档")

    reveal = PiiReveal.objects.get()
    assert (reveal.customer, reveal.revealed_by, reveal.page) == (keep, clerk, "/x/")
    assert merge.moved["customers.piireveal"] == 1
