"""Sales files (销售档案): the lists by document state and receiving documents."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.customers import services
from apps.customers.models import SalesDocument
from tests.factories.clock import SHANGHAI
from tests.factories.customers import ALL_DOCUMENTS, SalesFileFactory
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday


def _pks(response) -> list[int]:
    return [sales_file.pk for sales_file in response.context["page"].rows]


@pytest.fixture
def sales_files():
    """Four files seen on Friday 2026-11-20, entered that day; documents are due two
    working days after delivery."""
    with time_machine.travel(TODAY, tick=False):
        late = SalesFileFactory(delivered_on=dt.date(2026, 11, 16))  # due Wed 11-18
        due_today = SalesFileFactory(delivered_on=dt.date(2026, 11, 18))  # due Fri 11-20
        not_due = SalesFileFactory(delivered_on=dt.date(2026, 11, 20))  # due Tue 11-24
        completed_late = SalesFileFactory(delivered_on=dt.date(2026, 11, 16))
    assert [f.documents_due_on.day for f in (late, due_today, not_due)] == [18, 20, 24]
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
    assert _pks(response) == [sales_files["late"].pk]
    assert response.context["page"].rows[0].received_count == 8
    assert "8/9" in html(response)
    assert response.context["total"] == 1
    assert "共 <strong>1</strong> 份逾期未交齐,逾期最久的在前。" in html(response)


@time_machine.travel(TODAY, tick=False)
def test_the_late_list_puts_the_most_overdue_first_and_says_how_many_there_are(role_client):
    client = role_client("callback")
    # 30 late files created in no particular order of delivery (three per day, 10-26..11-04),
    # so of due day (two working days later).
    delivery_days = [
        dt.date(2026, 10, 26) + dt.timedelta(days=(serial * 7) % 10) for serial in range(30)
    ]
    files = [SalesFileFactory(delivered_on=day) for day in delivery_days]
    SalesFileFactory(delivered_on=dt.date(2026, 11, 20))  # due 11-24, not yet: not listed
    most_overdue_first = sorted(files, key=lambda f: (f.documents_due_on, f.pk))
    url = reverse("customers:salesfile_list")

    first = client.get(url)
    second = client.get(url, {"after": first.context["page"].next})

    assert _pks(first) == [f.pk for f in most_overdue_first[:25]]
    assert _pks(second) == [f.pk for f in most_overdue_first[25:]]
    assert second.context["page"].next is None
    for response in (first, second):
        assert response.context["total"] == 30
        assert "共 <strong>30</strong> 份逾期未交齐,逾期最久的在前。" in html(response)
    assert "逾期 2\xa0周，4\xa0日" in html(first)  # due 11-02, seen 11-20: 18 days


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("open", ["late", "due_today", "not_due"]),  # due soonest first
        ("late_completed", ["completed_late"]),
        ("all", ["not_due", "due_today", "completed_late", "late"]),  # delivered, then id
        ("nonsense", ["late"]),
    ],
)
def test_the_other_sales_file_states(role_client, sales_files, state, expected):
    response = role_client("callback").get(reverse("customers:salesfile_list"), {"state": state})

    assert _pks(response) == [sales_files[k].pk for k in expected]
    # Only the work lists (late, open) are counted.
    assert response.context["total"] == (
        3 if state == "open" else 1 if state == "nonsense" else None
    )


@time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_a_file_due_yesterday_becomes_late_the_next_day(role_client, sales_files):
    response = role_client("callback").get(reverse("customers:salesfile_list"))

    assert _pks(response) == [
        sales_files["late"].pk,
        sales_files["due_today"].pk,
        sales_files["not_due"].pk,
    ]


@time_machine.travel(TODAY, tick=False)
def test_the_sales_file_list_runs_the_same_queries_for_3_files_and_for_25(
    role_client, django_assert_num_queries
):
    client = role_client("callback")
    SalesFileFactory.create_batch(3, delivered_on=dt.date(2026, 11, 16))  # due 11-18
    # The page's own 2: the files with vehicles, owners and a count of their documents;
    # the count of late files.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        assert len(_pks(client.get(reverse("customers:salesfile_list")))) == 3
    SalesFileFactory.create_batch(30, delivered_on=dt.date(2026, 11, 16))

    with django_assert_num_queries(PAGE_QUERIES + 2):
        assert len(_pks(client.get(reverse("customers:salesfile_list")))) == 25


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
    assert "已于 2026-11-19 交齐" in html(detail)


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
    assert "请选择本次收到的资料。" in html(client.get(response["Location"]))


def test_undoing_a_receipt_makes_the_file_incomplete_again(role_client):
    client = role_client("callback")
    sales_file = SalesFileFactory()
    _receive(client, sales_file, ALL_DOCUMENTS, "2026-11-19")

    client.post(reverse("customers:salesfile_unreceive", args=[sales_file.pk, "invoice"]))

    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on is None
    assert sales_file.documents.count() == 8
