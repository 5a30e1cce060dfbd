"""Accessories (精品): counter sales leave stock through the stock services, the seller of
a work order's accessory line, and the monthly commission per seller on the page and in
Excel (apps/stock/accessories.py, accessory_excel.py)."""

import csv
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from urllib.parse import quote

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apps.core.models import DealershipSettings
from apps.core.settings import current_settings, forget_cached
from apps.stock import accessories, accessory_excel
from apps.stock.models import (
    AccessorySeller,
    CounterSale,
    CounterSaleLine,
    Stock,
    StockMovement,
    StockSettings,
)
from apps.workorders import services as work_order_services
from apps.workorders.models import Payer, Payment, WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.core import rules_in_cache
from tests.factories.customers import CustomerFactory
from tests.factories.parts import PartFactory
from tests.factories.stock import receive, seller
from tests.factories.workorders import flow_user, order_in_state

pytestmark = pytest.mark.django_db
NOVEMBER = dt.date(2026, 11, 1)


def _at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _sale(part, quantity, discount="0"):
    return accessories.SaleLine(part, Decimal(quantity), Decimal(discount))


def _accessory_line(part, quantity, *, discount="0", payer=Payer.CUSTOMER):
    line = work_order_services.line_from_part(part, quantity=Decimal(quantity), payer=payer)
    return work_order_services.NewLine(**{**line.__dict__, "discount_percent": Decimal(discount)})


@pytest.fixture
def shop():
    """Two accessories in stock, an advisor (who also makes every move of the flow) and a
    parts clerk selling at the counter."""
    with time_machine.travel(_at(10, 1), tick=False):
        mats = PartFactory(name="全包围脚垫", is_accessory=True, price=Decimal("300.00"))
        film = PartFactory(name="隐形车衣", is_accessory=True, price=Decimal("1000.00"))
        oil = PartFactory(name="机油滤清器", price=Decimal("60.00"))
        clerk = seller("parts", display_name="李柜台")
        advisor = seller("advisor", display_name="王顾问", is_superuser=True)
        for part in (mats, film, oil):
            receive(part, 20, "100.00", by=clerk)
    return {"mats": mats, "film": film, "oil": oil, "clerk": clerk, "advisor": advisor}


def _settled(lines, *, advisor, at, named=None):
    """An order of `lines` delivered and settled at `at`; `named` (part → user) names the
    seller of the accessory lines of those parts before settlement."""
    with time_machine.travel(at, tick=False):
        order = order_in_state(WorkOrder.Status.DELIVERED, by=advisor, lines=lines)
        for part, user in (named or {}).items():
            line = order.lines.get(part=part)
            accessories.accessory_seller_set(line=line, seller=user, by=advisor)
        order.refresh_from_db()
        due = order.customer_paid_amount
        work_order_services.work_order_settle(
            work_order=order,
            by=advisor,
            payments=[work_order_services.NewPayment(Payment.Method.CASH, due)],
        )
        order.refresh_from_db()
    return order


@pytest.fixture
def month_of_sales(shop):
    """Sales on both sides of the October/November and November/December boundaries.

    November, by hand:
    - advisor 王顾问: order settled 1 Nov 00:10, 2 mats at 10 % off = 540.00 (plus an oil
      filter, not an accessory, and a mat paid by the maker under warranty, not a sale);
      counter sale 30 Nov 23:55, 1 mat = 300.00; total 840.00 × 5 % = 42.00.
    - clerk 李柜台: counter sale 15 Nov, 1 film at 5 % off = 950.00; the film line of the
      advisor's order settled 20 Nov, named to the clerk = 1,000.00; total 1,950.00 × 3 %
      = 58.50.
    Outside November: an order settled 31 Oct 23:50 (1 mat: 300.00) and a counter sale on
    1 Dec 00:05 (1 film).
    """
    mats, film, oil = shop["mats"], shop["film"], shop["oil"]
    advisor, clerk = shop["advisor"], shop["clerk"]
    october = _settled([_accessory_line(mats, 1)], advisor=advisor, at=_at(10, 31, 23, 50))
    first = _settled(
        [
            _accessory_line(mats, 2, discount="10"),
            _accessory_line(oil, 1),
            _accessory_line(mats, 1, payer=Payer.WARRANTY),
        ],
        advisor=advisor,
        at=_at(11, 1, 0, 10),
    )
    with time_machine.travel(_at(11, 15), tick=False):
        counter = accessories.counter_sale_create(
            seller=clerk, lines=[_sale(film, 1, "5")], by=clerk, customer_name="张先生"
        )
    named = _settled(
        [_accessory_line(film, 1)], advisor=advisor, at=_at(11, 20), named={film: clerk}
    )
    with time_machine.travel(_at(11, 30, 23, 55), tick=False):
        late = accessories.counter_sale_create(seller=advisor, lines=[_sale(mats, 1)], by=clerk)
    with time_machine.travel(_at(12, 1, 0, 5), tick=False):
        december = accessories.counter_sale_create(seller=clerk, lines=[_sale(film, 1)], by=clerk)
    return {
        "october": october,
        "first": first,
        "named": named,
        "counter": counter,
        "late": late,
        "december": december,
    }


