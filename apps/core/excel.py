"""Writing Excel workbooks: every export, report and template of the DMS goes through here.

Formula injection: a customer record may hold text such as `=HYPERLINK("http://…")` or
`+cmd|' /C calc'!A0` typed by anyone who can edit it. openpyxl stores a string beginning
with "=" as a formula, and Excel may treat + - @ (and a leading tab or carriage return) as
the start of one when the cell is edited. `append_row` writes every such text as a plain
string cell with Excel's quote prefix (the cell shows the text; editing it keeps it text),
so nothing a user typed ever runs in a manager's Excel. Numbers, dates and booleans are
written as they are.
"""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# OWASP's list for CSV injection: = + - @, and tab / carriage return that some spreadsheet
# programs strip before looking for one of those.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def new_workbook(*, write_only: bool = False) -> Workbook:
    """An empty workbook (no default sheet); write_only for big sheets (rows streamed)."""
    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    return workbook


def text_cell(sheet, value: str):
    """A cell holding `value` as text, never as a formula, whatever it begins with."""
    cell = WriteOnlyCell(sheet, value=value) if _write_only(sheet) else Cell(sheet, value=value)
    cell.data_type = "s"  # openpyxl made it "f" for a leading "="
    cell.quotePrefix = True
    return cell


def safe_value(sheet, value):
    """`value` as it may be appended to `sheet`: formula-like text becomes a text cell."""
    if is_formula_like(value):
        return text_cell(sheet, value)
    return value


def append_row(sheet, values) -> None:
    """sheet.append() for any workbook, normal or write-only, with formula-like text made
    safe. The one way the DMS writes a row of data into a workbook."""
    sheet.append([safe_value(sheet, value) for value in values])


def _write_only(sheet) -> bool:
    return isinstance(sheet, WriteOnlyWorksheet)


def to_buffer(workbook: Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
