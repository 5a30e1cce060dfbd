"""Excel import of the old system's archive: customers, vehicles and service history.

All or nothing (DOMAIN.md §2): the whole workbook is read and checked first; any bad cell
is reported as sheet, row, column and reason in Chinese, and then nothing is written.
A clean workbook is written in one transaction. Duplicates are merged, never doubled:
customers by mobile + name, vehicles by VIN, work orders by number; re-importing the same
file changes nothing.
"""

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from apps.core.text import normalize_text
from apps.workorders.models import Payer, WorkOrder, WorkOrderLine

from . import services
from .models import Customer, ImportBatch, Vehicle
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

MAX_REPORTED_ERRORS = 1000  # enough to fix a file; the total is reported too
MAX_INTEGER = 2_147_483_647  # PostgreSQL's integer, which PositiveIntegerField uses
# WorkOrderLine.quantity has 10 digits with 2 decimals, the narrowest decimal column; a line
# of 100 million yuan is beyond any real work order anyway.
MAX_DECIMAL = Decimal(10**8)


@dataclass(frozen=True)
class Column:
    header: str
    attr: str
    kind: str = "text"  # text, date, int, decimal, bool, or a choice map's name
    required: bool = False
    example: object = ""
    max_length: int | None = 200  # of the model field a text column goes to; None: TextField


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
SHEETS = {
    CUSTOMER_SHEET: (
        Column("姓名*", "name", required=True, example="张伟", max_length=100),
        Column("类型", "kind", "customer_kind", example="个人"),
        Column("手机*", "mobile", "mobile", required=True, example="13812345678"),
        Column("其他电话", "phone_other", "phone_other", example="0755-26001234"),
        Column("身份证号", "id_number", "id_number", example="11010519491231002X"),
        Column("统一社会信用代码", "credit_code", "credit_code"),
        Column("地址", "address", example="深圳市南山区科技园"),
        Column("生日", "birthday", "date"),
        Column("性别", "sex", "sex"),
        Column("会员号", "club_member_number", max_length=30),
        Column("入会日期", "club_joined_on", "date"),
        Column("同意短信", "marketing_consent", "bool", example="是"),
        Column("免打扰", "do_not_call", "bool", example="否"),
        Column("来源", "source", "source", example="本店购车"),
        Column("备注", "note", max_length=None),
    ),
    VEHICLE_SHEET: (
        Column("VIN*", "vin", "vin", required=True, example="LSVAU218XN2183294"),
        Column("车牌", "plate", "plate", example="粤B12345"),
        Column("品牌*", "brand", required=True, example="大众", max_length=30),
        Column("车型*", "model_name", required=True, example="帕萨特 2022款 330TSI", max_length=60),
        Column("颜色", "colour", example="星空蓝", max_length=20),
        Column("发动机号", "engine_number", max_length=30),
        Column("车主姓名*", "owner_name", required=True, example="张伟", max_length=100),
        Column("车主手机*", "owner_mobile", "mobile", required=True, example="13812345678"),
        Column("销售日期", "sale_date", "date", example="2022-05-18"),
        Column("三包开始", "warranty_start", "date"),
        Column("三包结束", "warranty_end", "date"),
        Column("三包里程", "warranty_km_limit", "int"),
        Column("保险公司", "insurance_company", example="中国人保", max_length=50),
        Column("保险到期", "insurance_expires_on", "date"),
        Column("年审到期", "inspection_due_on", "date"),
        Column("当前里程", "mileage", "int", example=35600),
    ),
    HISTORY_SHEET: (
        Column("工单号*", "number", required=True, example="WO2023051800012", max_length=30),
        Column("VIN*", "vin", "vin", required=True, example="LSVAU218XN2183294"),
        Column("进厂日期*", "opened_on", "date", required=True, example="2023-05-18"),
        Column("交车日期", "delivered_on", "date", example="2023-05-18"),
        Column("里程", "mileage", "int", example=30120),
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


@dataclass
class Parsed:
    customers: dict = field(default_factory=dict)  # (mobile, name) -> {attr: value}
    vehicles: dict = field(default_factory=dict)  # vin -> {attr: value}
    work_orders: dict = field(default_factory=dict)  # number -> {attr: value, lines: [...]}
    errors: list = field(default_factory=list)
    rows: int = 0
    # VINs of vehicle rows refused for another cell: their error is already reported, so a
    # work order of such a VIN must not also be told its vehicle is missing.
    refused_vins: set = field(default_factory=set)


class CellError(Exception):
    pass


def template_workbook() -> io.BytesIO:
    """The empty import template: one sheet per kind, headers, an example row, choices."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns in SHEETS.items():
        sheet = workbook.create_sheet(title)
        sheet.append([column.header for column in columns])
        sheet.append([column.example for column in columns])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
            if column.kind in (
                "text",
                "mobile",
                "phone_other",
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
    notes = workbook.create_sheet("说明")
    for line in (
        "带 * 的列必填。每个工作表第一行是表头,请勿修改;第二行是示例,导入前请删除。",
        "客户按“手机+姓名”合并,车辆按 VIN 合并,工单按工单号合并:重复导入同一文件不会产生重复记录。",
        "有任何一行出错时整个文件都不会导入;系统会列出每个错误的工作表、行、列和原因。",
        "日期格式:2024-05-18;身份证号、手机号请设为文本格式,避免 Excel 把长数字改写。",
        "维修记录每行是工单的一个项目;同一工单号的多行合并为一张工单。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _convert(column: Column, value, *, accept_invalid_vin: bool):
    text = _text(value)
    if not text:
        if column.required:
            raise CellError("必填,不能为空。")
        # Blank means "not given": it never overwrites a value already in the archive.
        return (
            ""
            if column.kind in ("text", "mobile", "phone_other", "id_number", "credit_code", "plate")
            else None
        )
    kind = column.kind
    try:
        if kind == "date":
            return _date(value, text)
        if kind == "int":
            number = Decimal(text)
            if number < 0 or number != number.to_integral_value():
                raise CellError(f"应为非负整数,而不是“{text}”。")
            if number > MAX_INTEGER:
                raise CellError(f"数值过大:“{text}”。")
            return int(number)
        if kind == "decimal":
            number = Decimal(text)
            if not number.is_finite():
                raise CellError(f"应为数字,而不是“{text}”。")
            if abs(number) >= MAX_DECIMAL:
                raise CellError(f"数值过大:“{text}”,应小于 {MAX_DECIMAL}。")
            return number.quantize(Decimal("0.01"))
        if kind == "bool":
            if isinstance(value, bool):  # an Excel TRUE/FALSE cell
                return value
            if text.upper() not in YES_NO:
                raise CellError(f"应填“是”或“否”,而不是“{text}”。")
            return YES_NO[text.upper()]
        if kind in CHOICES:
            if text not in CHOICES[kind]:
                allowed = "、".join(CHOICES[kind])
                raise CellError(f"“{text}”不是有效选项,可选:{allowed}。")
            return CHOICES[kind][text]
        if kind == "mobile":
            return normalize_mobile(text)
        if kind == "phone_other":
            return normalize_phone_other(text)
        if kind == "id_number":
            if isinstance(value, float | int):
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
        raise CellError(f"应为数字,而不是“{text}”。") from None
    # A longer value would fail the whole transaction as a database error, far from its cell.
    if column.max_length and len(text) > column.max_length:
        raise CellError(f"最多 {column.max_length} 个字符,当前为 {len(text)} 个。")
    return text


def _date(value, text: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text.split(" ")[0], fmt).date()  # noqa: DTZ007 (a date only)
        except ValueError:
            continue
    raise CellError(f"日期格式不正确:“{text}”,应为 2024-05-18。")


def parse_workbook(file, *, accept_invalid_vin: bool) -> Parsed:
    """Read and check every row of every sheet; nothing is written here."""
    parsed = Parsed()
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        parsed.errors.append(_error("", 0, "", "无法读取文件:请上传用导入模板填写的 .xlsx 文件。"))
        return parsed
    found = [name for name in SHEETS if name in workbook.sheetnames]
    if not found:
        parsed.errors.append(
            _error("", 0, "", f"文件中没有“{'”“'.join(SHEETS)}”中的任何一个工作表。")
        )
        return parsed
    for name in found:
        _parse_sheet(workbook[name], name, parsed, accept_invalid_vin=accept_invalid_vin)
    workbook.close()
    _check_references(parsed)
    return parsed


def _error(sheet, row, column, message):
    return {"sheet": sheet, "row": row, "column": column, "message": message}


def _parse_sheet(sheet, name, parsed: Parsed, *, accept_invalid_vin: bool):
    columns = SHEETS[name]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(cell) for cell in next(rows, ())]
    positions = {}
    for column in columns:
        plain = column.header.rstrip("*")
        for index, title in enumerate(header):
            if title.rstrip("*") == plain:
                positions[column.attr] = index
        if column.attr not in positions and column.required:
            parsed.errors.append(_error(name, 1, column.header, "缺少必填列(请使用导入模板)。"))
    if any(e["sheet"] == name and e["row"] == 1 for e in parsed.errors):
        return
    for row_number, values in enumerate(rows, start=2):
        if not any(_text(v) for v in values):
            continue
        parsed.rows += 1
        record, row_errors = {}, []
        for column in columns:
            index = positions.get(column.attr)
            value = values[index] if index is not None and index < len(values) else None
            try:
                record[column.attr] = _convert(column, value, accept_invalid_vin=accept_invalid_vin)
            except CellError as error:
                letter = get_column_letter(index + 1) if index is not None else ""
                row_errors.append(_error(name, row_number, f"{letter} {column.header}", str(error)))
        if row_errors:
            parsed.errors.extend(row_errors)
            if name == VEHICLE_SHEET and "vin" in record:
                parsed.refused_vins.add(record["vin"])
            continue
        record["_row"] = row_number
        _merge_row(name, record, parsed)


def _merge_row(sheet, record, parsed: Parsed):
    row = record.pop("_row")
    if sheet == CUSTOMER_SHEET:
        if record["kind"] != Customer.Kind.COMPANY and record["credit_code"]:
            parsed.errors.append(
                _error(sheet, row, "统一社会信用代码", "个人客户不填统一社会信用代码。")
            )
            return
        key = (record["mobile"], record["name"])
        _fill(parsed.customers.setdefault(key, {"_row": row}), record)
    elif sheet == VEHICLE_SHEET:
        start, end = record["warranty_start"], record["warranty_end"]
        if start and end and end <= start:
            parsed.errors.append(_error(sheet, row, "三包结束", "三包结束日期必须晚于开始日期。"))
            parsed.refused_vins.add(record["vin"])
            return
        _fill(parsed.vehicles.setdefault(record["vin"], {"_row": row}), record)
    else:
        line = {
            k: record.pop(k)
            for k in (
                "line_kind",
                "code",
                "description",
                "quantity",
                "unit_price",
                "amount",
                "payer",
            )
        }
        line["payer"] = line["payer"] or Payer.CUSTOMER
        record["kind"] = record["kind"] or WorkOrder.Kind.REPAIR
        if line["quantity"] is None:
            line["quantity"] = Decimal(1)
        if line["unit_price"] is None:
            line["unit_price"] = line["amount"] or Decimal(0)
        if line["amount"] is None:
            line["amount"] = (line["quantity"] * line["unit_price"]).quantize(Decimal("0.01"))
        order = parsed.work_orders.get(record["number"])
        if order is None:
            order = parsed.work_orders[record["number"]] = {**record, "lines": [], "_row": row}
        elif order["vin"] != record["vin"] or order["opened_on"] != record["opened_on"]:
            parsed.errors.append(
                _error(
                    sheet,
                    row,
                    "工单号",
                    f"工单 {record['number']} 在第 {order['_row']} 行的 VIN 或进厂日期与本行不同。",
                )
            )
            return
        order["lines"].append(line)


def _fill(target: dict, record: dict):
    """Merge a duplicate row: later non-empty values win, empty ones never erase."""
    for attr, value in record.items():
        if value not in ("", None) or attr not in target:
            target[attr] = value


def _check_references(parsed: Parsed):
    known_vins = set(parsed.vehicles) | parsed.refused_vins
    missing = {o["vin"] for o in parsed.work_orders.values()} - known_vins
    if missing:
        known_vins |= set(Vehicle.objects.filter(vin__in=missing).values_list("vin", flat=True))
    for number, order in parsed.work_orders.items():
        if order["vin"] not in known_vins:
            parsed.errors.append(
                _error(
                    HISTORY_SHEET,
                    order["_row"],
                    "VIN",
                    f"工单 {number} 的车辆不在车辆表中,也不在系统中。",
                )
            )
    ids = {}
    for key, customer in parsed.customers.items():
        if customer["id_number"]:
            other = ids.setdefault(customer["id_number"], key)
            if other != key:
                parsed.errors.append(
                    _error(
                        CUSTOMER_SHEET,
                        customer["_row"],
                        "身份证号",
                        "同一身份证号出现在两位不同的客户(手机或姓名不同)。",
                    )
                )
    taken = Customer.objects.filter(id_number__in=list(ids)).values_list(
        "id_number", "mobile", "name"
    )
    for id_number, mobile, name in taken:
        key = ids[id_number]
        if key != (mobile, name):
            row = parsed.customers[key]["_row"]
            parsed.errors.append(
                _error(
                    CUSTOMER_SHEET,
                    row,
                    "身份证号",
                    f"该身份证号已登记在系统中另一位客户({name})名下。",
                )
            )


def import_archive(*, batch: ImportBatch) -> dict:
    """Check the batch's workbook, then write it all in one transaction, or nothing.

    Returns the summary (counts) and stores it, or the errors, on the batch.
    """
    with batch.file.open("rb") as file:
        parsed = parse_workbook(file, accept_invalid_vin=batch.accept_invalid_vin)
    if parsed.errors:
        batch.status = ImportBatch.Status.REJECTED
        batch.errors = parsed.errors[:MAX_REPORTED_ERRORS]
        batch.summary = {"rows": parsed.rows, "error_count": len(parsed.errors)}
    else:
        with transaction.atomic():
            summary = _write(parsed, batch)
        batch.status = ImportBatch.Status.SUCCEEDED
        batch.errors = []
        batch.summary = {"rows": parsed.rows, **summary}
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "errors", "summary", "finished_at", "updated_at"])
    return batch.summary


def _changed(instance, values: dict) -> bool:
    changed = False
    for attr, value in values.items():
        if value in ("", None) or getattr(instance, attr) == value:
            continue
        setattr(instance, attr, value)
        changed = True
    return changed


def _write(parsed: Parsed, batch: ImportBatch) -> dict:
    today = timezone.localdate()
    counts = dict.fromkeys(
        (
            "customers_created",
            "customers_updated",
            "vehicles_created",
            "vehicles_updated",
            "owners_changed",
            "work_orders_created",
            "work_orders_unchanged",
        ),
        0,
    )
    # Customers named by vehicle rows but absent from the customer sheet.
    for vehicle in parsed.vehicles.values():
        key = (vehicle["owner_mobile"], vehicle["owner_name"])
        parsed.customers.setdefault(
            key, {"name": key[1], "mobile": key[0], "_row": vehicle["_row"]}
        )

    mobiles = {mobile for mobile, _ in parsed.customers}
    existing = {(c.mobile, c.name): c for c in Customer.objects.filter(mobile__in=mobiles)}
    customers, new_customers = {}, []
    for key, values in parsed.customers.items():
        values = {k: v for k, v in values.items() if not k.startswith("_")}
        # The key as the services store it (one text normaliser), so a re-import finds it.
        values["name"] = normalize_text(values["name"])
        lookup = (key[0], values["name"])
        customer = existing.get(lookup)
        kind = values.get("kind") or (customer.kind if customer else Customer.Kind.PERSON)
        if kind == Customer.Kind.COMPANY:
            # A company has no resident ID, nor the birthday and sex derived from one.
            values.pop("id_number", None)
            values.pop("sex", None)
        id_number = values.get("id_number") or (customer.id_number if customer else "")
        if id_number:
            # The ID number decides birthday and sex: a sheet disagreeing with it must not
            # count as a change (and a save) on every re-import.
            values["birthday"] = id_number_birthday(id_number)
            values["sex"] = id_number_sex(id_number)
        if customer is None:
            customer = Customer(**{k: v for k, v in values.items() if v is not None})
            new_customers.append(customer)
            existing[lookup] = customer
            counts["customers_created"] += 1
        elif _changed(customer, values) and customer.pk is not None:
            services.customer_save(customer=customer)
            counts["customers_updated"] += 1
        customers[key] = customer
    services.customers_create_many(customers=new_customers)

    existing_vehicles = {v.vin: v for v in Vehicle.objects.filter(vin__in=list(parsed.vehicles))}
    new_vehicles = []
    for vin, values in parsed.vehicles.items():
        owner = customers[(values["owner_mobile"], values["owner_name"])]
        fields = {
            k: v for k, v in values.items() if not k.startswith("_") and not k.startswith("owner_")
        }
        vehicle = existing_vehicles.get(vin)
        if vehicle is None:
            given = {k: v for k, v in fields.items() if v is not None}
            if not is_vin_check_digit_valid(vin):
                given["vin_exception_reason"] = batch.invalid_vin_reason or "旧系统导入"
                given["vin_exception_by"] = batch.created_by
            vehicle = Vehicle(owner=owner, **given)
            new_vehicles.append(vehicle)
            existing_vehicles[vin] = vehicle
            counts["vehicles_created"] += 1
            continue
        if vehicle.owner_id != owner.pk:
            services.vehicle_change_owner(
                vehicle=vehicle,
                new_owner=owner,
                on=today,
                note=f"导入过户:{batch.original_name}"[:200],
            )
            counts["owners_changed"] += 1
        if _changed(vehicle, fields):
            services.vehicle_save(vehicle=vehicle, by=batch.created_by)
            counts["vehicles_updated"] += 1
    services.vehicles_register_many(vehicles=new_vehicles, note=f"导入:{batch.original_name}"[:200])

    numbers = list(parsed.work_orders)
    done = set(WorkOrder.objects.filter(number__in=numbers).values_list("number", flat=True))
    counts["work_orders_unchanged"] = len(done)
    missing_vins = {o["vin"] for o in parsed.work_orders.values()} - set(existing_vehicles)
    for vehicle in Vehicle.objects.filter(vin__in=missing_vins):
        existing_vehicles[vehicle.vin] = vehicle
    lines = []
    for number, order in parsed.work_orders.items():
        if number in done:
            continue
        vehicle = existing_vehicles[order["vin"]]
        work_order = _import_work_order(number, order, vehicle)
        lines.extend(
            WorkOrderLine(
                work_order=work_order,
                kind=line["line_kind"],
                code=line["code"],
                description=line["description"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                amount=line["amount"],
                payer=line["payer"],
            )
            for line in order["lines"]
        )
        counts["work_orders_created"] += 1
    WorkOrderLine.objects.bulk_create(lines, batch_size=2000)
    # Segments of the customers this file created or gave history to, by the monthly rule.
    touched = {c.pk for c in new_customers} | {
        existing_vehicles[order["vin"]].owner_id
        for number, order in parsed.work_orders.items()
        if number not in done
    }
    services.customers_recompute_segments(on=today, customer_ids=touched)
    return counts


def _import_work_order(number, order, vehicle) -> WorkOrder:
    lines = order["lines"]
    labour = sum((line["amount"] for line in lines if line["line_kind"] == "labour"), Decimal(0))
    total = sum((line["amount"] for line in lines), Decimal(0))
    paid = sum((line["amount"] for line in lines if line["payer"] == "customer"), Decimal(0))
    opened = timezone.make_aware(dt.datetime.combine(order["opened_on"], dt.time(9, 0)))
    delivered = order["delivered_on"] or order["opened_on"]
    return WorkOrder.objects.create(
        number=number,
        vehicle=vehicle,
        customer_id=vehicle.owner_id,
        kind=order["kind"],
        status=WorkOrder.Status.SETTLED,
        source=WorkOrder.Source.IMPORT,
        opened_at=opened,
        delivered_at=timezone.make_aware(dt.datetime.combine(delivered, dt.time(17, 0))),
        mileage=order["mileage"] or 0,
        customer_words=order["customer_words"],
        labour_amount=labour,
        parts_amount=total - labour,
        total_amount=total,
        customer_paid_amount=paid,
    )