# --- the commission ----------------------------------------------------------------------------


def test_the_months_commission_is_computed_per_seller_by_hand(shop, month_of_sales):
    table = accessories.commission_month(month=NOVEMBER)

    assert table.advisor_rate == Decimal("5.00") and table.other_rate == Decimal("3.00")
    rows = {row.seller.pk: row for row in table.rows}
    assert set(rows) == {shop["advisor"].pk, shop["clerk"].pk}
    advisor, clerk = rows[shop["advisor"].pk], rows[shop["clerk"].pk]
    assert (advisor.is_advisor, advisor.rate) == (True, Decimal("5.00"))
    assert (advisor.order_quantity, advisor.order_amount) == (Decimal(2), Decimal("540.00"))
    assert (advisor.counter_quantity, advisor.counter_amount) == (Decimal(1), Decimal("300.00"))
    assert advisor.amount == Decimal("840.00")
    assert advisor.commission == Decimal("42.00")
    assert (clerk.is_advisor, clerk.rate) == (False, Decimal("3.00"))
    assert (clerk.order_quantity, clerk.order_amount) == (Decimal(1), Decimal("1000.00"))
    assert (clerk.counter_quantity, clerk.counter_amount) == (Decimal(1), Decimal("950.00"))
    assert clerk.commission == Decimal("58.50")
    assert (table.amount, table.commission) == (Decimal("2790.00"), Decimal("100.50"))


def test_the_months_on_either_side_hold_only_their_own_sales(shop, month_of_sales):
    october = accessories.commission_month(month=dt.date(2026, 10, 1))
    december = accessories.commission_month(month=dt.date(2026, 12, 1))

    assert [(row.seller.pk, row.amount, row.commission) for row in october.rows] == [
        (shop["advisor"].pk, Decimal("300.00"), Decimal("15.00"))
    ]
    assert [(row.seller.pk, row.amount, row.commission) for row in december.rows] == [
        (shop["clerk"].pk, Decimal("1000.00"), Decimal("30.00"))
    ]


def test_the_rates_come_from_the_stock_settings(shop, month_of_sales):
    StockSettings.objects.update_or_create(
        pk=1,
        defaults={
            "accessory_commission_advisor_percent": Decimal("8"),
            "accessory_commission_other_percent": Decimal("2.5"),
        },
    )
    forget_cached()

    rows = {row.seller.pk: row for row in accessories.commission_month(month=NOVEMBER).rows}

    assert rows[shop["advisor"].pk].commission == Decimal("67.20")  # 840.00 × 8 %
    assert rows[shop["clerk"].pk].commission == Decimal("48.75")  # 1,950.00 × 2.5 %


def test_a_rate_beyond_100_percent_is_refused_in_chinese():
    rules = StockSettings(accessory_commission_advisor_percent=Decimal("120"))

    with pytest.raises(ValidationError) as refused:
        rules.full_clean()

    messages = refused.value.message_dict["accessory_commission_advisor_percent"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in messages), messages


# --- the seller of a work order's accessory line ----------------------------------------------


def test_naming_the_advisor_again_removes_the_exception_and_other_lines_are_refused(shop):
    advisor, clerk = shop["advisor"], shop["clerk"]
    with time_machine.travel(_at(11, 3), tick=False):
        order = order_in_state(
            WorkOrder.Status.APPROVED,
            by=advisor,
            lines=[_accessory_line(shop["mats"], 1), _accessory_line(shop["oil"], 1)],
        )
        mats = order.lines.get(part=shop["mats"])
        oil = order.lines.get(part=shop["oil"])
        accessories.accessory_seller_set(line=mats, seller=clerk, by=advisor)
        assert AccessorySeller.objects.get(line=mats).seller == clerk

        accessories.accessory_seller_set(line=mats, seller=advisor, by=advisor)
        assert not AccessorySeller.objects.filter(line=mats).exists()

        with pytest.raises(ValidationError, match="不是精品"):
            accessories.accessory_seller_set(line=oil, seller=clerk, by=advisor)
        with pytest.raises(ValidationError, match="销售人须为"):
            accessories.accessory_seller_set(line=mats, seller=flow_user(), by=advisor)


