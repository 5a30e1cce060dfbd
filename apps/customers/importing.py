"""Excel import of the old system's archive: customers, vehicles and service history.

All or nothing (DOMAIN.md §2): the whole workbook is read and checked first; any bad cell
is reported as sheet, row, column and reason in Chinese, and then nothing is written.
A clean workbook is written in one transaction, one import at a time (a database lock).

Nothing is silently dropped: every sheet, every column and every row is accounted for (an
unknown sheet or header with data is an error, never ignored). Re-importing never undoes
work done in the app: a file value differing from what the app holds is listed as a
conflict and left alone, blanks are filled, new records added. Duplicates are merged by
mobile + name (customers), VIN (vehicles) and number (work orders); two rows of one record
that disagree are an error naming both rows.
"""

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from apps.core import excel
from apps.core.text import normalize_text
from apps.core.xlsx_reader import (
    FORMULA_WITHOUT_VALUE,
    ExcelErrorValue,
    Limits,
    TooLong,
    WorkbookError,
    XlsxWorkbook,
)
from apps.workorders.models import Payer, WorkOrder, WorkOrderLine
from apps.workorders.services import ImportedLine, ImportedOrder, work_orders_import_many

from .models import Customer, ImportBatch, Vehicle
from .services import (
    customers_create_many,
    customers_recompute_segments,
    vehicles_register_many,
)
from .validators import (
    VIN_CHECK_DIGIT_CODE,
    id_number_birthday,
    id_number_sex,
    is_vin_check_digit_valid,
    normalize_credit_code,
    normalize_id_number,
    normalize_mobile,
    normalize_phone_other,
    normalize_plate,
    normalize_vin,
)

MAX_INTEGER = 2_147_483_647  # PostgreSQL's integer, which PositiveIntegerField uses
# WorkOrderLine.quantity has 10 digits with 2 decimals, the narrowest decimal column; a line
# of 100 million yuan is beyond any real work order anyway.
MAX_DECIMAL = Decimal(10**8)
# The order totals have 12 digits with 2 decimals.
MAX_TOTAL = Decimal(10**10)
QUOTE_CHARS = 20  # an error quotes at most this many characters of a cell
CACHE_SIZE = 200_000  # converted cell values kept (a few tens of MB at most)
_MISSING = object()
CHECK_SHARE = 50  # percent of the progress bar for checking; writing is the rest
PROGRESS_SECONDS = 1.0  # progress is stored at most once a second (one small UPDATE)
LOOKUP_CHUNK = 5000  # values per IN (...) when loading what the archive already holds
# The pg_advisory_xact_lock key of the import; any number no other lock of the DMS uses.
IMPORT_LOCK_KEY = 7_100_001


def limits() -> Limits:
    """The caps of settings.py (IMPORT_*, each overridable from the environment)."""
    return Limits(
        max_file_bytes=settings.IMPORT_MAX_FILE_MB * 1024 * 1024,
        max_xml_bytes=settings.IMPORT_MAX_XML_MB * 1024 * 1024,
        max_rows=settings.IMPORT_MAX_ROWS_PER_SHEET,
        max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
    )


@dataclass(frozen=True)
class Column:
    header: str
    attr: str
    kind: str = "text"  # text, date, int, decimal, bool, or a choice map's name
    required: bool = False
    example: object = ""
    max_length: int | None = 200  # of the model field a text column goes to; None: TextField
    aliases: tuple[str, ...] = ()  # what old systems call the column

    @property
    def label(self) -> str:
        return self.header.rstrip("*")

    @property
    def multiline(self) -> bool:
        """Free text (a TextField) keeps its line breaks."""
        return self.kind == "text" and self.max_length is None


# Columns stored as text: a blank cell is "" (and a long number must stay text in Excel).
TEXT_KINDS = ("text", "mobile", "phone", "id_number", "credit_code", "plate")
YES_NO = {"是": True, "否": False, "Y": True, "N": False, "TRUE": True, "FALSE": False}
CHOICES = {
    "customer_kind": {"个人": Customer.Kind.PERSON, "单位": Customer.Kind.COMPANY},
    "sex": {"男": "M", "女": "F"},
    "source": {"本店购车": "bought_here", "仅维修": "service_only"},
    "wo_kind": {label: value for value, label in WorkOrder.Kind.choices},
    "line_kind": {label: value for value, label in WorkOrderLine.Kind.choices},
    "payer": {label: value for value, label in Payer.choices}
    | {"三包": "warranty", "索赔": "warranty"},
}

