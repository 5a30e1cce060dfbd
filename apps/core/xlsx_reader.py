"""A streaming, defensive reader of .xlsx workbooks (Office Open XML spreadsheets).

Why not openpyxl's read-only mode: it trusts the sheet's declared `<dimension>`, so a
dimension smaller than the data hides rows, and a dimension of A1:XFD1048576 with one styled
cell at the last row makes it yield a million empty rows. This reader walks the sheet XML
itself with expat: it visits only the cells that are really in the file, whatever the
dimension says, and it costs time in proportion to the XML, not to the declared size.

Defences (each failure is a `WorkbookError` whose message is a Chinese sentence for the
user, never a stack trace):
- an OLE compound file (magic D0 CF 11 E0) is an encrypted workbook (it holds an
  `EncryptedPackage` stream) or an old .xls (a `Workbook`/`Book` stream);
- a broken zip, a CRC error or an unsupported compression method;
- no workbook part (a .docx renamed to .xlsx), found through `_rels/.rels` or
  `[Content_Types].xml`, whatever the parts are called;
- XML with a DOCTYPE, entity declarations or external entities is refused, as defusedxml
  does (the same exception classes): billion laughs and XXE never expand;
- parts whose declared uncompressed size is over the cap or compress suspiciously well (a
  zip bomb); zipfile stops at the declared size and checks the CRC, so the declared size
  is an upper bound of what is read;
- cells longer than the cap keep a prefix only (`TooLong`), rows beyond the cap stop the
  sheet with an error.
"""

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from posixpath import dirname, join, normpath
from pyexpat import ExpatError, ParserCreate

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: .xls, encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",  # strict
)
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
# Built-in number formats that show a date or time: the ISO ones (14-22, 45-47) and those
# of a Chinese Excel (27-36, 50-58, e.g. 31 = yyyy"年"m"月"d"日").
DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
# A deflated worksheet shrinks 5-20 times; a part shrinking more than this is a zip bomb.
MAX_COMPRESSION_RATIO = 200
# Below this size a high ratio is harmless (an empty sheet compresses very well).
RATIO_CHECK_FROM_BYTES = 10 * 1024 * 1024
EXCEL_MAX_ROW = 1_048_576
CHUNK_BYTES = 1 << 20

BROKEN = "文件已损坏(不是完整的 .xlsx 文件),请在 Excel 中打开后另存为 .xlsx 再上传。"
NOT_XLSX = "无法读取文件:请上传用导入模板填写的 .xlsx 文件。"
ENCRYPTED = "文件已加密,请取消密码后另存为 .xlsx 再上传。"
OLD_XLS = "这是旧版 .xls 文件,请在 Excel 中另存为 .xlsx 后再上传。"
UNSAFE_XML = "文件含有不允许的 XML 声明(DTD 或实体引用),可能是被篡改的文件,已拒绝。"


class WorkbookError(Exception):
    """The file cannot be read; str(error) is the Chinese sentence the user sees."""


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_xml_bytes: int  # uncompressed, per part read
    max_rows: int  # data rows per sheet (rows holding at least one value)
    max_cell_chars: int


@dataclass(frozen=True)
class TooLong:
    """A cell over the character cap: its first characters and its length."""

    prefix: str
    length: int


@dataclass(frozen=True)
class ExcelErrorValue:
    code: str  # #N/A, #DIV/0!, #REF! …


class FormulaWithoutValue:
    """A formula cell saved without its computed value (written by a program, not Excel)."""

    def __repr__(self):
        return "FormulaWithoutValue"


FORMULA_WITHOUT_VALUE = FormulaWithoutValue()


