"""The stock pages through the whole stack: the parts counter's page of a work order
(signed issue, issue confirmed later on the technician's login, return, purchase request),
receiving with its delivery note, the count sheet to its approval, the part's card with its
stock at a past date, the work order's parts block and the 工作台 panels; query counts that
do not grow with the data."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.stock import services
from apps.stock.models import GoodsReceipt, IssueSlip, PurchaseRequest, Stock, StockCount
from apps.workorders.models import WorkOrder
from tests.factories.clock import local_datetime
from tests.factories.parts import PartFactory
from tests.factories.stock import issue, parts_lines, parts_order, receive
from tests.factories.workorders import flow_user, order_in_state, png_data_url
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]
S = WorkOrder.Status
D = Decimal
NOW = local_datetime(dt.date(2026, 6, 15), 10)


@pytest.fixture
def people(user_with_role):
    return {
        "clerk": user_with_role("parts", display_name="陈配件"),
        "technician": user_with_role("technician", display_name="王师傅"),
        "advisor": user_with_role("advisor", display_name="周服务"),
        "manager": user_with_role("manager", display_name="郭经理"),
    }


@pytest.fixture
def pads():
    return PartFactory(number="5QD698151", name="前刹车片(套)", unit="套", price=D("580.00"))


@time_machine.travel(NOW, tick=False)
def test_the_clerk_issues_a_work_orders_parts_and_the_technician_signs_on_the_page(
    client, people, pads
):
    order = parts_order(S.IN_PROGRESS, [(pads, 2)])
    receive(pads, 5, "350.00")
    [line] = parts_lines(order)
    client.force_login(people["clerk"])
    page = html(client.get(reverse("stock:work_order_parts", args=[order.pk])))
    assert 'id="issue-form"' in page and "王师傅" in page
    assert f'name="q_{line.pk}" value="2"' in page  # what the line still needs, in stock

    response = client.post(
        reverse("stock:issue_create", args=[order.pk]),
        {
            f"q_{line.pk}": "2",
            "technician": people["technician"].pk,
            "png_data_url": png_data_url(),
            "points": '[{"points": [{"x": 1, "y": 2}]}]',
        },
    )

    slip = IssueSlip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stock:slip_detail", args=[slip.pk])
    assert (slip.technician, slip.by, slip.signature.signer_name) == (
        people["technician"],
        people["clerk"],
        "王师傅",
    )
    detail = html(client.get(response["Location"]))
    assert "已签字" in detail and reverse("stock:slip_signature", args=[slip.pk]) in detail
    image = client.get(reverse("stock:slip_signature", args=[slip.pk]))
    assert image["Content-Type"] == "image/png"
    assert Stock.objects.get(pk=pads.pk).on_hand == 3


@time_machine.travel(NOW, tick=False)
def test_an_issue_refused_shows_why_on_the_page_and_writes_nothing(client, people, pads):
    order = parts_order(S.IN_PROGRESS, [(pads, 2)])
    receive(pads, 1, "350.00")
    [line] = parts_lines(order)
    client.force_login(people["clerk"])

    response = client.post(
        reverse("stock:issue_create", args=[order.pk]),
        {f"q_{line.pk}": "2", "technician": people["technician"].pk, "confirm_later": "on"},
    )

    assert response.status_code == 422
    assert "库存不足:前刹车片(套)(5QD698151) 现有 1 套,需要 2 套。" in html(response)
    assert not IssueSlip.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_slip_confirmed_later_shows_on_the_technicians_home_until_confirmed(client, people, pads):
    order = parts_order(S.IN_PROGRESS, [(pads, 1)])
    receive(pads, 1, "350.00")
    [line] = parts_lines(order)
    client.force_login(people["clerk"])
    client.post(
        reverse("stock:issue_create", args=[order.pk]),
        {f"q_{line.pk}": "1", "technician": people["technician"].pk, "confirm_later": "on"},
    )
    slip = IssueSlip.objects.get()
    assert slip.confirmed_at is None

    client.force_login(people["technician"])
    home = html(client.get(reverse("dashboard:home")))
    assert slip.number in home and "确认已领" in home
    response = client.post(reverse("stock:slip_confirm", args=[slip.pk]))

    assert response.status_code == 302
    assert IssueSlip.objects.get().confirmed_at == NOW
    assert "确认已领" not in html(client.get(reverse("dashboard:home")))


@time_machine.travel(NOW, tick=False)
def test_a_missing_part_is_requested_received_and_the_advisor_told(client, people, pads):
    order = parts_order(S.IN_PROGRESS, [(pads, 2)])
    WorkOrder.objects.filter(pk=order.pk).update(advisor=people["advisor"])
    [line] = parts_lines(order)
    client.force_login(people["clerk"])
    page = html(client.get(reverse("stock:work_order_parts", args=[order.pk])))
    assert "缺 2" in page

    client.post(
        reverse("stock:request_for_line", args=[order.pk, line.pk]),
        {"quantity": "2", "expected_on": "2026-06-17"},
    )
    request = PurchaseRequest.objects.get()
    assert (request.quantity, request.expected_on) == (2, dt.date(2026, 6, 17))
    block = html(client.get(reverse("stock:work_order_block", args=[order.pk])))
    assert f"请购 {request.number}" in block and "预计 06-17 到货" in block

    form = html(client.get(reverse("stock:receipt_create") + f"?request={request.pk}"))
    assert 'value="5QD698151"' in form
    response = client.post(
        reverse("stock:receipt_create"),
        {
            "supplier": "一汽-大众华南配件中心",
            "delivery_note": "SD0617",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part_number": "5qd 698 151",
            "lines-0-quantity": "2",
            "lines-0-unit_cost": "352.50",
        },
    )

    receipt = GoodsReceipt.objects.get()
    assert response["Location"] == reverse("stock:receipt_detail", args=[receipt.pk])
    assert PurchaseRequest.objects.get().status == "fulfilled"
    stock = Stock.objects.get(pk=pads.pk)
    assert (stock.on_hand, stock.reserved) == (2, 2)  # set aside for the order
    client.force_login(people["advisor"])
    home = html(client.get(reverse("dashboard:home")))
    assert "到货通知(1)" in home and order.number in home
    client.post(reverse("stock:arrival_seen", args=[request.pk]))
    assert "到货通知" not in html(client.get(reverse("dashboard:home")))


@time_machine.travel(NOW, tick=False)
def test_receiving_refuses_an_unknown_part_number_in_its_row(client, people):
    client.force_login(people["clerk"])

    response = client.post(
        reverse("stock:receipt_create"),
        {
            "supplier": "某供应商",
            "delivery_note": "X1",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part_number": "NOPE",
            "lines-0-quantity": "1",
            "lines-0-unit_cost": "abc",
        },
    )

    assert response.status_code == 422
    body = html(response)
    assert "配件编号 NOPE 不在配件目录中。" in body and "进价须为数字。" in body
    assert not GoodsReceipt.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_count_is_entered_submitted_and_approved_through_its_page(client, people, pads):
    receive(pads, 4, "350.00")
    services.stock_update(part=pads, by=people["clerk"], bin="B-02-01", minimum=1)
    client.force_login(people["clerk"])
    client.post(reverse("stock:count_create"), {"bin_prefix": "B-02"})
    count = StockCount.objects.get()
    [line] = count.lines.all()
    url = reverse("stock:count_detail", args=[count.pk])

    client.post(
        reverse("stock:count_enter", args=[count.pk]), {f"c_{line.pk}": "3", f"r_{line.pk}": "破损"}
    )
    client.post(reverse("stock:count_move", args=[count.pk]), {"name": "submit"})
    assert StockCount.objects.get().status == "submitted"
    refused = client.post(reverse("stock:count_move", args=[count.pk]), {"name": "approve"})
    assert "您没有“审批过账”的权限。" in html(refused)

    client.force_login(people["manager"])
    assert "审批过账" in html(client.get(url))
    client.post(reverse("stock:count_move", args=[count.pk]), {"name": "approve"})

    assert StockCount.objects.get().status == "posted"
    assert Stock.objects.get(pk=pads.pk).on_hand == 3


@time_machine.travel(NOW, tick=False)
def test_the_part_card_shows_the_stock_at_a_past_date(client, people, pads):
    with time_machine.travel(local_datetime(dt.date(2026, 3, 1)), tick=False):
        receive(pads, 6, "350.00")
    with time_machine.travel(local_datetime(dt.date(2026, 5, 1)), tick=False):
        receive(pads, 2, "360.00")
    client.force_login(people["advisor"])

    body = html(client.get(reverse("stock:part_detail", args=[pads.pk]), {"on": "2026-04-01"}))

    assert "截至 2026-04-01 日终:在库 <strong>6</strong> 套" in body
    assert "库存金额 2100.00 元" in body


@time_machine.travel(NOW, tick=False)
def test_the_part_ledger_links_a_receipt_only_for_who_may_open_it(client, people, pads):
    receipt = receive(pads, 6, "350.00").receipt
    receipt_page = reverse("stock:receipt_detail", args=[receipt.pk])

    for who, linked in (("clerk", True), ("advisor", False)):
        client.force_login(people[who])
        body = html(client.get(reverse("stock:part_detail", args=[pads.pk])))
        assert receipt.number in body
        assert (f'href="{receipt_page}"' in body) is linked, who
        assert client.get(receipt_page).status_code == (200 if linked else 403)


@time_machine.travel(NOW, tick=False)
def test_the_stock_list_finds_parts_and_those_below_their_minimum(client, people):
    low, fine = PartFactory(number="5QD115561"), PartFactory(number="5QD129620")
    receive(fine, 9, "30.00")
    for part in (low, fine):
        services.stock_update(part=part, by=people["clerk"], bin="A-01", minimum=2)
    client.force_login(people["advisor"])

    everything = client.get(reverse("stock:stock_list"), {"q": "5qd1"})
    below = client.get(reverse("stock:stock_list"), {"below_minimum": "on"})

    assert [p.number for p in everything.context["page"].rows] == ["5QD115561", "5QD129620"]
    assert [p.number for p in below.context["page"].rows] == ["5QD115561"]


@time_machine.travel(NOW, tick=False)
def test_the_work_order_page_loads_the_parts_block_only_for_orders_with_catalogue_parts(
    client, people, pads
):
    with_parts = parts_order(S.IN_PROGRESS, [(pads, 1)])
    without = order_in_state(S.IN_PROGRESS)  # its parts line names no catalogue part
    client.force_login(people["advisor"])

    page = html(client.get(reverse("workorders:detail", args=[with_parts.pk])))
    block = client.get(reverse("stock:work_order_block", args=[with_parts.pk]))
    empty = client.get(reverse("stock:work_order_block", args=[without.pk]))

    assert f'hx-get="{reverse("stock:work_order_block", args=[with_parts.pk])}"' in page
    assert "等待配件" in html(block) and "缺货" in html(block)
    assert empty.content == b""


# --- query counts ------------------------------------------------------------------------------


def _stocked_parts(count: int, by):
    for _ in range(count):
        part = PartFactory()
        receive(part, 3, "10.00", by=by)


@time_machine.travel(NOW, tick=False)
def test_the_stock_list_and_a_part_card_run_the_same_queries_with_little_or_much_data(
    client, people, pads, django_assert_num_queries
):
    client.force_login(people["advisor"])
    receive(pads, 1, "10.00")
    _stocked_parts(2, people["clerk"])
    card = reverse("stock:part_detail", args=[pads.pk])
    for _round in range(2):
        # the page of parts with their stock rows
        with django_assert_num_queries(PAGE_QUERIES + 1):
            client.get(reverse("stock:stock_list"))
        # the part, its stock at the date, its movements, its open requests
        with django_assert_num_queries(PAGE_QUERIES + 4):
            client.get(card, {"on": "2026-06-01"})
        _stocked_parts(30, people["clerk"])
        for _ in range(30):
            receive(pads, 1, "10.00")


@time_machine.travel(NOW, tick=False)
def test_the_parts_counter_page_and_the_block_run_the_same_queries_with_more_lines(
    client, people, django_assert_num_queries
):
    by = flow_user()
    client.force_login(people["clerk"])
    for size in (2, 12):
        parts = [PartFactory() for _ in range(size)]
        order = parts_order(S.IN_PROGRESS, [(part, 1) for part in parts], by=by)
        for part in parts:
            receive(part, 2, "10.00", by=by)
        issue(order, {parts_lines(order)[0]: 1}, by=by)
        services.purchase_request_for_line(line=parts_lines(order)[1], by=by, quantity=1)
        # the order; its lines with their stock, their reservations, their requests, its
        # slips with their movements and parts; the technicians (issue and return forms)
        with django_assert_num_queries(PAGE_QUERIES + 9):
            client.get(reverse("stock:work_order_parts", args=[order.pk]))
        # the order; lines, reservations, requests, slips + movements + parts
        with django_assert_num_queries(PAGE_QUERIES + 7):
            client.get(reverse("stock:work_order_block", args=[order.pk]))


@time_machine.travel(NOW, tick=False)
def test_the_lists_run_the_same_queries_with_little_or_much_data(
    client, people, pads, django_assert_num_queries
):
    by = flow_user()
    client.force_login(people["manager"])
    pages = {
        reverse("stock:issue_list"): 2,  # the orders waiting, a page of slips
        reverse("stock:request_list"): 1,
        reverse("stock:receipt_list"): 1,
        reverse("stock:count_list"): 1,
    }
    for size in (1, 8):
        for _ in range(size):
            part = PartFactory()
            order = parts_order(S.IN_PROGRESS, [(part, 1), (part, 5)], by=by)
            receive(part, 1, "10.00", by=by)
            issue(order, {parts_lines(order)[0]: 1}, by=by)
            services.purchase_request_for_line(line=parts_lines(order)[1], by=by)
        for url, own in pages.items():
            with django_assert_num_queries(PAGE_QUERIES + own):
                client.get(url)