CUSTOMER_SHEET = "客户"
VEHICLE_SHEET = "车辆"
HISTORY_SHEET = "维修记录"
NOTES_SHEET = "说明"
SHEETS = {
    CUSTOMER_SHEET: (
        Column(
            "姓名*",
            "name",
            required=True,
            example="张伟",
            max_length=100,
            aliases=("客户姓名", "客户名称", "名称"),
        ),
        Column("类型", "kind", "customer_kind", example="个人", aliases=("客户类型",)),
        Column(
            "手机*",
            "mobile",
            "mobile",
            required=True,
            example="13812345678",
            aliases=("手机号", "手机号码", "移动电话"),
        ),
        Column(
            "其他电话",
            "phone_other",
            "phone",
            example="0755-26001234",
            max_length=20,
            aliases=("固定电话", "座机", "电话"),
        ),
        Column(
            "身份证号",
            "id_number",
            "id_number",
            example="11010519491231002X",
            aliases=("身份证号码", "证件号码", "身份证"),
        ),
        Column("统一社会信用代码", "credit_code", "credit_code", aliases=("信用代码",)),
        Column(
            "地址",
            "address",
            example="深圳市南山区科技园",
            aliases=("联系地址", "住址", "通讯地址"),
        ),
        Column("生日", "birthday", "date", aliases=("出生日期",)),
        Column("性别", "sex", "sex"),
        Column("会员号", "club_member_number", max_length=30, aliases=("会员编号",)),
        Column("入会日期", "club_joined_on", "date"),
        Column("同意短信", "marketing_consent", "bool", example="是"),
        Column("免打扰", "do_not_call", "bool", example="否"),
        Column("来源", "source", "source", example="本店购车", aliases=("客户来源",)),
        Column("备注", "note", max_length=None),
    ),
    VEHICLE_SHEET: (
        Column(
            "VIN*",
            "vin",
            "vin",
            required=True,
            example="LSVAU218XN2183294",
            aliases=("车架号", "VIN码", "车辆识别代号", "车辆识别号"),
        ),
        Column("车牌", "plate", "plate", example="粤B12345", aliases=("车牌号", "车牌号码")),
        Column("品牌*", "brand", required=True, example="大众", max_length=30),
        Column(
            "车型*",
            "model_name",
            required=True,
            example="帕萨特 2022款 330TSI",
            max_length=60,
        ),
        Column("颜色", "colour", example="星空蓝", max_length=20, aliases=("车身颜色",)),
        Column("发动机号", "engine_number", max_length=30, aliases=("发动机号码",)),
        Column(
            "车主姓名*",
            "owner_name",
            required=True,
            example="张伟",
            max_length=100,
            aliases=("车主",),
        ),
        Column(
            "车主手机*",
            "owner_mobile",
            "mobile",
            required=True,
            example="13812345678",
            aliases=("车主手机号", "车主手机号码"),
        ),
        Column("销售日期", "sale_date", "date", example="2022-05-18", aliases=("购车日期",)),
        Column("三包开始", "warranty_start", "date"),
        Column("三包结束", "warranty_end", "date"),
        Column("三包里程", "warranty_km_limit", "int"),
        Column("保险公司", "insurance_company", example="中国人保", max_length=50),
        Column("保险到期", "insurance_expires_on", "date"),
        Column("年审到期", "inspection_due_on", "date"),
        Column("当前里程", "mileage", "int", example=35600),
    ),
    HISTORY_SHEET: (
        Column(
            "工单号*",
            "number",
            required=True,
            example="WO2023051800012",
            max_length=30,
            aliases=("工单编号", "委托书号"),
        ),
        Column(
            "VIN*", "vin", "vin", required=True, example="LSVAU218XN2183294", aliases=("车架号",)
        ),
        Column(
            "进厂日期*",
            "opened_on",
            "date",
            required=True,
            example="2023-05-18",
            aliases=("进厂时间",),
        ),
        Column("交车日期", "delivered_on", "date", example="2023-05-18", aliases=("交车时间",)),
        Column("里程", "mileage", "int", example=30120, aliases=("进厂里程",)),
        Column("工单类型", "kind", "wo_kind", example="保养"),
        Column("项目类别*", "line_kind", "line_kind", required=True, example="工时"),
        Column("项目编码", "code", example="LB-0001", max_length=40),
        Column("项目名称*", "description", required=True, example="更换机油机滤"),
        Column("数量", "quantity", "decimal", example=1),
        Column("单价", "unit_price", "decimal", example=180),
        Column("金额", "amount", "decimal", example=180),
        Column("付费方", "payer", "payer", example="客户"),
        Column("客户描述", "customer_words", max_length=None),
    ),
}
LINE_ATTRS = ("line_kind", "code", "description", "quantity", "unit_price", "amount", "payer")
ORDER_ATTRS = ("vin", "opened_on", "delivered_on", "mileage", "kind", "customer_words")
# Traditional characters of the sheet names, so "車輛" is recognised as meant for "车辆".
_TRADITIONAL = str.maketrans("戶車輛維記錄單", "户车辆维记录单")


def _header_key(text: str) -> str:
    return normalize_text(text).replace(" ", "").rstrip("*").upper()


HEADERS = {
    sheet: {
        _header_key(name): column for column in columns for name in (column.label, *column.aliases)
    }
    for sheet, columns in SHEETS.items()
}


class CellError(Exception):
    pass


class TooManyErrors(Exception):
    pass


@dataclass
class Parsed:
    max_errors: int
    customers: dict = field(default_factory=dict)  # (mobile, name) -> {attr: value, _row}
    vehicles: dict = field(default_factory=dict)  # vin -> {attr: value, _row}
    work_orders: dict = field(default_factory=dict)  # number -> {attr: value, lines, _row}
    errors: list = field(default_factory=list)
    error_count: int = 0
    rows: int = 0
    lines: int = 0
    # VINs of vehicle rows refused for another cell: their error is already reported, so a
    # work order of such a VIN must not also be told its vehicle is missing.
    refused_vins: set = field(default_factory=set)
    plates: dict = field(default_factory=dict)  # plate -> (vin, row) of its first row

    def error(self, sheet, row, column, message):
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(_error(sheet, row, column, message))
        if self.error_count >= self.max_errors:
            raise TooManyErrors


def _error(sheet, row, column, message):
    return {"sheet": sheet, "row": row, "column": column, "message": message}


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


# --- the template ---------------------------------------------------------------------