def _secure_parser():
    """An expat parser that refuses what defusedxml refuses (DTDs, entities, XXE)."""
    parser = ParserCreate()
    parser.buffer_text = True

    def doctype(name, sysid, pubid, has_internal_subset):
        raise DTDForbidden(name, sysid, pubid)

    def entity(name, is_parameter, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def unparsed(name, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)

    def external(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external
    return parser


def _local(name: str) -> str:
    """The element name without its namespace prefix (x:row → row)."""
    return name.rpartition(":")[2]


def check_file_type(head: bytes, read_all: Callable[[], bytes]) -> None:
    """Refuse what is not a zip, with the reason the user can act on."""
    if head.startswith(CFB_MAGIC):
        data = read_all()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise WorkbookError(ENCRYPTED)
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            raise WorkbookError(OLD_XLS)
        raise WorkbookError(NOT_XLSX)
    if not head.startswith(ZIP_MAGIC):
        raise WorkbookError(NOT_XLSX)


@dataclass
class Sheet:
    name: str
    part: str | None  # None: a chart sheet or a sheet whose part is missing
    merged: list[str] = field(default_factory=list)  # filled while rows() runs


class XlsxWorkbook:
    """An open workbook: `sheets` in workbook order; `rows(sheet)` streams one sheet."""

    def __init__(self, file, *, limits: Limits, structure_only: bool = False):
        """Open and check the file. structure_only: stop after finding the workbook and
        checking every part's size (the upload check, in the request)."""
        self.limits = limits
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
        if size > limits.max_file_bytes:
            raise WorkbookError(
                f"文件过大({size / 1048576:.1f} MB),上限为 "
                f"{limits.max_file_bytes // 1048576} MB;请拆分成几个文件。"
            )
        head = file.read(8)
        file.seek(0)
        check_file_type(head, file.read)
        file.seek(0)
        try:
            self.zip = zipfile.ZipFile(file)
            self.names = {info.filename: info for info in self.zip.infolist()}
            if any(info.flag_bits & 0x1 for info in self.names.values()):
                raise WorkbookError(ENCRYPTED)
            self.workbook_part = self._find_workbook_part()
            for part in self.names:
                if part.endswith((".xml", ".rels")):
                    self._check_size(part)
            self.date1904 = False
            if structure_only:
                return
            self.sheets = self._read_workbook()
            self.date_styles = self._read_styles()
            self.shared_strings = self._read_shared_strings()
        except WorkbookError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
            raise WorkbookError(BROKEN) from None
        except NotImplementedError:  # an unsupported compression method (deflate64, …)
            raise WorkbookError(
                "文件的压缩方式不受支持,请在 Excel 中打开后另存为 .xlsx 再上传。"
            ) from None

    # --- parts -------------------------------------------------------------------------

    def _check_size(self, part: str) -> zipfile.ZipInfo:
        info = self.names[part]
        if info.file_size > self.limits.max_xml_bytes:
            raise WorkbookError(
                f"文件解压后过大(部件 {part} 超过 "
                f"{self.limits.max_xml_bytes // 1048576} MB),请拆分成几个较小的文件。"
            )
        if info.file_size > RATIO_CHECK_FROM_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise WorkbookError("文件解压后异常膨胀(压缩比过高),可能是被篡改的文件,已拒绝。")
        return info

    def _parse(self, part: str, start=None, end=None, text=None, progress=None) -> None:
        """Stream one part through a secure expat parser with the given handlers."""
        info = self._check_size(part)
        parser = _secure_parser()
        if start:
            parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if text:
            parser.CharacterDataHandler = text
        done = 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    parser.Parse(chunk, False)
                    done += len(chunk)
                    if progress:
                        progress(done, info.file_size)
                parser.Parse(b"", True)
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
            raise WorkbookError(UNSAFE_XML) from None
        except ExpatError as error:
            raise WorkbookError(
                f"文件内容已损坏({part} 第 {error.lineno} 行 XML 格式错误),"
                "请在 Excel 中打开后另存为 .xlsx 再上传。"
            ) from None

    def _small_tree(self, part: str) -> list[tuple[str, dict]]:
        """The (element, attributes) of a small part, in document order."""
        elements = []
        self._parse(part, start=lambda name, attrs: elements.append((_local(name), attrs)))
        return elements

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, absolute part name) of a part's .rels file."""
        folder, name = dirname(part), part.rpartition("/")[2]
        rels = join(folder, "_rels", f"{name}.rels") if folder else f"_rels/{name}.rels"
        if rels not in self.names:
            return {}
        found = {}
        for element, attrs in self._small_tree(rels):
            if element == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else join(folder, target)
                found[attrs.get("Id")] = (attrs.get("Type", ""), normpath(path))
        return found

    def _find_workbook_part(self) -> str:
        for kind, path in self._relationships("").values():
            if kind in OFFICE_DOCUMENT and path in self.names:
                return path
        if "[Content_Types].xml" in self.names:
            for element, attrs in self._small_tree("[Content_Types].xml"):
                part = attrs.get("PartName", "").lstrip("/")
                if (
                    element == "Override"
                    and attrs.get("ContentType") in WORKBOOK_TYPES
                    and part in self.names
                ):
                    return part
        raise WorkbookError(
            "文件中没有 Excel 工作簿(可能是改了扩展名的其他文件),"
            "请上传用导入模板填写的 .xlsx 文件。"
        )

    def _read_workbook(self) -> list[Sheet]:
        relationships = self._relationships(self.workbook_part)
        sheets = []
        for element, attrs in self._small_tree(self.workbook_part):
            if element == "workbookPr":
                self.date1904 = attrs.get("date1904") in ("1", "true")
            elif element == "sheet":
                rel = next((v for k, v in attrs.items() if _local(k) == "id"), None)
                kind, path = relationships.get(rel, ("", None))
                is_worksheet = kind.endswith("/worksheet") and path in self.names
                sheets.append(
                    Sheet(name=attrs.get("name", ""), part=path if is_worksheet else None)
                )
        self.styles_part = self.strings_part = None
        for kind, path in relationships.values():
            if kind.endswith("/styles") and path in self.names:
                self.styles_part = path
            elif kind.endswith("/sharedStrings") and path in self.names:
                self.strings_part = path
        return sheets

    def _read_styles(self) -> list[bool]:
        """Per cell style index (the `s` attribute): does it show a date?"""
        if not self.styles_part:
            return []
        custom, styles, section = {}, [], None
        for element, attrs in self._small_tree(self.styles_part):
            if element == "numFmt":
                custom[attrs.get("numFmtId")] = attrs.get("formatCode", "")
            elif element in ("cellXfs", "cellStyleXfs", "dxfs"):
                section = element
            elif element == "xf" and section == "cellXfs":
                number_format = attrs.get("numFmtId", "0")
                if number_format in custom:
                    styles.append(is_date_format(custom[number_format]))
                else:
                    styles.append(number_format.isdigit() and int(number_format) in DATE_FORMAT_IDS)
        return styles

    def _read_shared_strings(self) -> list:
        if not self.strings_part:
            return []
        strings = []
        collector = _TextCollector(self.limits.max_cell_chars)

        def start(name, attrs):
            name = _local(name)
            if name == "si":
                collector.reset()
            else:
                collector.start(name)

        def end(name):
            name = _local(name)
            if name == "si":
                strings.append(collector.value())
            else:
                collector.end(name)

        self._parse(self.strings_part, start=start, end=end, text=collector.text)
        return strings

    # --- rows --------------------------------------------------------------------------

    def part_size(self, sheet: Sheet) -> int:
        """Uncompressed bytes of a sheet's XML (0 for a chart sheet)."""
        return self.names[sheet.part].file_size if sheet.part else 0

    def rows(
        self, sheet: Sheet, *, progress: Callable[[int, int], None] | None = None
    ) -> Iterator[tuple[int, dict[int, object]]]:
        """Yield (row number, {column index from 0: value}) of every row holding a value.

        Values: str, Decimal (numbers, exactly as stored), bool, datetime (date-styled
        numbers and ISO date cells), TooLong, ExcelErrorValue, FORMULA_WITHOUT_VALUE.
        Merged ranges of the sheet are in `sheet.merged` once the rows are consumed.
        """
        if sheet.part is None:
            return
        sheet.merged.clear()
        buffered: list = []
        start, end, text = _sheet_handlers(self, sheet, buffered.append)
        info = self._check_size(sheet.part)
        parser = _secure_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        done = 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    parser.Parse(chunk, False)
                    done += len(chunk)
                    if progress:
                        progress(done, info.file_size)
                    yield from buffered
                    buffered.clear()
                parser.Parse(b"", True)
                yield from buffered
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
            raise WorkbookError(UNSAFE_XML) from None
        except ExpatError as error:
            raise WorkbookError(
                f"文件内容已损坏(工作表“{sheet.name}”第 {error.lineno} 行 XML 格式错误),"
                "请在 Excel 中打开后另存为 .xlsx 再上传。"
            ) from None
        except (zipfile.BadZipFile, EOFError, OSError):
            raise WorkbookError(BROKEN) from None

    def close(self):
        self.zip.close()


class _TextCollector:
    """Collects the text of <t> elements (not of phonetic <rPh> runs), up to a cap."""

    def __init__(self, cap: int):
        self.cap = cap
        self.reset()

    def reset(self):
        self.parts, self.length, self.active, self.phonetic = [], 0, False, False

    def start(self, name):
        if name == "t" and not self.phonetic:
            self.active = True
        elif name == "rPh":
            self.phonetic = True

    def end(self, name):
        if name == "t":
            self.active = False
        elif name == "rPh":
            self.phonetic = False

    def text(self, data):
        if self.active:
            if self.length < self.cap:
                self.parts.append(data)
            self.length += len(data)

    def value(self):
        text = "".join(self.parts)
        if self.length > self.cap:
            return TooLong(text[: self.cap], self.length)
        return text


def _sheet_handlers(workbook: "XlsxWorkbook", sheet: Sheet, emit):
    """expat handlers for one worksheet: the cells of <sheetData>, and <mergeCell> refs.

    Closures over local state rather than methods: these run for every element of
    sheets with a million rows, and attribute lookups were most of their cost.
    """
    limits = workbook.limits
    cap = limits.max_cell_chars
    max_rows = limits.max_rows
    shared = workbook.shared_strings
    date_styles = {str(i) for i, is_date in enumerate(workbook.date_styles) if is_date}
    calendar = CALENDAR_MAC_1904 if workbook.date1904 else CALENDAR_WINDOWS_1900
    local_names: dict[str, str] = {}
    columns: dict[str, int] = {}
    numbers: dict[str, object] = {}  # raw text → Decimal or date: values repeat a lot
    parts: list[str] = []
    # row number, rows emitted, column, cell type, style, has formula, value text,
    # collecting text, inside a phonetic run, collected length
    state = [0, 0, -1, "n", None, False, None, False, False, 0]
    cells: dict[int, object] = {}
    digits = "0123456789"

    def local(name):
        short = local_names.get(name)
        if short is None:
            short = local_names[name] = name.rpartition(":")[2]
        return short

    def column_index(ref):
        letters = ref.rstrip(digits)
        index = columns.get(letters)
        if index is None:
            index = 0
            for letter in letters.upper():
                index = index * 26 + ord(letter) - 64
            index = columns[letters] = index - 1
        return index

    def collected():
        text = "".join(parts)
        if state[9] > cap:
            return TooLong(text[:cap], state[9])
        return text

    def start(name, attrs):
        name = local_names.get(name) or local(name)
        if name == "c":
            ref = attrs.get("r")
            state[2] = column_index(ref) if ref else state[2] + 1
            state[3] = attrs.get("t", "n")
            state[4] = attrs.get("s")
            state[5] = False
            state[6] = None
            parts.clear()
            state[9] = 0
        elif name == "v":
            parts.clear()
            state[9] = 0
            state[7] = True
        elif name == "t":
            if not state[8]:
                state[7] = True
        elif name == "row":
            number = attrs.get("r")
            state[0] = int(number) if number and number.isdigit() else state[0] + 1
            if state[0] > EXCEL_MAX_ROW:
                raise WorkbookError(
                    f"工作表“{sheet.name}”的行号 {state[0]} 超出 Excel 的上限,文件可能已被篡改。"
                )
            cells.clear()
            state[2] = -1
        elif name == "f":
            state[5] = True
        elif name == "rPh":
            state[8] = True
        elif name == "mergeCell":
            sheet.merged.append(attrs.get("ref", ""))

    def text(data):
        if state[7]:
            if state[9] < cap:
                parts.append(data)
            state[9] += len(data)

    def end(name):
        name = local_names.get(name) or local(name)
        if name == "c":
            value = cell_value()
            if value is not None:
                cells[state[2]] = value
        elif name == "v":
            state[7] = False
            state[6] = collected()
        elif name == "t":
            state[7] = False
        elif name == "row":
            if cells:
                state[1] += 1
                if state[1] > max_rows:
                    raise WorkbookError(
                        f"工作表“{sheet.name}”超过 {max_rows} 行的上限,请拆分成几个文件分别导入。"
                    )
                emit((state[0], dict(cells)))
        elif name == "rPh":
            state[8] = False

    def cell_value():
        kind = state[3]
        if kind == "inlineStr":
            value = collected()
            return value if value != "" else None
        raw = state[6]
        if raw is None:
            return FORMULA_WITHOUT_VALUE if state[5] else None
        if isinstance(raw, TooLong):
            return raw
        if kind == "s":
            try:
                return shared[int(raw)]
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"文件内容已损坏(工作表“{sheet.name}”第 {state[0]} 行引用了不存在的"
                    "共享字符串),请在 Excel 中打开后另存为 .xlsx 再上传。"
                ) from None
        if kind == "str":  # a formula's text result
            return raw if raw != "" else None
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return ExcelErrorValue(raw.strip())
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        if not raw.strip():  # <v></v>: a number cell with nothing in it
            return FORMULA_WITHOUT_VALUE if state[5] else None
        is_date = state[4] in date_styles
        key = ("d" + raw) if is_date else raw
        value = numbers.get(key)
        if value is None:
            value = _number(raw, is_date, calendar)
            if len(numbers) < 100_000:  # bounded: mileages and amounts are mostly unique
                numbers[key] = value
        return value

    return start, end, text


def _number(raw: str, is_date: bool, calendar):
    raw = raw.strip()
    if raw == "":
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return raw
    if not number.is_finite():
        return raw
    if is_date:
        try:
            value = from_excel(float(number), calendar)
        except (ValueError, OverflowError):
            return number
        if isinstance(value, dt.datetime):  # a time of day alone is not a date
            return value
    return number