def test_the_seller_of_a_settled_order_cannot_change(shop, month_of_sales):
    line = month_of_sales["first"].lines.filter(part=shop["mats"]).first()

    with pytest.raises(ValidationError, match="工单已结算"):
        accessories.accessory_seller_set(line=line, seller=shop["clerk"], by=shop["advisor"])
    assert not AccessorySeller.objects.filter(line=line).exists()


def test_the_work_order_block_names_the_seller_and_lets_the_advisor_change_it(shop, client):
    advisor, clerk = shop["advisor"], shop["clerk"]
    with time_machine.travel(_at(11, 3), tick=False):
        order = order_in_state(
            WorkOrder.Status.APPROVED, by=advisor, lines=[_accessory_line(shop["mats"], 1)]
        )
    line = order.lines.get(part=shop["mats"])
    client.force_login(advisor)

    block = client.get(reverse("stock:work_order_block", args=[order.pk])).content.decode()
    assert "精品" in block and f"销售人 {advisor}" in block
    answer = client.post(
        reverse("stock:accessory_seller_set", args=[order.pk, line.pk]), {"seller": clerk.pk}
    )

    assert answer.status_code == 302
    assert answer["Location"] == reverse("workorders:detail", args=[order.pk]) + "#parts-block"
    assert AccessorySeller.objects.get(line=line).seller == clerk
    block = client.get(reverse("stock:work_order_block", args=[order.pk])).content.decode()
    assert f"销售人 {clerk}" in block


# --- counter sales ------------------------------------------------------------------------------


def test_a_counter_sale_takes_the_accessories_out_of_stock_through_a_sale_movement(shop):
    clerk, mats = shop["clerk"], shop["mats"]
    with time_machine.travel(_at(11, 5), tick=False):
        sale = accessories.counter_sale_create(
            seller=clerk,
            lines=[_sale(mats, 3, "10")],
            by=clerk,
            customer_name=" 赵女士 ",
            paid_amount="800",
        )

    assert sale.number == "XS202611050001"
    assert (sale.total, sale.paid_amount, sale.customer_name) == (
        Decimal("810.00"),
        Decimal("800.00"),
        "赵女士",
    )
    [line] = CounterSaleLine.objects.filter(sale=sale)
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal(3),
        Decimal("300.00"),
        Decimal("810.00"),
    )
    assert Stock.objects.get(part=mats).on_hand == Decimal(17)
    movement = StockMovement.objects.get(counter_sale=sale)
    assert (movement.kind, movement.quantity, movement.value) == (
        StockMovement.Kind.SALE,
        Decimal(-3),
        Decimal("-300.00"),
    )


def test_a_counter_sale_beyond_the_available_stock_is_refused_and_changes_nothing(shop):
    clerk, mats = shop["clerk"], shop["mats"]
    before = StockMovement.objects.count()

    with time_machine.travel(_at(11, 5), tick=False), pytest.raises(ValidationError) as refused:
        accessories.counter_sale_create(
            seller=clerk, lines=[_sale(shop["film"], 1), _sale(mats, 21)], by=clerk
        )

    assert refused.value.messages == [f"库存不足:全包围脚垫({mats.number}) 现有 20 个,需要 21 个。"]
    assert Stock.objects.get(part=mats).on_hand == Decimal(20)
    assert Stock.objects.get(part=shop["film"]).on_hand == Decimal(20)
    assert StockMovement.objects.count() == before
    assert not CounterSale.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": "oil"}, "不是在用的精品,柜台只销售精品。"),
        ({"lines": []}, "请至少填写一行精品。"),
        ({"discount": "30"}, "全包围脚垫:折扣须在 0 至 10% 之间。"),
        ({"paid_amount": "301"}, "实收金额须在 0 至应收 300.00 元之间。"),
        ({"seller": "technician"}, "销售人须为服务顾问、配件专员或售后经理。"),
    ],
)
def test_a_wrong_counter_sale_is_refused_in_chinese(shop, change, message):
    clerk = shop["clerk"]
    lines = [_sale(shop["mats"], 1, change.get("discount", "0"))]
    if change.get("lines") == "oil":
        lines = [_sale(shop["oil"], 1)]
    elif "lines" in change:
        lines = change["lines"]
    who = seller("technician") if change.get("seller") else clerk

    with time_machine.travel(_at(11, 5), tick=False), pytest.raises(ValidationError) as refused:
        accessories.counter_sale_create(
            seller=who, lines=lines, by=clerk, paid_amount=change.get("paid_amount")
        )

    assert any(message in text for text in refused.value.messages), refused.value.messages
    assert not CounterSale.objects.exists()