def template_workbook():
    """The empty import template: one sheet per kind, headers, an example row, choices.

    Written through apps.core.excel, like every workbook the DMS hands out.
    """
    workbook = excel.new_workbook()
    for title, columns in SHEETS.items():
        sheet = workbook.create_sheet(title)
        excel.append_row(sheet, [column.header for column in columns])
        excel.append_row(sheet, [column.example for column in columns])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
            if column.kind in (
                "text",
                "mobile",
                "phone",
                "id_number",
                "credit_code",
                "vin",
                "plate",
            ):
                for row in range(2, 5002):  # text format keeps long numbers exact
                    sheet[f"{letter}{row}"].number_format = "@"
            choices = CHOICES.get(column.kind) or (YES_NO if column.kind == "bool" else None)
            if choices:
                options = ",".join(k for k in choices if k not in ("Y", "N", "TRUE", "FALSE"))
                rule = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
                rule.add(f"{letter}2:{letter}5001")
                sheet.add_data_validation(rule)
    notes = workbook.create_sheet(NOTES_SHEET)
    for line in (
        "带 * 的列必填。每个工作表第一行是表头,请勿修改;第二行是示例,导入前请删除"
        "(示例行会被拒绝)。",
        "客户按“手机+姓名”合并,车辆按 VIN 合并,工单按工单号合并:重复导入同一文件不会产生重复记录。",
        "系统中已有的资料不会被文件覆盖:与系统不同的值会列为“冲突”供核对,空白的资料会补上。",
        "有任何一行出错时整个文件都不会导入;系统会列出每个错误的工作表、行、列和原因。",
        "日期格式:2024-05-18;身份证号、手机号、电话请设为文本格式,避免 Excel 把长数字改写。",
        "维修记录每行是工单的一个项目;同一工单号的多行合并为一张工单。",
    ):
        excel.append_row(notes, [line])
    notes.column_dimensions["A"].width = 100
    return excel.to_buffer(workbook)


# --- cell values ----------------------------------------------------------------------


def _plain(value) -> str:
    """A cell as text, before the column's own normaliser."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return format(value.quantize(Decimal(1)), "f")
        return format(value.normalize(), "f")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if value is None:
        return ""
    return str(value)


def _multiline(text: str) -> str:
    """normalize_text() per line: line breaks of free text are kept, blank lines dropped
    at both ends."""
    lines = [normalize_text(line) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
MIN_YEAR, MAX_YEAR = 1900, 2100


def _date(value, text: str) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, Decimal) and not _DATE_COMPACT.match(text):
        raise CellError(
            f"“{_quote(text)}”是数字,不是日期:请把该列设为日期格式,或填写为 2024-05-18。"
        )
    else:
        head = text.split(" ")[0].split("T")[0]
        found = _DATE.match(head) or _DATE_COMPACT.match(head)
        if not found:
            raise CellError(f"日期格式不正确或有歧义:“{_quote(text)}”,应为 2024-05-18(年-月-日)。")
        try:
            day = dt.date(*(int(part) for part in found.groups()))
        except ValueError:
            raise CellError(f"日期不存在:“{_quote(text)}”。") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise CellError(f"日期超出合理范围:“{_quote(text)}”。")
    return day


def _convert(column: Column, value, *, accept_invalid_vin: bool):
    if isinstance(value, TooLong):
        raise CellError(
            f"内容过长({value.length} 个字符),超过单元格上限:“{_quote(value.prefix)}”。"
        )
    if isinstance(value, ExcelErrorValue):
        raise CellError(f"单元格是 Excel 错误值 {value.code},请改正公式或填入数值。")
    if value is FORMULA_WITHOUT_VALUE:
        raise CellError("公式没有计算结果:请在 Excel 中打开文件、重新计算并保存,或把公式改为数值。")
    raw = _plain(value)
    text = _multiline(raw) if column.multiline else normalize_text(raw)
    kind = column.kind
    if not text:
        if column.required:
            raise CellError("必填,不能为空。")
        # Blank means "not given": it never overwrites a value already in the archive.
        return (
            "" if kind in ("text", "mobile", "phone", "id_number", "credit_code", "plate") else None
        )
    try:
        if kind == "text":
            # A longer value would fail the whole transaction far from its cell.
            if column.max_length and len(text) > column.max_length:
                raise CellError(f"最多 {column.max_length} 个字符,当前为 {len(text)} 个。")
            return text
        if kind == "date":
            return _date(value, text)
        if kind == "int":
            number = Decimal(text.replace(",", ""))
            if not number.is_finite() or number < 0 or number != number.to_integral_value():
                raise CellError(f"应为非负整数,而不是“{_quote(text)}”。")
            if number > MAX_INTEGER:
                raise CellError(f"数值过大:“{_quote(text)}”。")
            return int(number)
        if kind == "decimal":
            number = Decimal(text.replace(",", ""))
            if not number.is_finite():
                raise CellError(f"应为数字,而不是“{_quote(text)}”。")
            if abs(number) >= MAX_DECIMAL:
                raise CellError(f"数值过大:“{_quote(text)}”,应小于 {MAX_DECIMAL}。")
            return number.quantize(Decimal("0.01"))
        if kind == "bool":
            if isinstance(value, bool):  # an Excel TRUE/FALSE cell
                return value
            if text.upper() not in YES_NO:
                raise CellError(f"应填“是”或“否”,而不是“{_quote(text)}”。")
            return YES_NO[text.upper()]
        if kind in CHOICES:
            if text not in CHOICES[kind]:
                allowed = "、".join(CHOICES[kind])
                raise CellError(f"“{_quote(text)}”不是有效选项,可选:{allowed}。")
            return CHOICES[kind][text]
        if kind == "mobile":
            return normalize_mobile(text)
        if kind == "phone":
            phone = normalize_phone_other(text)
            if isinstance(value, Decimal) and not phone.startswith("1"):
                raise CellError("电话被 Excel 存成了数字(开头的 0 已丢失),请把该列设为文本后重填。")
            return phone
        if kind == "id_number":
            if isinstance(value, Decimal):
                raise CellError(
                    "身份证号被 Excel 存成了数字(后几位已丢失),请把该列设为文本后重填。"
                )
            return normalize_id_number(text)
        if kind == "credit_code":
            return normalize_credit_code(text)
        if kind == "plate":
            return normalize_plate(text)
        if kind == "vin":
            try:
                return normalize_vin(text)
            except ValidationError as error:
                if error.code == VIN_CHECK_DIGIT_CODE and accept_invalid_vin:
                    return normalize_vin(text, allow_bad_check_digit=True)
                raise
    except ValidationError as error:
        raise CellError(error.messages[0]) from None
    except (InvalidOperation, ValueError):
        raise CellError(f"应为数字,而不是“{_quote(text)}”。") from None
    raise AssertionError(f"unknown column kind {kind}")


def _example_record(sheet: str) -> dict:
    """The template's example row as the parser sees it (to refuse it when left in)."""
    record = {}
    for column in SHEETS[sheet]:
        if column.example != "":
            value = column.example
            if isinstance(value, int):
                value = Decimal(value)
            record[column.attr] = _convert(column, value, accept_invalid_vin=True)
    return record


