"""Real-world and malicious workbooks (issue 7): nothing is silently dropped, nothing hangs,
and every refusal says exactly what is wrong, in Chinese, never "系统错误".

Each test builds its workbook here: openpyxl for ordinary files, raw zip/XML surgery for
the files other programs (or attackers) write, msoffcrypto-tool for a real encrypted
workbook and xlwt for a real old .xls.
"""

import datetime as dt
import io
import re
import time
import zipfile

import msoffcrypto.format.ooxml
import pytest
import xlwt
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from apps.customers import importing
from apps.customers.models import Customer, ImportBatch, Vehicle
from apps.workorders.models import WorkOrder
from tests.customers.test_import_archive import (
    CUSTOMERS,
    HISTORY,
    VEHICLES,
    VIN_A,
    VIN_B,
    archive_counts,
    customer_row,
    error,
    history_row,
    run_import,
    vehicle_row,
    xlsx,
)
from tests.factories.customers import VehicleFactory

pytestmark = pytest.mark.django_db

SHEET_PART = "xl/worksheets/sheet1.xml"
NOTHING = {"customers": 0, "vehicles": 0, "ownerships": 0, "work_orders": 0, "lines": 0}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def manager(user_with_role):
    return user_with_role("manager")


def rewrite(content: bytes, part: str, change) -> bytes:
    """The workbook with one part's XML text passed through change(text)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return buffer.getvalue()


def customers_sheet(rows: int) -> bytes:
    return xlsx({CUSTOMERS: [customer_row(mobile=f"1381234{n:04d}") for n in range(rows)]})


def only_message(batch) -> str:
    assert batch.status == ImportBatch.Status.REJECTED
    assert archive_counts() == NOTHING
    assert len(batch.errors) == 1, batch.errors
    assert "系统错误" not in batch.errors[0]["message"]
    return batch.errors[0]["message"]


# --- 1. every row is read, whatever the declared dimension says -----------------------


def test_dimension_declared_smaller_than_the_data_still_imports_every_row(manager):
    # Given 50 customers under a <dimension> claiming A1:B2 (as other programs write it)
    content = rewrite(
        customers_sheet(50),
        SHEET_PART,
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B2"', xml),
    )

    # When it is imported
    batch = run_import(content, by=manager)

    # Then every row is imported, not the first one
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.summary["rows"], Customer.objects.count()) == (50, 50)


def test_dimension_of_a_whole_sheet_with_a_styled_last_cell_costs_seconds(manager):
    # Given 3 customers, a dimension A1:XFD1048576 and a styled empty cell at the last row
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CUSTOMERS
    sheet.append([column.header for column in importing.SHEETS[CUSTOMERS]])
    for n in range(3):
        sheet.append(["张伟", None, f"1381234{n:04d}"])
    sheet["XFD1048576"].fill = PatternFill("solid", fgColor="FFFF00")
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = rewrite(
        buffer.getvalue(),
        SHEET_PART,
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml),
    )
    assert 'r="XFD1048576"' in zipfile.ZipFile(io.BytesIO(content)).read(SHEET_PART).decode()

    # When it is imported
    started = time.monotonic()
    batch = run_import(content, by=manager)

    # Then it takes seconds (openpyxl's read-only mode walks a million empty rows here)
    assert time.monotonic() - started < 10
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert Customer.objects.count() == 3


# --- 2. every sheet is accounted for ---------------------------------------------------


@pytest.mark.parametrize(
    ("title", "meant"),
    [("车辆 ", VEHICLES), ("维修记录2023", HISTORY), ("車輛", VEHICLES), ("客戶", CUSTOMERS)],
)
def test_sheet_named_close_to_a_template_sheet_is_an_error_naming_it(manager, title, meant):
    # Given a good customer sheet and a sheet whose name is almost a template name
    workbook = Workbook()
    workbook.remove(workbook.active)
    good = workbook.create_sheet(CUSTOMERS if meant != CUSTOMERS else "客户资料旧")
    good.append([c.header for c in importing.SHEETS[CUSTOMERS]])
    near = workbook.create_sheet(title)
    near.append([c.header for c in importing.SHEETS[meant]])
    near.append(["x"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    # When it is imported
    batch = run_import(buffer.getvalue(), by=manager)

    # Then that sheet is not ignored: the error names the sheet the user meant
    assert batch.status == ImportBatch.Status.REJECTED
    assert (
        error(
            title,
            0,
            "",
            f"工作表名“{title}”不是模板的工作表名,应为“{meant}”:"
            f"请改名为“{meant}”(或把数据移到“{meant}”表)后再导入。",
        )
        in batch.errors
    )
    assert archive_counts() == NOTHING


def test_unknown_sheet_with_data_is_an_error_and_empty_sheets_are_fine(manager):
    # Given customers, an empty 车辆 sheet (header only), an empty Sheet1, and 统计 with data
    workbook = Workbook()
    workbook.remove(workbook.active)
    customers = workbook.create_sheet(CUSTOMERS)
    customers.append([c.header for c in importing.SHEETS[CUSTOMERS]])
    customers.append(["张伟", None, "13812345678"])
    workbook.create_sheet(VEHICLES).append([c.header for c in importing.SHEETS[VEHICLES]])
    workbook.create_sheet("Sheet1")
    workbook.create_sheet("统计").append(["合计", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.errors == [
        error(
            "统计",
            0,
            "",
            "工作表“统计”不是导入模板中的工作表(客户、车辆、维修记录),其中的数据不会导入:"
            "请把数据移到对应的工作表,或删除该表。",
        )
    ]

    # and without 统计 the same file imports (empty sheets lose nothing)
    del workbook["统计"]
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = run_import(buffer.getvalue(), by=manager)
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert Customer.objects.count() == 1


# --- 3. every column is accounted for --------------------------------------------------


def _sheet(title, header, *rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_unknown_header_is_an_error_listing_the_expected_names(manager):
    content = _sheet(CUSTOMERS, ["姓名", "手机", "微信号"], ["张伟", "13812345678", "zw"])

    batch = run_import(content, by=manager)

    expected = "、".join(c.header for c in importing.SHEETS[CUSTOMERS])
    assert batch.errors == [
        error(CUSTOMERS, 1, "C 微信号", f"无法识别的表头“微信号”。本表可用的表头:{expected}。")
    ]
    assert archive_counts() == NOTHING


def test_synonyms_of_an_old_system_are_accepted_as_headers(manager):
    content = _sheet(
        CUSTOMERS,
        ["客户姓名", "手机号码", "身份证号码", "联系地址", "固定电话"],
        ["张伟", "13812345678", "440305198506150011", "深圳市南山区", "0755-26001234"],
    )

    batch = run_import(content, by=manager)

    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert list(Customer.objects.values_list("name", "id_number", "address", "phone_other")) == [
        ("张伟", "440305198506150011", "深圳市南山区", "075526001234")
    ]


def test_merged_header_cells_and_headerless_data_are_explained(manager):
    # Given 手机 merged over C1:D1, and a number under the blank D1
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CUSTOMERS
    sheet.append(["姓名", "类型", "手机", None])
    sheet.append(["张伟", "个人", "13812345678", "13912345678"])
    sheet.merge_cells("C1:D1")
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.errors == [
        error(
            CUSTOMERS,
            1,
            "D",
            "第 D 列没有表头,但第 2 行起有数据:请补上模板中的表头,或删除该列。",
        ),
        error(
            CUSTOMERS,
            1,
            "C1:D1",
            "表头 C1:D1 是合并单元格:每列须有自己的表头,请取消合并后按模板填写表头。",
        ),
    ]
    assert archive_counts() == NOTHING


def test_merged_data_cells_are_an_error_not_blanks(manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CUSTOMERS
    sheet.append(["姓名", "手机", "地址"])
    sheet.append(["张伟", "13812345678", "深圳市南山区"])
    sheet.append(["李娜", "13912345678", None])
    sheet.merge_cells("C2:C3")
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.errors == [
        error(
            CUSTOMERS,
            2,
            "C2:C3",
            "C2:C3 是合并单元格:合并后只有第一格有值,其余各格会被当作空白。"
            "请取消合并,并在每一行填入对应的值。",
        )
    ]


# --- 4. conflicting rows within one file -----------------------------------------------


def test_two_rows_of_one_vin_with_different_data_name_both_rows(manager):
    content = xlsx(
        {VEHICLES: [vehicle_row(VIN_A, plate="粤B12345"), vehicle_row(VIN_A, plate="粤B54321")]}
    )

    batch = run_import(content, by=manager)

    assert batch.errors == [
        error(
            VEHICLES, 3, "车牌", "与第 2 行是同一辆车(VIN 相同),但 “车牌” 不同:请核对后只保留一种。"
        )
    ]
    assert archive_counts() == NOTHING


def test_two_rows_of_one_customer_with_different_data_name_both_rows(manager):
    content = xlsx(
        {CUSTOMERS: [customer_row(address="深圳市南山区"), customer_row(address="广州市天河区")]}
    )

    batch = run_import(content, by=manager)

    assert batch.errors == [
        error(
            CUSTOMERS,
            3,
            "地址",
            "与第 2 行是同一客户(手机+姓名相同),但 “地址” 不同:请核对后只保留一种。",
        )
    ]


# --- 7. values keep their meaning ------------------------------------------------------


def test_free_text_keeps_its_line_breaks(manager):
    content = xlsx(
        {
            CUSTOMERS: [customer_row(note="第一行\n第二行\u00a0 末尾")],
            VEHICLES: [vehicle_row(VIN_A)],
            HISTORY: [history_row("WO1", VIN_A, customer_words="异响\r\n刹车软")],
        }
    )

    run_import(content, by=manager)

    assert Customer.objects.get().note == "第一行\n第二行 末尾"
    assert WorkOrder.objects.get().customer_words == "异响\n刹车软"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            vehicle_row(VIN_A, sale_date="2024111"),
            "I 销售日期",
            "日期格式不正确或有歧义:“2024111”,应为 2024-05-18(年-月-日)。",
        ),
        (
            vehicle_row(VIN_A, sale_date=20241101.5),
            "I 销售日期",
            "“20241101.5”是数字,不是日期:请把该列设为日期格式,或填写为 2024-05-18。",
        ),
        (
            vehicle_row(VIN_A, owner_mobile="=B2"),
            "H 车主手机*",
            "公式没有计算结果:请在 Excel 中打开文件、重新计算并保存,或把公式改为数值。",
        ),
        (
            vehicle_row(VIN_A, colour="#N/A"),  # openpyxl stores it as an error cell
            "E 颜色",
            "单元格是 Excel 错误值 #N/A,请改正公式或填入数值。",
        ),
    ],
    ids=["ambiguous-date", "number-as-date", "formula-without-value", "excel-error-value"],
)
def test_values_that_lost_their_meaning_are_errors(manager, row, column, message):
    batch = run_import(xlsx({VEHICLES: [row]}), by=manager)

    assert batch.errors == [error(VEHICLES, 2, column, message)]
    assert archive_counts() == NOTHING


def test_full_width_dates_and_chinese_dates_are_understood(manager):
    content = xlsx({VEHICLES: [vehicle_row(VIN_A, sale_date="２０２２年５月１８日")]})

    run_import(content, by=manager)

    assert Vehicle.objects.get().sale_date == dt.date(2022, 5, 18)


def test_landline_stored_as_a_number_is_an_error(manager):
    # 0755-26001234 typed into a General cell: Excel keeps 75526001234
    batch = run_import(xlsx({CUSTOMERS: [customer_row(phone_other=75526001234)]}), by=manager)

    assert batch.errors == [
        error(
            CUSTOMERS,
            2,
            "D 其他电话",
            "电话被 Excel 存成了数字(开头的 0 已丢失),请把该列设为文本后重填。",
        )
    ]


def test_delivery_before_arrival_is_an_error(manager):
    content = xlsx(
        {
            VEHICLES: [vehicle_row(VIN_A)],
            HISTORY: [history_row("WO1", VIN_A, opened_on="2023-05-18", delivered_on="2023-05-17")],
        }
    )

    batch = run_import(content, by=manager)

    assert batch.errors == [error(HISTORY, 2, "交车日期", "交车日期早于进厂日期。")]


def test_order_whose_lines_add_up_beyond_the_total_column_is_a_row_error(manager):
    lines = [history_row("WO1", VIN_A, amount=99_999_999) for _ in range(101)]
    batch = run_import(xlsx({VEHICLES: [vehicle_row(VIN_A)], HISTORY: lines}), by=manager)

    assert batch.errors == [error(HISTORY, 2, "金额", "工单 WO1 的合计金额超出上限 10000000000。")]


# --- 8. bounded memory and time; hostile files -----------------------------------------


def test_million_character_cell_is_reported_quoting_a_short_prefix(manager, settings):
    # (written into the XML directly: openpyxl and Excel stop at 32,767 characters)
    settings.IMPORT_MAX_CELL_CHARS = 5000
    content = rewrite(
        xlsx({CUSTOMERS: [customer_row(note="NOTE")]}),
        SHEET_PART,
        lambda xml: xml.replace("NOTE", "很长" * 500_000),
    )

    started = time.monotonic()
    batch = run_import(content, by=manager)

    assert time.monotonic() - started < 20
    assert batch.errors == [
        error(
            CUSTOMERS,
            2,
            "O 备注",
            "内容过长(1000000 个字符),超过单元格上限:“很长很长很长很长很长很长很长很长很长很长…”。",
        )
    ]


def test_errors_stop_being_collected_at_the_cap(manager, settings):
    settings.IMPORT_MAX_ERRORS = 5
    content = xlsx({CUSTOMERS: [customer_row(mobile="1") for _ in range(100)]})

    batch = run_import(content, by=manager)

    assert len(batch.errors) == 6
    assert batch.errors[-1] == error(
        "", 0, "", "错误已达 5 处,停止检查其余内容;请先修正以上错误再上传。"
    )
    assert batch.summary["error_count"] == 6


def test_rows_beyond_the_cap_are_refused(manager, settings):
    settings.IMPORT_MAX_ROWS_PER_SHEET = 10
    batch = run_import(customers_sheet(20), by=manager)

    assert only_message(batch) == "工作表“客户”超过 10 行的上限,请拆分成几个文件分别导入。"


def test_small_file_expanding_to_hundreds_of_megabytes_is_refused_at_once(manager):
    # Given a 1 MB zip whose sheet inflates to 300 MB of blank rows (a zip bomb)
    blank = b"<row/>" * (50 * 1024 * 1024)
    head = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    source = zipfile.ZipFile(io.BytesIO(customers_sheet(1)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == SHEET_PART:
                target.writestr(SHEET_PART, head + blank + b"</sheetData></worksheet>")
            else:
                target.writestr(info, source.read(info))
    assert len(buffer.getvalue()) < 2 * 1024 * 1024

    started = time.monotonic()
    batch = run_import(buffer.getvalue(), by=manager)

    assert time.monotonic() - started < 5
    assert only_message(batch) == "文件解压后异常膨胀(压缩比过高),可能是被篡改的文件,已拒绝。"


def test_sheet_xml_over_the_cap_is_refused(manager, settings):
    settings.IMPORT_MAX_XML_MB = 1
    batch = run_import(customers_sheet(20_000), by=manager)

    assert only_message(batch) == (
        f"文件解压后过大(部件 {SHEET_PART} 超过 1 MB),请拆分成几个较小的文件。"
    )


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"""


