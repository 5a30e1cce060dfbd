"""The monthly statement of the amounts due from the maker (三包索赔月结单) as Excel.

One sheet: the title (dealership, month), the claims the maker approved that month (one
row each, in claim-number order), and a total row. Written in openpyxl's write-only mode
through apps.core.excel (rows streamed; text a user typed is never a formula); amounts are
numbers with two decimals, dates are dates. A month is at most a few hundred claims: it is
built in the request (a 1,000-claim month takes well under a second, tests/warranty).
"""

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from apps.core import excel
from apps.core.models import DealershipSettings
from apps.core.settings import current_settings

from .models import System
from .selectors import settled_on, statement_claims, statement_totals

PAGE_ROWS = 200  # claims the statement page lists (the Excel file holds them all)
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SHEET = "索赔月结单"
# Each column: its header and its width in characters.
COLUMNS = (
    ("序号", 6),
    ("索赔单号", 16),
    ("工单号", 18),
    ("结算日期", 12),
    ("VIN", 20),
    ("车牌", 11),
    ("车型", 18),
    ("服务令号", 16),
    ("故障系统", 12),
    ("故障描述", 30),
    ("外出服务里程(公里)", 10),
    ("工时费", 12),
    ("配件费", 12),
    ("索赔金额", 12),
    ("批准金额", 12),
    ("批准日期", 12),
    ("状态", 10),
    ("到账金额", 12),
    ("厂家结算单号", 16),
)
HEADER_ROW = 4  # title, subtitle, blank, headers
SYSTEMS = dict(System.choices)


def _cell(sheet, value, *, number_format: str = "", bold: bool = False):
    cell = WriteOnlyCell(sheet, value=value)
    if excel.is_formula_like(value):
        cell = excel.text_cell(sheet, value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _money(sheet, value, *, bold: bool = False):
    return _cell(
        sheet, value if value is None else Decimal(value), number_format=MONEY_FORMAT, bold=bold
    )


def _date(sheet, moment):
    if moment is None:
        return None
    day = timezone.localdate(moment) if isinstance(moment, dt.datetime) else moment
    return _cell(sheet, day, number_format=DATE_FORMAT)


def statement_workbook(*, month) -> io.BytesIO:
    """The workbook of `month`'s statement, ready to send."""
    month = month.replace(day=1)
    dealership = current_settings(DealershipSettings)
    totals = statement_totals(month=month)
    workbook = excel.new_workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    title = _cell(sheet, f"{dealership.name} 三包索赔月结单({month:%Y年%m月})", bold=True)
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    excel.append_row(
        sheet,
        [
            f"厂家批准日期 {month:%Y-%m-01} 至月末 · 索赔单 {totals.claims} 张"
            f" · 应收 {totals.approved:,.2f} 元 · 已到账 {totals.paid:,.2f} 元"
        ],
    )
    sheet.append([])
    header = []
    for name, _width in COLUMNS:
        cell = _cell(sheet, name, bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    for serial, claim in enumerate(statement_claims(month=month).iterator(chunk_size=500), 1):
        order = claim.work_order
        sheet.append(
            [
                serial,
                _cell(sheet, claim.number),
                _cell(sheet, order.number),
                _date(sheet, settled_on(order)),
                _cell(sheet, claim.vehicle.vin),
                _cell(sheet, claim.vehicle.plate),
                _cell(sheet, claim.vehicle.model_name),
                _cell(sheet, claim.service_order_number),
                _cell(sheet, SYSTEMS.get(claim.system, "")),
                _cell(sheet, claim.fault_description),
                claim.outside_service_km,
                _money(sheet, claim.labour_amount),
                _money(sheet, claim.parts_amount),
                _money(sheet, claim.claimed_amount),
                _money(sheet, claim.approved_amount),
                _date(sheet, claim.decided_at),
                _cell(sheet, claim.get_status_display()),
                _money(sheet, claim.paid_amount),
                _cell(sheet, claim.maker_reference),
            ]
        )
    total_row = [_cell(sheet, "合计", bold=True)] + [None] * (len(COLUMNS) - 1)
    total_row[13] = _money(sheet, totals.claimed, bold=True)
    total_row[14] = _money(sheet, totals.approved, bold=True)
    total_row[17] = _money(sheet, totals.paid, bold=True)
    sheet.append(total_row)
    return excel.to_buffer(workbook)