def test_the_counter_sale_page_sells_and_shows_chinese_errors(shop, client):
    clerk = shop["clerk"]
    client.force_login(clerk)
    url = reverse("stock:counter_sale_create")
    data = {
        "seller": clerk.pk,
        "customer_name": "",
        "paid_amount": "",
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-part_number": shop["mats"].number,
        "lines-0-quantity": "25",
        "lines-0-discount_percent": "",
        "lines-1-part_number": shop["oil"].number,
        "lines-1-quantity": "1",
        "lines-1-discount_percent": "",
    }

    with time_machine.travel(_at(11, 6), tick=False):
        assert client.get(url).status_code == 200
        refused = client.post(url, data)
        assert refused.status_code == 422
        assert "机油滤清器" in refused.content.decode() and "不是精品" in refused.content.decode()
        data.update({"lines-1-part_number": "", "lines-1-quantity": ""})
        short = client.post(url, data)
        assert short.status_code == 422
        assert "库存不足:全包围脚垫" in short.content.decode()
        data["lines-0-quantity"] = "2"
        sold = client.post(url, data)

    sale = CounterSale.objects.get()
    assert sold.status_code == 302
    assert sold["Location"] == reverse("stock:counter_sale_detail", args=[sale.pk])
    assert sale.total == Decimal("600.00")
    detail = client.get(sold["Location"]).content.decode()
    assert sale.number in detail and "600.00" in detail
    with time_machine.travel(_at(11, 20), tick=False):
        listing = client.get(reverse("stock:counter_sale_list"), {"month": "2026-11"})
    assert sale.number in listing.content.decode()


def _counter_post(shop, **fields) -> dict:
    return {
        "seller": shop["clerk"].pk,
        "customer_mobile": "",
        "customer_name": "",
        "paid_amount": "",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-part_number": shop["mats"].number,
        "lines-0-quantity": "1",
        "lines-0-discount_percent": "",
        **fields,
    }


def test_a_counter_sale_names_the_archive_customer_by_mobile_typed_any_way(shop, client):
    father = CustomerFactory(name="陈大文", mobile="13812345678")
    CustomerFactory(name="陈小文", mobile="13812345678")  # the family's one phone
    client.force_login(shop["clerk"])
    url = reverse("stock:counter_sale_create")

    with time_machine.travel(_at(11, 6), tick=False):
        unknown = client.post(url, _counter_post(shop, customer_mobile="139 0000 0000"))
        family = client.post(url, _counter_post(shop, customer_mobile="+86 138 1234 5678"))
        sold = client.post(
            url,
            _counter_post(shop, customer_mobile="１３８-１２３４-５６７８", customer_name="陈大文"),
        )

    assert unknown.status_code == 422
    assert "没有手机号 13900000000的客户档案" in unknown.content.decode()
    assert family.status_code == 422
    assert "该手机号有多位客户(陈大文、陈小文)" in family.content.decode()
    assert sold.status_code == 302
    sale = CounterSale.objects.get()
    assert (sale.customer, sale.customer_name) == (father, "")


def test_a_walk_in_counter_sale_keeps_the_name_typed(shop, client):
    client.force_login(shop["clerk"])
    with time_machine.travel(_at(11, 6), tick=False):
        sold = client.post(
            reverse("stock:counter_sale_create"), _counter_post(shop, customer_name="路过的王先生")
        )

    assert sold.status_code == 302
    sale = CounterSale.objects.get()
    assert (sale.customer, sale.customer_name) == (None, "路过的王先生")


# --- the page and the Excel file ---------------------------------------------------------------


