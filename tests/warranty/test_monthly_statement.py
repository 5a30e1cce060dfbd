"""The monthly statement of the amounts due from the maker (DOMAIN.md §4): the claims the
maker approved in the month, as Excel (checked cell by cell, and converted by LibreOffice
headless without errors), the invoice recorded once, and the reminder to issue it."""

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
from django.urls import reverse
from openpyxl import load_workbook

from apps.warranty import selectors, services, statement
from apps.warranty.models import MonthlyStatement, WarrantyClaim
from tests.factories.clock import SHANGHAI
from tests.factories.core import rules_in_cache
from tests.factories.warranty import claim_in_state
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
S = WarrantyClaim.Status
JUNE = dt.date(2026, 6, 1)
HOSTILE = '=HYPERLINK("http://evil.example","点击")'


def _at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def by():
    return flow_user()


@pytest.fixture
def june(by):
    """Three claims the maker approved in June 2026 (one paid less than approved), one
    approved on 1 July, one rejected in June and one still submitted."""
    made = {}
    with time_machine.travel(_at(6, 2), tick=False):
        for key in ("paid", "approved", "short", "july", "rejected", "waiting"):
            made[key] = claim_in_state(
                S.SUBMITTED, by=by, fault_description=HOSTILE if key == "approved" else "水温高"
            )
    with time_machine.travel(_at(6, 10), tick=False):
        services.claim_approve(
            claim=made["paid"], by=by, approved_amount="1600.00", maker_reference="JS-0610"
        )
        services.claim_approve(claim=made["short"], by=by, approved_amount="1450.50")
        services.claim_transition(claim=made["rejected"], name="reject", by=by, reason="缺照片")
    with time_machine.travel(_at(6, 30, 23), tick=False):
        services.claim_approve(claim=made["approved"], by=by, approved_amount="1600.00")
    with time_machine.travel(_at(7, 1, 0), tick=False):
        services.claim_approve(claim=made["july"], by=by, approved_amount="1600.00")
    with time_machine.travel(_at(7, 5), tick=False):
        services.claim_pay(claim=made["paid"], by=by, paid_amount="1600.00")
        services.claim_pay(
            claim=made["short"], by=by, paid_amount="1400.00", maker_reference="JS-0705"
        )
    for claim in made.values():
        claim.refresh_from_db()
    return made


def test_the_statement_totals_are_the_months_approvals(june):
    totals = selectors.statement_totals(month=JUNE)

    assert (totals.claims, totals.claimed, totals.approved, totals.paid, totals.outstanding) == (
        3,
        Decimal("4800.00"),
        Decimal("4650.50"),
        Decimal("3000.00"),
        Decimal("1650.50"),
    )
    assert list(selectors.statement_claims(month=JUNE)) == sorted(
        [june["paid"], june["approved"], june["short"]], key=lambda claim: claim.number
    )


def _cells(row) -> list:
    return [cell.value for cell in row]


def test_the_excel_statement_holds_every_claim_cell_by_cell(june):
    with time_machine.travel(_at(7, 10), tick=False):
        content = statement.statement_workbook(month=JUNE).getvalue()

    sheet = load_workbook(io.BytesIO(content))[statement.SHEET]
    rows = list(sheet.iter_rows())
    assert _cells(rows[0])[0] == "示例汽车4S店 三包索赔月结单(2026年06月)"
    assert _cells(rows[1])[0] == (
        "厂家批准日期 2026-06-01 至月末 · 索赔单 3 张 · 应收 4,650.50 元 · 已到账 3,000.00 元"
    )
    assert _cells(rows[3]) == [name for name, _width in statement.COLUMNS]
    claims = sorted([june["paid"], june["approved"], june["short"]], key=lambda c: c.number)
    expected = {
        june["paid"].pk: (
            "厂家已付款",
            Decimal("1600.00"),
            dt.datetime(2026, 6, 10),
            Decimal("1600.00"),
            "JS-0610",
            "水温高",
        ),
        june["approved"].pk: (
            "厂家已批准",
            Decimal("1600.00"),
            dt.datetime(2026, 6, 30),
            None,
            None,
            HOSTILE,
        ),
        june["short"].pk: (
            "厂家已付款",
            Decimal("1450.50"),
            dt.datetime(2026, 6, 10),
            Decimal("1400.00"),
            "JS-0705",
            "水温高",
        ),
    }
    for serial, (claim, row) in enumerate(zip(claims, rows[4:7], strict=True), start=1):
        status, approved, decided, paid, reference, fault = expected[claim.pk]
        order, vehicle = claim.work_order, claim.vehicle
        assert _cells(row) == [
            serial,
            claim.number,
            order.number,
            dt.datetime(2026, 6, 2),  # settled on (the order was settled on the 2nd)
            vehicle.vin,
            vehicle.plate,
            vehicle.model_name,
            "FW2026110001",
            "发动机",
            fault,
            0,
            400,
            1200,
            1600,
            float(approved),
            decided,
            status,
            None if paid is None else float(paid),
            reference,
        ]
        money = [row[index] for index in (11, 12, 13, 14)]
        assert {cell.number_format for cell in money} == {"#,##0.00"}
        assert row[3].number_format == row[15].number_format == "yyyy-mm-dd"
    hostile = rows[4 + claims.index(june["approved"])][9]
    assert (hostile.data_type, hostile.quotePrefix) == ("s", True)  # text, never a formula
    total = _cells(rows[7])
    assert total[0] == "合计"
    assert (total[13], total[14], total[17]) == (4800, 4650.5, 3000)
    assert len(rows) == 8


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice is missing: scripts/ensure-office.sh installs it (make test)"
    return found