# --- reading the workbook -------------------------------------------------------------


class Progress:
    """Rows checked and written, stored on the batch at most once a second.

    While the import's write transaction is open its own connection cannot publish
    anything, so on PostgreSQL the counts go through a second connection (autocommit);
    SQLite allows one writer at a time, so there the bar moves between the phases only.
    """

    def __init__(self, batch_id: int | None):
        self.batch_id = batch_id
        self.fields: dict = {}
        self.stored_at = 0.0
        self.side = None

    def set(self, *, force=False, **fields):
        self.fields.update(fields)
        if self.batch_id is None:
            return
        now = time.monotonic()
        if not force and now - self.stored_at < PROGRESS_SECONDS:
            return
        self.stored_at = now
        if not connection.in_atomic_block:
            ImportBatch.objects.filter(pk=self.batch_id).update(**self.fields)
        elif connection.vendor == "postgresql":
            if self.side is None:
                self.side = connections.create_connection("default")
            quote = self.side.ops.quote_name
            assignments = ", ".join(f"{quote(name)} = %s" for name in self.fields)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(ImportBatch._meta.db_table)} SET {assignments} "  # noqa: S608 (names are our own field names)
                    "WHERE id = %s",
                    [*self.fields.values(), self.batch_id],
                )

    def close(self):
        if self.side is not None:
            self.side.close()
            self.side = None


def parse_workbook(
    file, *, accept_invalid_vin: bool, progress: Progress | None = None, caps: Limits | None = None
) -> Parsed:
    """Read and check every row of every sheet; nothing is written here."""
    caps = caps or limits()
    parsed = Parsed(max_errors=settings.IMPORT_MAX_ERRORS)
    progress = progress or Progress(None)
    try:
        workbook = XlsxWorkbook(file, limits=caps)
    except WorkbookError as error:
        parsed.errors.append(_error("", 0, "", str(error)))
        parsed.error_count = 1
        return parsed
    try:
        _parse_sheets(workbook, parsed, progress, accept_invalid_vin=accept_invalid_vin)
        _check_order_totals(parsed)
    except TooManyErrors:
        parsed.errors.append(_too_many(parsed))
    except WorkbookError as error:
        parsed.errors.append(_error("", 0, "", str(error)))
        parsed.error_count += 1
    finally:
        workbook.close()
    return parsed


def _too_many(parsed: Parsed) -> dict:
    return _error(
        "",
        0,
        "",
        f"错误已达 {parsed.max_errors} 处,停止检查其余内容;请先修正以上错误再上传。",
    )


def _close_template_sheet(name: str) -> str | None:
    """The template sheet a sheet name was probably meant to be ("车辆 ", "维修记录2023",
    "車輛" → its template name), else None."""
    plain = re.sub(r"[\s\d\W_]+", "", normalize_text(name).translate(_TRADITIONAL))
    for template in SHEETS:
        if plain and (template in plain or plain in template):
            return template
    return None


def _parse_sheets(workbook: XlsxWorkbook, parsed: Parsed, progress: Progress, **options):
    found = False
    sheet_errors = 0
    sizes = {s.name: workbook.part_size(s) for s in workbook.sheets if s.name in SHEETS}
    total, read_before = max(1, sum(sizes.values())), 0
    for sheet in workbook.sheets:
        if sheet.name in SHEETS:
            found = True

            def checked(done, _size, before=read_before):
                progress.set(
                    rows_checked=parsed.rows + parsed.lines,
                    progress=CHECK_SHARE * (before + done) // total,
                )

            _parse_sheet(workbook, sheet, parsed, checked, **options)
            read_before += sizes[sheet.name]
        elif sheet.name == NOTES_SHEET:
            continue
        else:
            meant = _close_template_sheet(sheet.name)
            has_data = next(iter(workbook.rows(sheet)), None) is not None
            if meant and has_data:
                sheet_errors += 1
                parsed.error(
                    sheet.name,
                    0,
                    "",
                    f"工作表名“{sheet.name}”不是模板的工作表名,应为“{meant}”:"
                    f"请改名为“{meant}”(或把数据移到“{meant}”表)后再导入。",
                )
            elif has_data:
                sheet_errors += 1
                parsed.error(
                    sheet.name,
                    0,
                    "",
                    f"工作表“{sheet.name}”不是导入模板中的工作表(客户、车辆、维修记录),"
                    "其中的数据不会导入:请把数据移到对应的工作表,或删除该表。",
                )
    if not found and not sheet_errors:
        parsed.error("", 0, "", f"文件中没有“{'”“'.join(SHEETS)}”中的任何一个工作表。")
    if not parsed.errors:
        _check_references_in_file(parsed)


