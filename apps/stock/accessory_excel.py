"""The monthly accessory commission table (精品提成表, DOMAIN.md §9) as Excel.

One sheet, in the style of the warranty statement (apps/warranty/statement.py): the title
(dealership, month), the rates, one row per seller (from accessories.commission_month, the
same figures as the page), and a total row. openpyxl's write-only mode through
apps.core.excel (a name a user typed is never a formula); amounts are numbers with two
decimals, rates percentages. A month has a few dozen sellers: built in the request.
"""

import io
from decimal import Decimal

from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from apps.core import excel
from apps.core.models import DealershipSettings
from apps.core.settings import current_settings

from .accessories import commission_month
from .services import qty

MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.##"
PERCENT_FORMAT = "0.00%"
SHEET = "精品提成表"
# Each column: its header and its width in characters.
COLUMNS = (
    ("序号", 6),
    ("销售人", 14),
    ("岗位", 14),
    ("工单精品件数", 12),
    ("工单精品金额", 14),
    ("柜台精品件数", 12),
    ("柜台精品金额", 14),
    ("精品件数合计", 12),
    ("精品金额合计", 14),
    ("提成比例", 10),
    ("提成金额", 14),
)
HEADER_ROW = 4  # title, subtitle, blank, headers


def _cell(sheet, value, *, number_format: str = "", bold: bool = False):
    cell = excel.text_cell(sheet, value) if excel.is_formula_like(value) else None
    cell = cell or WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _money(sheet, value, *, bold: bool = False):
    return _cell(sheet, Decimal(value), number_format=MONEY_FORMAT, bold=bold)


def _quantity(sheet, value, *, bold: bool = False):
    return _cell(sheet, Decimal(value), number_format=QUANTITY_FORMAT, bold=bold)


def commission_workbook(*, month) -> io.BytesIO:
    """The workbook of `month`'s accessory commission, ready to send."""
    table = commission_month(month=month)
    month = table.month
    dealership = current_settings(DealershipSettings)
    workbook = excel.new_workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    title = _cell(sheet, f"{dealership.name} 精品提成表({month:%Y年%m月})", bold=True)
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    excel.append_row(
        sheet,
        [
            f"工单按结算时间、柜台按销售时间计入 {month:%Y-%m} · 金额为折后金额"
            f" · 提成比例:服务顾问 {qty(table.advisor_rate)}%,其他销售人员 {qty(table.other_rate)}%"
            f" · 生成于 {timezone.localtime():%Y-%m-%d %H:%M}"
        ],
    )
    sheet.append([])
    header = []
    for name, _width in COLUMNS:
        cell = _cell(sheet, name, bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    for serial, row in enumerate(table.rows, 1):
        sheet.append(
            [
                serial,
                _cell(sheet, str(row.seller)),
                _cell(sheet, row.role_label),
                _quantity(sheet, row.order_quantity),
                _money(sheet, row.order_amount),
                _quantity(sheet, row.counter_quantity),
                _money(sheet, row.counter_amount),
                _quantity(sheet, row.quantity),
                _money(sheet, row.amount),
                _cell(sheet, row.rate / 100, number_format=PERCENT_FORMAT),
                _money(sheet, row.commission),
            ]
        )
    rows = table.rows
    sheet.append(
        [
            _cell(sheet, "合计", bold=True),
            None,
            None,
            _quantity(sheet, sum((r.order_quantity for r in rows), Decimal(0)), bold=True),
            _money(sheet, sum((r.order_amount for r in rows), Decimal(0)), bold=True),
            _quantity(sheet, sum((r.counter_quantity for r in rows), Decimal(0)), bold=True),
            _money(sheet, sum((r.counter_amount for r in rows), Decimal(0)), bold=True),
            _quantity(sheet, table.quantity, bold=True),
            _money(sheet, table.amount, bold=True),
            None,
            _money(sheet, table.commission, bold=True),
        ]
    )
    return excel.to_buffer(workbook)
