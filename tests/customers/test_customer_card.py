"""The archive's pages: the customer info card (客户售后信息卡), vehicle detail, the keyset
lists, sales files, the owner change and the VIN check-digit exception.

Query counts: every page of a logged-in user runs the same 5 queries besides its own work:
the session, the user, the user's own and group permissions (the permission check), and,
while rendering, the user's groups (role labels of the navigation); the dealership settings
(the page header) come from the cache. Each test names the page's own queries on top.
"""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.customers import services
from apps.customers.models import Customer, SalesDocument, SalesFile, Vehicle, VehicleOwnership
from apps.customers.validators import vin_check_digit
from tests.factories.core import rules_in_cache
from tests.factories.customers import (
    CustomerFactory,
    SalesFileFactory,
    VehicleFactory,
    valid_id_number,
    valid_vin,
)
from tests.factories.workorders import WorkOrderFactory, WorkOrderLineFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_QUERIES = 5  # session, user, 2 × permissions, groups (navigation); settings are cached
ALL_DOCUMENTS = [kind for kind, _label in SalesFile.Document.choices]
WANG_ID_NUMBER = valid_id_number(35)  # 440305 19850615 071 + check digit


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _visit(vehicle, *, on: dt.date, total: str, paid: str, lines=("更换机油", "更换机滤")):
    work_order = WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        opened_at=_at(on),
        total_amount=Decimal(total),
        customer_paid_amount=Decimal(paid),
    )
    for description in lines:
        WorkOrderLineFactory(work_order=work_order, description=description)
    return work_order


@pytest.fixture(autouse=True)
def _settings_row():
    rules_in_cache()


# --- the customer info card -------------------------------------------------------------


@pytest.fixture
def card():
    """王芳 owns 粤B11111, and owned 粤B22222 until she sold it to 李强 on 2025-06-30.

    Her three visits: two on the car she keeps, one on the car she sold (before the sale).
    李强's visit on 粤B22222 after the sale belongs to his card, not hers.
    """
    wang = CustomerFactory(name="王芳", mobile="13812345678", id_number=WANG_ID_NUMBER)
    li = CustomerFactory(name="李强", mobile="13900001111")
    kept = VehicleFactory(owner=wang, plate="粤B11111", sale_date=dt.date(2023, 4, 1))
    sold = VehicleFactory(owner=wang, plate="粤B22222", sale_date=dt.date(2022, 1, 15))
    first = _visit(kept, on=dt.date(2024, 6, 1), total="600.00", paid="600.00")
    warranty = _visit(
        sold, on=dt.date(2025, 1, 10), total="1200.00", paid="0.00", lines=("更换水泵",)
    )
    services.vehicle_change_owner(vehicle=sold, new_owner=li, on=dt.date(2025, 6, 30))
    sold.refresh_from_db()
    last = _visit(kept, on=dt.date(2025, 12, 1), total="800.00", paid="800.00")
    _visit(sold, on=dt.date(2026, 2, 1), total="300.00", paid="300.00", lines=("李强的保养",))
    return {"wang": wang, "li": li, "kept": kept, "sold": sold, "visits": [last, warranty, first]}


def _html(response) -> str:
    return response.content.decode()


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
        "paid_count": 2,
        "first_visit": _at(dt.date(2024, 6, 1)),
        "last_visit": _at(dt.date(2025, 12, 1)),
        "last_paid_visit": _at(dt.date(2025, 12, 1)),
        "longest_gap_days": 325,  # 2025-01-10 → 2025-12-01
    }
    body = _html(response)
    summary_html = body[body.index('id="visit-summary"') : body.index("维修档案")]
    for text in ("2024-06-01", "2025-12-01", "325 天", "¥2600"):
        assert text in summary_html


def test_a_customer_with_no_visit_has_an_empty_summary(role_client):
    customer = CustomerFactory(name="赵敏")

    response = _card(role_client("advisor"), customer)

    assert response.context["summary"]["count"] == 0
    assert response.context["summary"]["longest_gap_days"] is None
    assert "还没有维修记录。" in _html(response)
    assert "名下没有车辆。" in _html(response)


@pytest.mark.parametrize("role", ["advisor", "manager", "warranty", "callback", "complaint"])
def test_roles_with_the_pii_permission_see_the_numbers_masked_with_a_reveal_button(
    role_client, card, role
):
    # The whole numbers come one at a time through 显示, which logs each reveal
    # (tests/customers/test_pii_reveal.py).
    wang = card["wang"]
    response = _card(role_client(role), wang)

    body = _html(response)
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

    body = _html(response)
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
    for serial in range(count):
        _visit(
            cars[serial % 2],
            on=dt.date(2020, 1, 1) + dt.timedelta(days=30 * serial),
            total="100.00",
            paid="100.00",
            lines=("工时", "配件", "辅料"),
        )
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
    assert _html(many_response).count('class="visit-line"') == 90