def _parse_sheet(workbook, sheet, parsed: Parsed, checked, *, accept_invalid_vin):
    name = sheet.name
    rows = workbook.rows(sheet, progress=checked)
    header_row = next(rows, None)
    if header_row is None:
        return  # an empty sheet: nothing to import, nothing lost
    positions, header_ok = _read_header(name, header_row, parsed)
    columns = [(column, positions.get(column.attr)) for column in SHEETS[name]]
    mapped = set(header_row[1])  # columns with a header (unknown ones are reported there)
    unheaded = {}  # column index -> first row with data there
    # Converted values by (column, cell value): an export repeats most values (a VIN on
    # every line of its orders, dates, kinds, descriptions), and converting is most of the
    # cost of checking. Values are immutable (str, Decimal, date, bool).
    cache: dict = {}
    example = _example_record(name)
    for row_number, cells in rows:
        if all(isinstance(v, str) and not normalize_text(v) for v in cells.values()):
            continue  # only spaces: an empty row
        for index in cells:
            if index not in mapped and index not in unheaded:
                unheaded[index] = row_number
        if not header_ok:
            continue
        if name == HISTORY_SHEET:
            parsed.lines += 1
        else:
            parsed.rows += 1
        record, row_errors = {}, []
        for column, index in columns:
            value = cells.get(index) if index is not None else None
            # The type too: True == Decimal(1) == 1 as dict keys, but not as cells.
            key = (column.attr, value.__class__, value)
            result = cache.get(key, _MISSING)
            if result is _MISSING:
                try:
                    result = _convert(column, value, accept_invalid_vin=accept_invalid_vin)
                except CellError as error:
                    result = error
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[key] = result
            if isinstance(result, CellError):
                letter = get_column_letter(index + 1) if index is not None else ""
                row_errors.append((f"{letter} {column.header}".strip(), str(result)))
            else:
                record[column.attr] = result
        if row_errors:
            for column_name, message in row_errors:
                parsed.error(name, row_number, column_name, message)
            if name == VEHICLE_SHEET and record.get("vin"):
                parsed.refused_vins.add(record["vin"])
            continue
        if all(record.get(attr) == value for attr, value in example.items()):
            parsed.error(name, row_number, "", "这是导入模板的示例行,请删除后再导入。")
            continue
        _merge_row(name, row_number, record, parsed)
    for index, row_number in sorted(unheaded.items()):
        parsed.error(
            name,
            1,
            get_column_letter(index + 1),
            f"第 {get_column_letter(index + 1)} 列没有表头,但第 {row_number} 行起有数据:"
            "请补上模板中的表头,或删除该列。",
        )
    _check_merged(name, sheet.merged, parsed)


def _read_header(name, header_row, parsed: Parsed) -> tuple[dict, bool]:
    row_number, cells = header_row
    known = HEADERS[name]
    positions, ok = {}, True
    expected = "、".join(column.header for column in SHEETS[name])
    if row_number != 1:
        parsed.error(
            name,
            row_number,
            "",
            f"第 1 行应为表头,但表头出现在第 {row_number} 行:请删除表头上方的空行。",
        )
        ok = False
    for index, value in sorted(cells.items()):
        letter = get_column_letter(index + 1)
        title = _plain(value) if not isinstance(value, TooLong) else value.prefix
        column = known.get(_header_key(title))
        if column is None:
            parsed.error(
                name,
                row_number,
                f"{letter} {_quote(normalize_text(title))}",
                f"无法识别的表头“{_quote(normalize_text(title))}”。本表可用的表头:{expected}。",
            )
            ok = False
        elif column.attr in positions:
            first = get_column_letter(positions[column.attr] + 1)
            parsed.error(
                name,
                row_number,
                f"{letter} {column.header}",
                f"表头“{column.label}”重复出现(第 {first} 列和第 {letter} 列)。",
            )
            ok = False
        else:
            positions[column.attr] = index
    for column in SHEETS[name]:
        if column.required and column.attr not in positions:
            parsed.error(name, 1, column.header, "缺少必填列(请使用导入模板)。")
            ok = False
    return positions, ok


def _check_merged(name, ranges, parsed: Parsed):
    for ref in ranges:
        first, _, last = ref.partition(":")
        top = int(re.sub(r"\D", "", first) or 0)
        if top == 1:
            parsed.error(
                name,
                1,
                ref,
                f"表头 {ref} 是合并单元格:每列须有自己的表头,请取消合并后按模板填写表头。",
            )
        else:
            parsed.error(
                name,
                top,
                ref,
                f"{ref} 是合并单元格:合并后只有第一格有值,其余各格会被当作空白。"
                "请取消合并,并在每一行填入对应的值。",
            )


def _differences(sheet: str, first: dict, record: dict) -> list[str]:
    """Headers of the columns where two rows of one record both have a value and differ."""
    headers = {column.attr: column.label for column in SHEETS[sheet]}
    return [
        headers[attr]
        for attr, value in record.items()
        if not attr.startswith("_")
        and value not in ("", None)
        and first.get(attr) not in ("", None)
        and first[attr] != value
    ]


def _merge(sheet, row, record, target: dict, what: str, parsed: Parsed) -> bool:
    """Merge a duplicate row into the first row of its record, or report the conflict."""
    differing = _differences(sheet, target, record)
    if differing:
        columns = "、".join(f"“{name}”" for name in differing[:5])
        parsed.error(
            sheet,
            row,
            differing[0],
            f"与第 {target['_row']} 行是同一{what},但 {columns} 不同:请核对后只保留一种。",
        )
        return False
    for attr, value in record.items():
        if value not in ("", None) or attr not in target:
            target[attr] = value
    return True