@pytest.mark.parametrize(
    ("prolog", "entity"), [(BILLION_LAUGHS, "&lol2;"), (EXTERNAL, "&xxe;")], ids=["bomb", "xxe"]
)
def test_entity_expansion_and_external_entities_are_refused(manager, prolog, entity):
    def poison(xml):
        xml = re.sub(r"^<\?xml[^>]*\?>", "", xml)
        return prolog + xml.replace("<v>", f"<v>{entity}", 1)

    content = rewrite(customers_sheet(1), SHEET_PART, poison)

    batch = run_import(content, by=manager)

    assert only_message(batch) == (
        "文件含有不允许的 XML 声明(DTD 或实体引用),可能是被篡改的文件,已拒绝。"
    )


def test_broken_xml_gets_its_own_message(manager):
    content = rewrite(customers_sheet(3), SHEET_PART, lambda xml: xml[: len(xml) // 2])

    message = only_message(run_import(content, by=manager))

    assert re.fullmatch(
        r"文件内容已损坏\(工作表“客户”第 \d+ 行 XML 格式错误\),"
        r"请在 Excel 中打开后另存为 \.xlsx 再上传。",
        message.replace("(", "(").replace(")", ")"),
    )


def test_truncated_zip_gets_its_own_message(manager):
    content = customers_sheet(3)

    message = only_message(run_import(content[: len(content) - 200], by=manager))

    assert message == "文件已损坏(不是完整的 .xlsx 文件),请在 Excel 中打开后另存为 .xlsx 再上传。"


def test_encrypted_workbook_is_refused_with_its_own_message(manager):
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(customers_sheet(1))).encrypt("1234", encrypted)

    message = only_message(run_import(encrypted.getvalue(), by=manager))

    assert message == "文件已加密,请取消密码后另存为 .xlsx 再上传。"


def test_old_xls_is_refused_with_its_own_message(manager):
    workbook = xlwt.Workbook()
    workbook.add_sheet(CUSTOMERS).write(0, 0, "姓名")
    buffer = io.BytesIO()
    workbook.save(buffer)

    message = only_message(run_import(buffer.getvalue(), by=manager))

    assert message == "这是旧版 .xls 文件,请在 Excel 中另存为 .xlsx 后再上传。"


def test_zip_without_a_workbook_is_refused(manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")

    message = only_message(run_import(buffer.getvalue(), by=manager))

    assert message == (
        "文件中没有 Excel 工作簿(可能是改了扩展名的其他文件),请上传用导入模板填写的 .xlsx 文件。"
    )


def test_workbook_with_renamed_parts_is_found_through_its_relationships(manager):
    # Given a workbook whose parts live under other names (as some exporters write them)
    source = zipfile.ZipFile(io.BytesIO(xlsx({CUSTOMERS: [customer_row()]})))
    buffer = io.BytesIO()
    renames = {"xl/workbook.xml": "xl/book.xml", SHEET_PART: "xl/worksheets/kunden.xml"}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info).decode()
            for old, new in renames.items():
                data = data.replace(old.removeprefix("xl/"), new.removeprefix("xl/"))
            name = renames.get(info.filename, info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                name = "xl/_rels/book.xml.rels"
            target.writestr(name, data)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert Customer.objects.count() == 1


def test_two_vins_with_one_plate_in_a_file_name_both_rows(manager):
    content = xlsx(
        {VEHICLES: [vehicle_row(VIN_A, plate="粤B12345"), vehicle_row(VIN_B, plate="粤B12345")]}
    )

    batch = run_import(content, by=manager)

    assert batch.errors == [
        error(
            VEHICLES,
            3,
            "车牌",
            f"车牌 粤B12345 与第 2 行的车辆(VIN {VIN_A})相同:同一车牌只能登记在一辆车上,请核对。",
        )
    ]
    assert archive_counts() == NOTHING


def test_plate_held_by_another_car_in_the_archive_is_a_conflict_not_a_failure(manager):
    # Given a car in the archive holding 粤B12345
    holder = VehicleFactory(plate="粤B12345")

    # When a file names a new car with that plate
    batch = run_import(xlsx({VEHICLES: [vehicle_row(VIN_B, plate="粤B12345")]}), by=manager)

    # Then the new car is imported without the plate, and the conflict is listed
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert list(Vehicle.objects.filter(vin=VIN_B).values_list("plate", flat=True)) == [""]
    assert Vehicle.objects.get(pk=holder.pk).plate == "粤B12345"
    assert batch.conflicts == [
        error(
            VEHICLES,
            2,
            "车牌",
            f"车牌 粤B12345 在系统中登记在另一辆车(VIN {holder.vin})上:"
            "未填入本车;如车牌已转到本车,请先在原车上释放车牌。",
        )
    ]