def test_an_unknown_customer_is_a_404(role_client):
    response = role_client("advisor").get(reverse("customers:customer_detail", args=[999999]))

    assert response.status_code == 404


# --- vehicle detail ---------------------------------------------------------------------


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
    body = _html(response)
    assert "李强:2025-06-30 至 今" in body
    assert "王芳:2022-01-15 至 2025-06-30" in body
    assert "资料 4/9" in body
    # Masked for everyone; the advisor may reveal it (tests/customers/test_pii_reveal.py).
    assert "139****1111" in body
    assert "13900001111" not in body
    assert reverse("customers:customer_reveal", args=[sold.owner_id, "mobile"]) in body


def test_the_vehicle_page_masks_the_owner_mobile_for_the_parts_clerk(role_client, card):
    response = role_client("parts").get(reverse("customers:vehicle_detail", args=[card["kept"].pk]))

    body = _html(response)
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
    for serial in range(count):
        _visit(
            vehicle,
            on=dt.date(2020, 1, 1) + dt.timedelta(days=30 * serial),
            total="100.00",
            paid="100.00",
            lines=("工时", "配件"),
        )
    return vehicle


def test_the_vehicle_page_runs_the_same_eleven_queries_for_3_visits_and_for_30(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    few, many = _vehicle_with_visits(3), _vehicle_with_visits(30)

    # The page's own 5: the vehicle with its owner, sales file and VIN-exception approver;
    # its ownerships with their customers; the visits with customers and advisors; the
    # lines of all the visits; the documents of the sales file.
    for vehicle, count in ((few, 3), (many, 30)):
        with django_assert_num_queries(PAGE_QUERIES + 5):
            response = client.get(reverse("customers:vehicle_detail", args=[vehicle.pk]))
        assert len(response.context["visits"]) == count


# --- keyset lists -----------------------------------------------------------------------


def _ids(response) -> list[int]:
    return [row.pk for row in response.context["rows"]]


def test_the_customer_list_pages_by_keyset_newest_first(role_client):
    client = role_client("advisor")
    customers = [CustomerFactory() for _ in range(30)]
    newest_first = [c.pk for c in reversed(customers)]
    url = reverse("customers:customer_list")

    first = client.get(url)
    assert _ids(first) == newest_first[:25]
    assert (first.context["newer"], first.context["older"]) == (None, newest_first[24])

    second = client.get(url, {"after": first.context["older"]})
    assert _ids(second) == newest_first[25:]
    assert (second.context["newer"], second.context["older"]) == (newest_first[25], None)

    back = client.get(url, {"before": second.context["newer"]})
    assert _ids(back) == newest_first[:25]
    assert (back.context["newer"], back.context["older"]) == (None, newest_first[24])


def test_the_pager_links_carry_the_cursor_and_keep_the_filters(role_client):
    client = role_client("advisor")
    customers = [CustomerFactory(segment=Customer.Segment.VIP) for _ in range(26)]

    response = client.get(reverse("customers:customer_list"), {"segment": "vip"})

    assert f'href="?segment=vip&amp;after={customers[1].pk}"' in _html(response)


def test_the_customer_list_filters_by_creation_date_in_local_time(role_client):
    client = role_client("advisor")
    before = CustomerFactory(name="二月末", created_at=_at(dt.date(2026, 2, 28), hour=23))
    # 00:30 on 1 March in Shanghai is still 28 February in UTC: the local date counts.
    first_day = CustomerFactory(name="三月初", created_at=_at(dt.date(2026, 3, 1), hour=0))
    last_day = CustomerFactory(name="三月末", created_at=_at(dt.date(2026, 3, 31), hour=23))
    after = CustomerFactory(name="四月初", created_at=_at(dt.date(2026, 4, 1), hour=0))

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

    body = _html(role_client("manager").get(reverse("customers:customer_list")))

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
        second = client.get(url, {"after": first.context["older"]})
    with django_assert_num_queries(PAGE_QUERIES + 2):
        filtered = client.get(url, {"segment": "normal", "created_from": "2020-01-01"})

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
        {"sale_from": "2026-03-01", "sale_to": "2026-03-31", "after": in_march.context["older"]},
    )
    assert _ids(older) == [march[1].pk, march[0].pk]
    assert older.context["older"] is None
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


# --- sales files ------------------------------------------------------------------------

TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday


@pytest.fixture
def sales_files():
    """Four files seen on Friday 2026-11-20."""
    late = SalesFileFactory(documents_due_on=dt.date(2026, 11, 18))
    due_today = SalesFileFactory(documents_due_on=dt.date(2026, 11, 20))
    not_due = SalesFileFactory(documents_due_on=dt.date(2026, 11, 24))
    completed_late = SalesFileFactory(documents_due_on=dt.date(2026, 11, 18))
    services.sales_file_receive_documents(
        sales_file=completed_late, kinds=ALL_DOCUMENTS, on=dt.date(2026, 11, 19), by=None
    )
    services.sales_file_receive_documents(
        sales_file=late, kinds=ALL_DOCUMENTS[:8], on=dt.date(2026, 11, 17), by=None
    )
    return {
        "late": late,
        "due_today": due_today,
        "not_due": not_due,
        "completed_late": completed_late,
    }