def test_libreoffice_converts_the_statement_without_errors(june, tmp_path):
    with time_machine.travel(_at(7, 10), tick=False):
        source = tmp_path / "statement.xlsx"
        source.write_bytes(statement.statement_workbook(month=JUNE).getvalue())

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
    rows = list(csv.reader((tmp_path / "out" / "statement.csv").open(encoding="utf-8")))
    assert rows[0][0] == "示例汽车4S店 三包索赔月结单(2026年06月)"
    assert rows[3][:3] == ["序号", "索赔单号", "工单号"]
    assert [row[1] for row in rows[4:7]] == sorted(
        claim.number for claim in (june["paid"], june["approved"], june["short"])
    )
    assert rows[7][0] == "合计"
    assert rows[7][14] == "4,650.50"


def test_the_statement_page_lists_the_month_and_downloads_the_workbook(june, role_client):
    client = role_client("warranty")

    with time_machine.travel(_at(7, 10), tick=False):
        page = client.get(reverse("warranty:statement"), {"month": "2026-06"})
        download = client.get(reverse("warranty:statement_excel"), {"month": "2026-06"})

    body = page.content.decode()
    assert page.status_code == 200
    assert "¥4650.50" in body and "¥1650.50" in body
    assert "请向厂家开具 ¥4650.50 的发票" in body
    assert download["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('三包索赔月结单-2026-06.xlsx')}"
    )
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook[statement.SHEET]["B5"].value == min(
        claim.number for claim in (june["paid"], june["approved"], june["short"])
    )


def test_the_invoice_reminder_lists_a_past_month_until_its_invoice_is_recorded(june, by):
    with time_machine.travel(_at(7, 10), tick=False):
        before = selectors.invoices_due(today=dt.date(2026, 7, 10))
        services.statement_record_invoice(
            month=JUNE, by=by, invoice_number="No.04417", invoice_issued_on=dt.date(2026, 7, 9)
        )
        after = selectors.invoices_due(today=dt.date(2026, 7, 10))

    assert [(due.month, due.claims, due.approved) for due in before] == [
        (JUNE, 3, Decimal("4650.50"))
    ]
    assert after == []
    recorded = MonthlyStatement.objects.get()
    assert (recorded.month, recorded.claims_count, recorded.total_amount) == (
        JUNE,
        3,
        Decimal("4650.50"),
    )


@pytest.mark.parametrize(
    ("month", "issued", "message"),
    [
        (dt.date(2026, 7, 1), dt.date(2026, 7, 9), "本月尚未结束,月底后再开票。"),
        (dt.date(2026, 5, 1), dt.date(2026, 7, 9), "2026年05月没有厂家批准的索赔单,无需开票。"),
        (JUNE, dt.date(2026, 7, 11), "开票日期不能晚于今天。"),
    ],
)
def test_an_invoice_for_a_month_not_over_empty_or_dated_ahead_is_refused(
    june, by, month, issued, message
):
    with time_machine.travel(_at(7, 10), tick=False), pytest.raises(ValidationError) as refused:
        services.statement_record_invoice(
            month=month, by=by, invoice_number="No.1", invoice_issued_on=issued
        )

    assert refused.value.messages == [message]
    assert not MonthlyStatement.objects.exists()


def test_an_invoice_is_recorded_once(june, by):
    with time_machine.travel(_at(7, 10), tick=False):
        services.statement_record_invoice(
            month=JUNE, by=by, invoice_number="No.1", invoice_issued_on=dt.date(2026, 7, 9)
        )
        with pytest.raises(ValidationError) as refused:
            services.statement_record_invoice(
                month=JUNE, by=by, invoice_number="No.2", invoice_issued_on=dt.date(2026, 7, 9)
            )

    assert refused.value.messages == ["2026年06月已登记发票 No.1,不能重复登记。"]
    assert list(MonthlyStatement.objects.values_list("invoice_number", flat=True)) == ["No.1"]


def test_a_thousand_claim_month_is_written_with_constant_queries(by, django_assert_num_queries):
    with time_machine.travel(_at(6, 2), tick=False):
        claim = claim_in_state(S.APPROVED, by=by)
    template = WarrantyClaim.objects.get(pk=claim.pk)
    values = {
        field.attname: getattr(template, field.attname)
        for field in WarrantyClaim._meta.concrete_fields
        if field.attname not in ("id", "number")
    }
    WarrantyClaim.objects.bulk_create(
        [WarrantyClaim(number=f"CL202606{serial:04d}", **values) for serial in range(2, 1001)]
    )

    rules_in_cache()

    # the totals, the invoice, the claims with their orders and vehicles (one server-side
    # cursor, read 500 rows at a time)
    with time_machine.travel(_at(7, 10), tick=False), django_assert_num_queries(3):
        content = statement.statement_workbook(month=JUNE).getvalue()

    sheet = load_workbook(io.BytesIO(content), read_only=True)[statement.SHEET]
    assert sum(1 for _row in sheet.iter_rows()) == 4 + 1000 + 1  # title rows, claims, total


def test_the_outside_service_mileage_is_on_the_statement(by):
    with time_machine.travel(_at(6, 2), tick=False):
        claim = claim_in_state(S.APPROVED, by=by, outside_service_km=36)

    with time_machine.travel(_at(7, 2), tick=False):
        sheet = load_workbook(statement.statement_workbook(month=JUNE))[statement.SHEET]

    assert (sheet["B5"].value, sheet["K5"].value) == (claim.number, 36)