def test_the_commission_page_lists_the_month_and_downloads_the_workbook(
    shop, month_of_sales, role_client
):
    with time_machine.travel(_at(12, 2), tick=False):
        client = role_client("manager")  # logged in on the day (sessions last a day)
        page = client.get(reverse("stock:commission"), {"month": "2026-11"})
        download = client.get(reverse("stock:commission_excel"), {"month": "2026-11"})

    body = page.content.decode()
    assert page.status_code == 200
    assert "精品提成表 · 2026年11月" in body
    assert "42.00" in body and "58.50" in body and "100.50" in body
    assert download["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('精品提成表-2026-11.xlsx')}"
    )
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert accessory_excel.SHEET in workbook.sheetnames


def test_the_excel_table_holds_every_seller_cell_by_cell(shop, month_of_sales):
    with time_machine.travel(_at(12, 2), tick=False):
        content = accessory_excel.commission_workbook(month=NOVEMBER).getvalue()

    sheet = load_workbook(io.BytesIO(content))[accessory_excel.SHEET]
    dealership = current_settings(DealershipSettings).name
    assert sheet["A1"].value == f"{dealership} 精品提成表(2026年11月)"
    assert sheet["A1"].font.bold
    assert "提成比例:服务顾问 5%,其他销售人员 3%" in sheet["A2"].value
    assert [cell.value for cell in sheet[4]] == [name for name, _width in accessory_excel.COLUMNS]
    assert sheet.freeze_panes == "A5"
    assert sheet.column_dimensions["B"].width == 14
    # Sellers by name: 李柜台 before 王顾问.
    clerk = [cell.value for cell in sheet[5]]
    advisor = [cell.value for cell in sheet[6]]
    assert clerk == [1, str(shop["clerk"]), "其他销售人员", 1, 1000, 1, 950, 2, 1950, 0.03, 58.5]
    assert advisor == [2, str(shop["advisor"]), "服务顾问", 2, 540, 1, 300, 3, 840, 0.05, 42]
    assert sheet["E5"].number_format == accessory_excel.MONEY_FORMAT
    assert sheet["J5"].number_format == accessory_excel.PERCENT_FORMAT
    total = [cell.value for cell in sheet[7]]
    assert total == ["合计", None, None, 3, 1540, 2, 1250, 5, 2790, None, 100.5]
    assert sheet["K7"].font.bold and sheet["K7"].number_format == accessory_excel.MONEY_FORMAT
    assert sheet.max_row == 7


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice is missing: scripts/ensure-office.sh installs it (make test)"
    return found


def test_libreoffice_converts_the_commission_table_without_errors(shop, month_of_sales, tmp_path):
    with time_machine.travel(_at(12, 2), tick=False):
        source = tmp_path / "commission.xlsx"
        source.write_bytes(accessory_excel.commission_workbook(month=NOVEMBER).getvalue())

    done = subprocess.run(  # noqa: S603 (a fixed program on a file this test wrote)
        [
            _soffice(),
            f"-env:UserInstallation=file://{tmp_path}/profile",  # a profile of its own
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # UTF-8
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr
    rows = list(csv.reader((tmp_path / "out" / "commission.csv").open(encoding="utf-8")))
    assert rows[0][0].endswith("精品提成表(2026年11月)")
    assert rows[3][:3] == ["序号", "销售人", "岗位"]
    assert rows[6][0] == "合计"
    assert rows[6][10] == "100.50"


def _page_queries(client, month: str) -> int:
    with (
        time_machine.travel(_at(12, 2), tick=False),
        CaptureQueriesContext(connection) as captured,
    ):
        assert client.get(reverse("stock:commission"), {"month": month}).status_code == 200
    return len(captured)


def test_the_commission_page_reads_a_constant_number_of_queries(shop, month_of_sales, client):
    """Ten more sellers with a counter sale each add no query: the session and user, the
    permissions, the work-order lines by seller, the counter-sale lines by seller, the
    sellers and their groups."""
    rules_in_cache()
    with time_machine.travel(_at(12, 2), tick=False):
        client.force_login(shop["clerk"])  # sessions last a working day
    before = _page_queries(client, "2026-11")
    with time_machine.travel(_at(11, 25), tick=False):
        for index in range(10):
            accessories.counter_sale_create(
                seller=seller("parts", display_name=f"员工{index}"),
                lines=[_sale(shop["film"], 1)],
                by=shop["clerk"],
            )

    after = _page_queries(client, "2026-11")

    assert after == before
    assert before <= 10, before