@time_machine.travel(TODAY, tick=False)
def test_the_late_list_shows_only_files_past_due_and_incomplete(role_client, sales_files):
    response = role_client("callback").get(reverse("customers:salesfile_list"))

    assert response.context["state"] == "late"
    assert [f.pk for f in response.context["files"]] == [sales_files["late"].pk]
    assert response.context["files"][0].received_count == 8
    assert "8/9" in _html(response)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("open", ["not_due", "due_today", "late"]),
        ("late_completed", ["completed_late"]),
        ("all", ["completed_late", "not_due", "due_today", "late"]),
        ("nonsense", ["late"]),
    ],
)
def test_the_other_sales_file_states(role_client, sales_files, state, expected):
    response = role_client("callback").get(reverse("customers:salesfile_list"), {"state": state})

    assert [f.pk for f in response.context["files"]] == [sales_files[k].pk for k in expected]


@time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_a_file_due_yesterday_becomes_late_the_next_day(role_client, sales_files):
    response = role_client("callback").get(reverse("customers:salesfile_list"))

    assert [f.pk for f in response.context["files"]] == [
        sales_files["not_due"].pk,
        sales_files["due_today"].pk,
        sales_files["late"].pk,
    ]


@time_machine.travel(TODAY, tick=False)
def test_the_sales_file_list_runs_the_same_queries_for_3_files_and_for_25(
    role_client, django_assert_num_queries
):
    client = role_client("callback")
    SalesFileFactory.create_batch(3, documents_due_on=dt.date(2026, 11, 18))
    # The page's own 1: the files with vehicles, owners and a count of their documents.
    with django_assert_num_queries(PAGE_QUERIES + 1):
        assert len(client.get(reverse("customers:salesfile_list")).context["files"]) == 3
    SalesFileFactory.create_batch(30, documents_due_on=dt.date(2026, 11, 18))

    with django_assert_num_queries(PAGE_QUERIES + 1):
        assert len(client.get(reverse("customers:salesfile_list")).context["files"]) == 25


def _receive(client, sales_file, kinds, on: str):
    return client.post(
        reverse("customers:salesfile_receive", args=[sales_file.pk]),
        {"kinds": kinds, "received_on": on},
    )


def test_receiving_all_nine_documents_through_the_page_completes_the_file(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()

    response = _receive(client, sales_file, ALL_DOCUMENTS, "2026-11-19")

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:salesfile_detail", args=[sales_file.pk])
    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on == dt.date(2026, 11, 19)
    assert sorted(sales_file.documents.values_list("kind", flat=True)) == sorted(ALL_DOCUMENTS)
    detail = client.get(response["Location"])
    assert "已于 2026-11-19 交齐" in _html(detail)


def test_receiving_in_two_batches_completes_the_file_on_the_later_date(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()

    _receive(client, sales_file, ALL_DOCUMENTS[:5], "2026-11-17")
    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on is None
    _receive(client, sales_file, ALL_DOCUMENTS[5:], "2026-11-19")

    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on == dt.date(2026, 11, 19)


def test_receiving_the_same_documents_again_changes_nothing(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()
    _receive(client, sales_file, ALL_DOCUMENTS, "2026-11-19")
    before = list(SalesDocument.objects.values_list("id", "kind", "received_on", "received_by"))

    response = _receive(client, sales_file, ALL_DOCUMENTS, "2026-11-23")

    assert response.status_code == 302
    assert (
        list(SalesDocument.objects.values_list("id", "kind", "received_on", "received_by"))
        == before
    )
    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on == dt.date(2026, 11, 19)


def test_receiving_with_no_document_ticked_records_nothing_and_says_why(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()

    response = _receive(client, sales_file, [], "2026-11-19")

    assert response.status_code == 302
    assert SalesDocument.objects.count() == 0
    assert "这个字段是必填项。" in _html(client.get(response["Location"]))


def test_undoing_a_receipt_makes_the_file_incomplete_again(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()
    _receive(client, sales_file, ALL_DOCUMENTS, "2026-11-19")

    client.post(reverse("customers:salesfile_unreceive", args=[sales_file.pk, "invoice"]))

    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on is None
    assert sales_file.documents.count() == 8


# --- owner change -----------------------------------------------------------------------


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


# --- the VIN check-digit exception ------------------------------------------------------


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
    assert "VIN校验位例外原因" not in _html(response)  # the advisor has no such field
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
    assert "VIN校验位不符,待核" in _html(client.get(response["Location"]))
    flagged = client.get(reverse("customers:vehicle_list"), {"flagged": "true"})
    assert _ids(flagged) == [vehicle.pk]


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