def _merge_row(sheet, row, record, parsed: Parsed):
    if sheet == CUSTOMER_SHEET:
        if record["kind"] != Customer.Kind.COMPANY and record["credit_code"]:
            parsed.error(sheet, row, "统一社会信用代码", "个人客户不填统一社会信用代码。")
            return
        if record["kind"] == Customer.Kind.COMPANY and record["id_number"]:
            parsed.error(sheet, row, "身份证号", "单位客户不填身份证号,请填统一社会信用代码。")
            return
        if record["id_number"]:
            # The ID number decides birthday and sex (a sheet disagreeing with it is not
            # a second truth).
            record["birthday"] = id_number_birthday(record["id_number"])
            record["sex"] = id_number_sex(record["id_number"])
        key = (record["mobile"], record["name"])
        target = parsed.customers.get(key)
        if target is None:
            parsed.customers[key] = {**record, "_row": row}
        else:
            _merge(sheet, row, record, target, "客户(手机+姓名相同)", parsed)
    elif sheet == VEHICLE_SHEET:
        start, end = record["warranty_start"], record["warranty_end"]
        if start and end and end <= start:
            parsed.error(sheet, row, "三包结束", "三包结束日期必须晚于开始日期。")
            parsed.refused_vins.add(record["vin"])
            return
        plate = record["plate"]
        holder = parsed.plates.setdefault(plate, (record["vin"], row)) if plate else None
        if holder and holder[0] != record["vin"]:
            parsed.error(
                sheet,
                row,
                "车牌",
                f"车牌 {plate} 与第 {holder[1]} 行的车辆(VIN {holder[0]})相同:"
                "同一车牌只能登记在一辆车上,请核对。",
            )
            parsed.refused_vins.add(record["vin"])
            return
        target = parsed.vehicles.get(record["vin"])
        if target is None:
            parsed.vehicles[record["vin"]] = {**record, "_row": row}
        elif not _merge(sheet, row, record, target, "辆车(VIN 相同)", parsed):
            parsed.refused_vins.add(record["vin"])
    else:
        if record["delivered_on"] and record["delivered_on"] < record["opened_on"]:
            parsed.error(sheet, row, "交车日期", "交车日期早于进厂日期。")
            return
        line = ImportedLine(
            kind=record["line_kind"],
            code=record["code"],
            description=record["description"],
            quantity=record["quantity"] if record["quantity"] is not None else Decimal(1),
            unit_price=record["unit_price"],
            amount=record["amount"],
            payer=record["payer"] or Payer.CUSTOMER,
        )
        if line.unit_price is None:
            line.unit_price = line.amount or Decimal(0)
        if line.amount is None:
            line.amount = (line.quantity * line.unit_price).quantize(Decimal("0.01"))
            if abs(line.amount) >= MAX_DECIMAL:
                parsed.error(sheet, row, "金额", f"数量 × 单价超出上限 {MAX_DECIMAL}。")
                return
        header = {attr: record[attr] for attr in ORDER_ATTRS}
        order = parsed.work_orders.get(record["number"])
        if order is None:
            parsed.work_orders[record["number"]] = {**header, "lines": [line], "_row": row}
            return
        differing = [
            attr
            for attr in ORDER_ATTRS
            if header[attr] not in ("", None)
            and order[attr] not in ("", None)
            and header[attr] != order[attr]
        ]
        if differing:
            names = {column.attr: column.label for column in SHEETS[sheet]}
            parsed.error(
                sheet,
                row,
                "工单号",
                f"工单 {record['number']} 在第 {order['_row']} 行的"
                f"{'、'.join(names[attr] for attr in differing)}与本行不同。",
            )
            return
        for attr, value in header.items():
            if order[attr] in ("", None):
                order[attr] = value
        order["lines"].append(line)


def _check_order_totals(parsed: Parsed):
    for number, order in parsed.work_orders.items():
        total = sum((abs(line.amount) for line in order["lines"]), Decimal(0))
        if total >= MAX_TOTAL:
            parsed.error(
                HISTORY_SHEET,
                order["_row"],
                "金额",
                f"工单 {number} 的合计金额超出上限 {MAX_TOTAL}。",
            )


def _check_references_in_file(parsed: Parsed):
    """Checks across rows that need no database: one ID number, one customer."""
    ids = {}
    for key, customer in parsed.customers.items():
        if customer["id_number"]:
            other = ids.setdefault(customer["id_number"], key)
            if other != key:
                parsed.error(
                    CUSTOMER_SHEET,
                    customer["_row"],
                    "身份证号",
                    f"与第 {parsed.customers[other]['_row']} 行的身份证号相同,"
                    "但手机或姓名不同:同一身份证号只能属于一位客户。",
                )


# --- writing --------------------------------------------------------------------------


def import_archive(*, batch: ImportBatch) -> dict:
    """Check the batch's workbook, then write it all in one transaction, or nothing.

    Returns the summary (counts) and stores it, the errors and the conflicts on the batch.
    """
    progress = Progress(batch.pk)
    started = time.monotonic()
    try:
        with batch.file.open("rb") as file:
            parsed = parse_workbook(
                file, accept_invalid_vin=batch.accept_invalid_vin, progress=progress
            )
        check_seconds = round(time.monotonic() - started, 1)
        to_write = len(parsed.customers) + len(parsed.vehicles) + parsed.lines
        progress.set(
            force=True,
            rows_checked=parsed.rows + parsed.lines,
            rows_total=to_write,
            progress=CHECK_SHARE,
        )
        conflicts = []
        if not parsed.errors:
            try:
                with transaction.atomic():
                    import_lock(batch)
                    counts, conflicts = _write(parsed, batch, progress)
            except RejectedByArchive:
                pass  # the errors that need the archive are in parsed.errors
            except TooManyErrors:
                parsed.errors.append(_too_many(parsed))
        write_seconds = round(time.monotonic() - started - check_seconds, 1)
    finally:
        progress.close()
    timing = {"check_seconds": check_seconds, "write_seconds": write_seconds}
    if parsed.errors:
        batch.status = ImportBatch.Status.REJECTED
        batch.errors = parsed.errors
        batch.conflicts = []
        batch.summary = {
            "rows": parsed.rows + parsed.lines,
            "error_count": max(parsed.error_count, len(parsed.errors)),
            **timing,
        }
    else:
        batch.status = ImportBatch.Status.SUCCEEDED
        batch.errors = []
        batch.conflicts = conflicts[: settings.IMPORT_MAX_ERRORS]
        batch.summary = {"rows": parsed.rows + parsed.lines, **counts, **timing}
        batch.rows_written = to_write
        batch.progress = 100
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "status",
            "errors",
            "conflicts",
            "summary",
            "rows_written",
            "progress",
            "finished_at",
            "updated_at",
        ]
    )
    return batch.summary


class RejectedByArchive(Exception):
    """Rolls the import's transaction back: the file disagrees with the archive."""


def import_lock(batch: ImportBatch) -> None:
    """One import at a time, until the caller's transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite (the embedded default) has one
    writer at a time anyway: touching the batch row takes its write lock now, so a second
    import waits here instead of failing at its first write.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now())


def _chunks(values: list):
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _blank(value) -> bool:
    return value in ("", None)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _quote(str(value))


def _compare(
    instance, values: dict, sheet: str, row: int, what: str, conflicts: list, blank_defaults=()
) -> list[str]:
    """Fill the instance's blanks from `values`; list each differing value as a conflict.

    Returns the names of the fields filled. A value equal to a field's default counts as
    blank for the fields in `blank_defaults` (a mileage of 0 was never recorded).
    """
    headers = {column.attr: column.label for column in SHEETS[sheet]}
    filled = []
    for attr, value in values.items():
        if _blank(value):
            continue
        current = getattr(instance, attr)
        if current == value:
            continue
        if _blank(current) or (attr in blank_defaults and not current):
            setattr(instance, attr, value)
            filled.append(attr)
            continue
        conflicts.append(
            _error(
                sheet,
                row,
                headers.get(attr, attr),
                f"{what}:系统中为“{_shown(current)}”,文件中为“{_shown(value)}”。"
                "未覆盖系统中的资料;如文件正确,请在系统中修改。",
            )
        )
    return filled


CUSTOMER_FIELDS = [column.attr for column in SHEETS[CUSTOMER_SHEET]]
VEHICLE_FIELDS = [
    column.attr for column in SHEETS[VEHICLE_SHEET] if not column.attr.startswith("owner_")
]


def _write(parsed: Parsed, batch: ImportBatch, progress: Progress) -> tuple[dict, list]:
    """Write a checked file; runs inside the import's transaction and lock.

    1. Load what the archive holds for the file's customers, vehicles and work orders.
    2. Errors that need the archive (an ID number of another customer, a work order of an
       unknown VIN) roll everything back.
    3. New records are created in bulk through the services; blanks are filled; values
       that differ from the archive are listed as conflicts and left alone.
    """
    counts = dict.fromkeys(
        (
            "customers_created",
            "customers_filled",
            "vehicles_created",
            "vehicles_filled",
            "work_orders_created",
            "work_orders_unchanged",
            "conflicts",
        ),
        0,
    )
    conflicts: list = []
    written = 0

    to_write = max(1, len(parsed.customers) + len(parsed.vehicles) + parsed.lines)

    def advance(count):
        nonlocal written
        written += count
        share = (100 - CHECK_SHARE) * min(written, to_write) // to_write
        progress.set(rows_written=written, progress=CHECK_SHARE + share)

    # Customers named by vehicle rows only: matched in the archive, or created bare.
    implied = {}
    for vehicle in parsed.vehicles.values():
        key = (vehicle["owner_mobile"], vehicle["owner_name"])
        if key not in parsed.customers:
            implied.setdefault(key, vehicle["_row"])

    keys = list(parsed.customers) + list(implied)
    existing = {}
    for chunk in _chunks(sorted({mobile for mobile, _ in keys})):
        for customer in Customer.objects.filter(mobile__in=chunk):
            existing[(customer.mobile, customer.name)] = customer
    _check_id_numbers(parsed)
    _check_vins(parsed)
    if parsed.errors:
        raise RejectedByArchive

    customers, new_customers, filled_customers = {}, [], []
    for key, values in parsed.customers.items():
        fields = {attr: values[attr] for attr in CUSTOMER_FIELDS}
        customer = existing.get(key)
        if customer is None:
            customer = Customer(**{k: v for k, v in fields.items() if v is not None})
            new_customers.append(customer)
        else:
            filled = _compare(
                customer, fields, CUSTOMER_SHEET, values["_row"], "客户资料不同", conflicts
            )
            if "id_number" in filled:
                customer.birthday = id_number_birthday(customer.id_number)
                customer.sex = id_number_sex(customer.id_number)
            if filled:
                filled_customers.append(customer)
        customers[key] = customer
    for key in implied:
        if key in existing:
            customers[key] = existing[key]
        else:
            customers[key] = Customer(mobile=key[0], name=key[1])
            new_customers.append(customers[key])
    customers_create_many(customers=new_customers)
    _fill(Customer, filled_customers, CUSTOMER_FIELDS + ["birthday", "sex"])
    counts["customers_created"] = len(new_customers)
    counts["customers_filled"] = len(filled_customers)
    advance(len(parsed.customers))

    vehicles = {}
    for chunk in _chunks(list(parsed.vehicles)):
        vehicles.update(
            (vehicle.vin, vehicle)
            for vehicle in Vehicle.objects.filter(vin__in=chunk).select_related("owner")
        )
    plates = {}  # plate -> VIN of the vehicle holding it in the archive
    for chunk in _chunks(sorted(p for p in parsed.plates if p)):
        plates.update(Vehicle.objects.filter(plate__in=chunk).values_list("plate", "vin"))
    new_vehicles, filled_vehicles = [], []
    for vin, values in parsed.vehicles.items():
        owner = customers[(values["owner_mobile"], values["owner_name"])]
        fields = {attr: values[attr] for attr in VEHICLE_FIELDS}
        holder = plates.get(fields["plate"])
        if holder and holder != vin:
            # One plate, one vehicle (a database constraint): the plate stays where it is.
            conflicts.append(
                _error(
                    VEHICLE_SHEET,
                    values["_row"],
                    "车牌",
                    f"车牌 {fields['plate']} 在系统中登记在另一辆车(VIN {holder})上:"
                    "未填入本车;如车牌已转到本车,请先在原车上释放车牌。",
                )
            )
            fields["plate"] = ""
        vehicle = vehicles.get(vin)
        if vehicle is None:
            vehicle = Vehicle(owner=owner, **{k: v for k, v in fields.items() if v is not None})
            if not is_vin_check_digit_valid(vin):
                vehicle.vin_exception_reason = batch.invalid_vin_reason or "旧系统导入"
                vehicle.vin_exception_by = batch.created_by
            new_vehicles.append(vehicle)
            vehicles[vin] = vehicle
            continue
        if vehicle.owner_id != owner.pk:
            current = vehicle.owner
            conflicts.append(
                _error(
                    VEHICLE_SHEET,
                    values["_row"],
                    "车主姓名",
                    f"车主不同:系统中车主为“{current.name}”(手机尾号 {current.mobile[-4:]}),"
                    f"文件中为“{owner.name}”(手机尾号 {owner.mobile[-4:]})。"
                    "未过户;如确已过户,请在车辆页办理过户。",
                )
            )
        filled = _compare(
            vehicle,
            fields,
            VEHICLE_SHEET,
            values["_row"],
            "车辆资料不同",
            conflicts,
            blank_defaults=("mileage",),
        )
        if filled:
            filled_vehicles.append(vehicle)
    vehicles_register_many(vehicles=new_vehicles, note=f"导入:{batch.original_name}")
    _fill(Vehicle, filled_vehicles, VEHICLE_FIELDS)
    counts["vehicles_created"] = len(new_vehicles)
    counts["vehicles_filled"] = len(filled_vehicles)
    advance(len(parsed.vehicles))

    numbers = list(parsed.work_orders)
    done = {}
    for chunk in _chunks(numbers):
        done.update(
            WorkOrder.objects.filter(number__in=chunk).values_list("number", "vehicle__vin")
        )
    missing = {o["vin"] for o in parsed.work_orders.values()} - set(vehicles)
    for chunk in _chunks(sorted(missing)):
        vehicles.update((v.vin, v) for v in Vehicle.objects.filter(vin__in=chunk))
    orders = []
    for number, order in parsed.work_orders.items():
        if number in done:
            counts["work_orders_unchanged"] += 1
            if done[number] != order["vin"]:
                conflicts.append(
                    _error(
                        HISTORY_SHEET,
                        order["_row"],
                        "工单号",
                        f"工单 {number} 已在系统中,但属于另一辆车(VIN {done[number]}):未导入本行。",
                    )
                )
            continue
        vehicle = vehicles[order["vin"]]
        orders.append(
            ImportedOrder(
                number=number,
                vehicle_id=vehicle.pk,
                customer_id=vehicle.owner_id,
                kind=order["kind"] or WorkOrder.Kind.REPAIR,
                opened_on=order["opened_on"],
                delivered_on=order["delivered_on"],
                mileage=order["mileage"] or 0,
                customer_words=order["customer_words"],
                lines=order["lines"],
            )
        )
    counts["work_orders_created"] = work_orders_import_many(orders=orders, on_written=advance)
    # Segments of the customers this file created or gave history to, by the monthly rule.
    touched = {customer.pk for customer in new_customers} | {o.customer_id for o in orders}
    customers_recompute_segments(on=timezone.localdate(), customer_ids=touched)
    counts["conflicts"] = len(conflicts)
    return counts, conflicts


def _fill(model, instances: list, fields: list[str]):
    """Store the filled blanks (bulk UPDATE; updated_at set by hand, bulk_update skips
    auto_now)."""
    if not instances:
        return
    now = timezone.now()
    for instance in instances:
        instance.updated_at = now
    model.objects.bulk_update(instances, [*fields, "updated_at"], batch_size=1000)


def _check_id_numbers(parsed: Parsed):
    ids = {c["id_number"]: key for key, c in parsed.customers.items() if c["id_number"]}
    for chunk in _chunks(list(ids)):
        taken = Customer.objects.filter(id_number__in=chunk).values_list(
            "id_number", "mobile", "name"
        )
        for id_number, mobile, name in taken:
            key = ids[id_number]
            if key != (mobile, name):
                parsed.error(
                    CUSTOMER_SHEET,
                    parsed.customers[key]["_row"],
                    "身份证号",
                    f"该身份证号已登记在系统中另一位客户({name})名下。",
                )


def _check_vins(parsed: Parsed):
    known = set(parsed.vehicles) | parsed.refused_vins
    missing = sorted({o["vin"] for o in parsed.work_orders.values()} - known)
    for chunk in _chunks(missing):
        known |= set(Vehicle.objects.filter(vin__in=chunk).values_list("vin", flat=True))
    for number, order in parsed.work_orders.items():
        if order["vin"] not in known:
            parsed.error(
                HISTORY_SHEET,
                order["_row"],
                "VIN",
                f"工单 {number} 的车辆不在车辆表中,也不在系统中。",
            )
