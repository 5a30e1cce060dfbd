"""The Excel import of the old system's archive (DOMAIN.md §2): all or nothing, duplicates
merged, safe to re-import. Every workbook here is a real .xlsx built with openpyxl."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from openpyxl import Workbook, load_workbook

from apps.customers import importing, services
from apps.customers.models import Customer, ImportBatch, Vehicle, VehicleOwnership
from apps.workorders.models import WorkOrder, WorkOrderLine
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db

CUSTOMERS, VEHICLES, HISTORY = (
    importing.CUSTOMER_SHEET,
    importing.VEHICLE_SHEET,
    importing.HISTORY_SHEET,
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Today" of most tests: the import dates owner changes and undated ownerships with it.
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
FILE_NAME = "旧系统档案.xlsx"
# The "LSV" maker code keeps these apart from the factory's "LFV" VINs.
VIN_A, VIN_B, VIN_C, VIN_D = (valid_vin(serial, wmi="LSV") for serial in (1, 2, 3, 4))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded workbooks go to a temporary folder, not var/test-media."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def manager(user_with_role):
    return user_with_role("manager")


# --- building workbooks --------------------------------------------------------------


def xlsx(sheets: dict) -> bytes:
    """A workbook with the template's headers; each row is a dict of column attributes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        columns = importing.SHEETS[title]
        known = {column.attr for column in columns}
        sheet = workbook.create_sheet(title)
        sheet.append([column.header for column in columns])
        for row in rows:
            assert set(row) <= known, f"unknown columns {set(row) - known}"
            sheet.append([row.get(column.attr) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def customer_row(**values) -> dict:
    return {"name": "张伟", "mobile": "13812345678", **values}


def vehicle_row(vin, **values) -> dict:
    return {
        "vin": vin,
        "brand": "大众",
        "model_name": "速腾 2023款 300TSI",
        "owner_name": "张伟",
        "owner_mobile": "13812345678",
        **values,
    }


def history_row(number, vin, **values) -> dict:
    return {
        "number": number,
        "vin": vin,
        "opened_on": "2023-05-18",
        "line_kind": "工时",
        "description": "更换机油机滤",
        "amount": 180,
        **values,
    }


def make_batch(content: bytes, *, by, **fields) -> ImportBatch:
    return ImportBatch.objects.create(
        file=ContentFile(content, name=FILE_NAME), original_name=FILE_NAME, created_by=by, **fields
    )


def run_import(content: bytes, *, by, **fields) -> ImportBatch:
    batch = make_batch(content, by=by, **fields)
    returned = importing.import_archive(batch=batch)
    batch.refresh_from_db()
    assert returned == batch.summary
    return batch


def counts(batch) -> dict:
    """The batch's summary without its timings (check_seconds, write_seconds)."""
    return {k: v for k, v in batch.summary.items() if not k.endswith("_seconds")}


def money(amount: str) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def error(sheet, row, column, message) -> dict:
    return {"sheet": sheet, "row": row, "column": column, "message": message}


def archive_counts() -> dict:
    return {
        "customers": Customer.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "ownerships": VehicleOwnership.objects.count(),
        "work_orders": WorkOrder.objects.count(),
        "lines": WorkOrderLine.objects.count(),
    }


def clean_archive() -> bytes:
    """Two customers, two vehicles, two work orders (one with three lines)."""
    return xlsx(
        {
            CUSTOMERS: [
                customer_row(
                    kind="个人",
                    mobile="138 1234 5678",
                    phone_other="0755-26001234",
                    id_number="440305198506150011",
                    address="深圳市南山区科技园",
                    club_member_number="VIP0001",
                    club_joined_on=dt.date(2020, 1, 5),
                    marketing_consent="是",
                    do_not_call="否",
                    source="本店购车",
                    note="老客户",
                ),
                {
                    "name": "深圳市鹏程物流有限公司",
                    "kind": "单位",
                    "mobile": "13912345678",
                    "credit_code": "91440300MA5F0XXX0B",
                    "source": "仅维修",
                },
            ],
            VEHICLES: [
                vehicle_row(
                    VIN_A,
                    plate="粤B12345",
                    colour="星空蓝",
                    engine_number="EA888123456",
                    sale_date="2022-05-18",
                    warranty_start=dt.date(2022, 5, 18),
                    warranty_end="2025/05/17",
                    warranty_km_limit=100000,
                    insurance_company="中国人保",
                    insurance_expires_on="2024年05月17日",
                    inspection_due_on="20260518",
                    mileage=35600,
                ),
                vehicle_row(
                    VIN_B,
                    plate="粤B12345D",
                    brand="比亚迪",
                    model_name="汉 EV",
                    owner_name="深圳市鹏程物流有限公司",
                    owner_mobile="13912345678",
                ),
            ],
            HISTORY: [
                history_row(
                    "WO2023051800012",
                    VIN_A,
                    delivered_on="2023-05-19",
                    mileage=30120,
                    kind="保养",
                    code="LB-0001",
                    quantity=1,
                    unit_price=180,
                    payer="客户",
                    customer_words="到期保养",
                ),
                history_row(
                    "WO2023051800012",
                    VIN_A,
                    line_kind="配件",
                    code="PT-0001",
                    description="机油 5W-30",
                    quantity=4,
                    unit_price=60,
                    amount=None,
                ),
                history_row(
                    "WO2023051800012",
                    VIN_A,
                    line_kind="辅料",
                    description="清洗剂",
                    amount=30,
                    payer="三包",
                ),
                history_row(
                    "WO2024010200003",
                    VIN_B,
                    opened_on=dt.date(2024, 1, 2),
                    description="首保检查",
                    amount=0,
                    payer="三包",
                ),
            ],
        }
    )


# --- a clean file --------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_clean_file_imports_customers_vehicles_owners_and_work_orders(manager):
    # Given an empty archive and a clean workbook
    # When it is imported
    batch = run_import(clean_archive(), by=manager)

    # Then the batch succeeded with these counts
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.errors == []
    assert batch.finished_at == NOW
    assert counts(batch) == {
        "rows": 8,
        "customers_created": 2,
        "customers_filled": 0,
        "vehicles_created": 2,
        "vehicles_filled": 0,
        "work_orders_created": 2,
        "work_orders_unchanged": 0,
        "conflicts": 0,
    }
    # and the person got birthday and sex from the ID number, mobile normalised
    person = Customer.objects.get(name="张伟")
    assert (
        person.kind,
        person.mobile,
        person.phone_other,
        person.id_number,
        person.birthday,
        person.sex,
        person.address,
        person.club_member_number,
        person.club_joined_on,
        person.marketing_consent,
        person.do_not_call,
        person.source,
        person.note,
    ) == (
        Customer.Kind.PERSON,
        "13812345678",
        "075526001234",
        "440305198506150011",
        dt.date(1985, 6, 15),
        "M",
        "深圳市南山区科技园",
        "VIP0001",
        dt.date(2020, 1, 5),
        True,
        False,
        Customer.Source.BOUGHT_HERE,
        "老客户",
    )
    company = Customer.objects.get(name="深圳市鹏程物流有限公司")
    assert (company.kind, company.mobile, company.credit_code, company.source) == (
        Customer.Kind.COMPANY,
        "13912345678",
        "91440300MA5F0XXX0B",
        Customer.Source.SERVICE_ONLY,
    )
    # and every date format of the old system was understood
    car = Vehicle.objects.get(vin=VIN_A)
    assert (
        car.plate,
        car.brand,
        car.model_name,
        car.colour,
        car.engine_number,
        car.owner,
        car.sale_date,
        car.warranty_start,
        car.warranty_end,
        car.warranty_km_limit,
        car.insurance_company,
        car.insurance_expires_on,
        car.inspection_due_on,
        car.mileage,
        car.vin_check_digit_valid,
    ) == (
        "粤B12345",
        "大众",
        "速腾 2023款 300TSI",
        "星空蓝",
        "EA888123456",
        person,
        dt.date(2022, 5, 18),
        dt.date(2022, 5, 18),
        dt.date(2025, 5, 17),
        100000,
        "中国人保",
        dt.date(2024, 5, 17),
        dt.date(2026, 5, 18),
        35600,
        True,
    )
    van = Vehicle.objects.get(vin=VIN_B)
    assert (van.plate, van.brand, van.owner, van.sale_date, van.mileage) == (
        "粤B12345D",
        "比亚迪",
        company,
        None,
        0,
    )
    # and each vehicle has one open ownership, from the sale date or else today
    assert list(
        VehicleOwnership.objects.order_by("vehicle__vin").values_list(
            "vehicle__vin", "customer__name", "started_on", "ended_on", "note"
        )
    ) == [
        (VIN_A, "张伟", dt.date(2022, 5, 18), None, "导入:旧系统档案.xlsx"),
        (VIN_B, "深圳市鹏程物流有限公司", TODAY, None, "导入:旧系统档案.xlsx"),
    ]


@time_machine.travel(NOW, tick=False)
def test_work_order_rows_become_one_settled_order_with_its_lines_and_amounts(manager):
    # When the clean workbook is imported
    run_import(clean_archive(), by=manager)

    # Then three rows of one number are one order; labour, parts, materials and customer-paid sum up
    order = WorkOrder.objects.get(number="WO2023051800012")
    assert (
        order.vehicle.vin,
        order.customer.name,
        order.kind,
        order.status,
        order.source,
        order.opened_at,
        order.delivered_at,
        order.mileage,
        order.customer_words,
        order.labour_amount,
        order.parts_amount,
        order.materials_amount,
        order.total_amount,
        order.customer_paid_amount,
    ) == (
        VIN_A,
        "张伟",
        WorkOrder.Kind.MAINTENANCE,
        WorkOrder.Status.SETTLED,
        WorkOrder.Source.IMPORT,
        dt.datetime(2023, 5, 18, 9, 0, tzinfo=SHANGHAI),
        dt.datetime(2023, 5, 19, 17, 0, tzinfo=SHANGHAI),
        30120,
        "到期保养",
        Decimal("180.00"),
        Decimal("240.00"),
        Decimal("30.00"),
        Decimal("450.00"),
        Decimal("420.00"),
    )
    assert list(
        order.lines.values_list(
            "kind", "code", "description", "quantity", "unit_price", "amount", "payer"
        )
    ) == [
        ("labour", "LB-0001", "更换机油机滤", money("1"), money("180"), money("180"), "customer"),
        ("part", "PT-0001", "机油 5W-30", money("4"), money("60"), money("240"), "customer"),
        ("material", "", "清洗剂", money("1"), money("30"), money("30"), "warranty"),
    ]
    # and an order without kind, mileage or delivery date gets the defaults
    first_service = WorkOrder.objects.get(number="WO2024010200003")
    assert (
        first_service.kind,
        first_service.customer.name,
        first_service.mileage,
        first_service.opened_at,
        first_service.delivered_at,
        first_service.total_amount,
        first_service.customer_paid_amount,
    ) == (
        WorkOrder.Kind.REPAIR,
        "深圳市鹏程物流有限公司",
        0,
        dt.datetime(2024, 1, 2, 9, 0, tzinfo=SHANGHAI),
        dt.datetime(2024, 1, 2, 17, 0, tzinfo=SHANGHAI),
        Decimal("0.00"),
        Decimal("0.00"),
    )


# --- all or nothing ------------------------------------------------------------------


def test_import_rejects_the_whole_file_and_reports_every_bad_cell(manager):
    # Given an archive holding one customer, vehicle and work order
    WorkOrderFactory()
    before = archive_counts()
    # and a workbook whose good rows sit among bad ones
    content = xlsx(
        {
            CUSTOMERS: [
                customer_row(),
                customer_row(name="王芳", mobile="1381234567"),
                customer_row(name="李强", mobile="13912345678", id_number=440305198506150011),
                customer_row(name=None, mobile="13712345678"),
                customer_row(name="赵敏", mobile="13612345678", kind="公司"),
                customer_row(name="钱进", mobile="abc", marketing_consent="可以"),
            ],
            VEHICLES: [
                vehicle_row("LSVAU218XN21832I4"),
                vehicle_row(VIN_A, plate="粤B1234"),
                vehicle_row(VIN_B, sale_date="2022-13-45"),
                vehicle_row(VIN_C, mileage="三万"),
                vehicle_row(VIN_D),
            ],
            HISTORY: [
                history_row("WO1", VIN_D, line_kind="人工"),
                history_row("WO2", VIN_D, opened_on="18/05/2023"),
                history_row("WO3", VIN_D, amount="一百八"),
                history_row("WO4", VIN_D),
            ],
        }
    )

    # When it is imported
    batch = run_import(content, by=manager)

    # Then nothing at all was written
    assert archive_counts() == before
    # and every bad cell is reported by sheet, row, column and reason
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(CUSTOMERS, 3, "C 手机*", "手机号应为 11 位数字,以 13-19 开头。"),
        error(
            CUSTOMERS,
            4,
            "E 身份证号",
            "身份证号被 Excel 存成了数字(后几位已丢失),请把该列设为文本后重填。",
        ),
        error(CUSTOMERS, 5, "A 姓名*", "必填,不能为空。"),
        error(CUSTOMERS, 6, "B 类型", "“公司”不是有效选项,可选:个人、单位。"),
        error(CUSTOMERS, 7, "C 手机*", "手机号应为 11 位数字,以 13-19 开头。"),
        error(CUSTOMERS, 7, "L 同意短信", "应填“是”或“否”,而不是“可以”。"),
        error(VEHICLES, 2, "A VIN*", "VIN 含有无效字符:I(VIN 中不会出现 I、O、Q)。"),
        error(
            VEHICLES,
            3,
            "B 车牌",
            "车牌号格式不正确:应为省份简称 + 字母 + 5 位(新能源 6 位),如 粤B12345、京AD12345。",
        ),
        error(VEHICLES, 4, "I 销售日期", "日期不存在:“2022-13-45”。"),
        error(VEHICLES, 5, "P 当前里程", "应为数字,而不是“三万”。"),
        error(HISTORY, 2, "G 项目类别*", "“人工”不是有效选项,可选:工时、配件、辅料。"),
        error(
            HISTORY,
            3,
            "C 进厂日期*",
            "日期格式不正确或有歧义:“18/05/2023”,应为 2024-05-18(年-月-日)。",
        ),
        error(HISTORY, 4, "L 金额", "应为数字,而不是“一百八”。"),
    ]
    assert counts(batch) == {"rows": 15, "error_count": 13}


@pytest.mark.parametrize("stored", [440305198506150011, 4.40305198506150e17])
def test_id_number_that_excel_stored_as_a_number_is_refused(manager, stored):
    batch = run_import(xlsx({CUSTOMERS: [customer_row(id_number=stored)]}), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(
            CUSTOMERS,
            2,
            "E 身份证号",
            "身份证号被 Excel 存成了数字(后几位已丢失),请把该列设为文本后重填。",
        )
    ]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("sheets", "expected"),
    [
        (
            {
                VEHICLES: [
                    vehicle_row(VIN_A, warranty_start="2024-05-18", warranty_end="2024-05-18")
                ]
            },
            error(VEHICLES, 2, "三包结束", "三包结束日期必须晚于开始日期。"),
        ),
        (
            {CUSTOMERS: [customer_row(kind="个人", credit_code="91440300MA5F0XXX0B")]},
            error(CUSTOMERS, 2, "统一社会信用代码", "个人客户不填统一社会信用代码。"),
        ),
        (
            {
                VEHICLES: [vehicle_row(VIN_A), vehicle_row(VIN_B)],
                HISTORY: [history_row("WO1", VIN_A), history_row("WO1", VIN_B)],
            },
            error(HISTORY, 3, "工单号", "工单 WO1 在第 2 行的VIN与本行不同。"),
        ),
        (
            {
                CUSTOMERS: [
                    customer_row(id_number="440305198506150011"),
                    customer_row(name="李强", id_number="440305198506150011"),
                ]
            },
            error(
                CUSTOMERS,
                3,
                "身份证号",
                "与第 2 行的身份证号相同,但手机或姓名不同:同一身份证号只能属于一位客户。",
            ),
        ),
        (
            {VEHICLES: [vehicle_row(VIN_A, mileage=-5)]},
            error(VEHICLES, 2, "P 当前里程", "应为非负整数,而不是“-5”。"),
        ),
        (
            {VEHICLES: [vehicle_row(VIN_A, mileage="35600.5")]},
            error(VEHICLES, 2, "P 当前里程", "应为非负整数,而不是“35600.5”。"),
        ),
    ],
    ids=[
        "warranty-ends-before-it-starts",
        "person-with-credit-code",
        "one-order-two-vins",
        "one-id-two-customers",
        "negative-mileage",
        "fractional-mileage",
    ],
)
def test_rows_contradicting_themselves_or_each_other_reject_the_file(manager, sheets, expected):
    batch = run_import(xlsx(sheets), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [expected]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


def test_id_number_of_another_customer_in_the_system_is_refused(manager):
    CustomerFactory(name="李强", mobile="13612345678", id_number="440305198506150011")

    batch = run_import(
        xlsx({CUSTOMERS: [customer_row(id_number="440305198506150011")]}), by=manager
    )

    assert batch.errors == [
        error(CUSTOMERS, 2, "身份证号", "该身份证号已登记在系统中另一位客户(李强)名下。")
    ]
    assert list(Customer.objects.values_list("name", flat=True)) == ["李强"]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("address", "深圳市" * 67, "G 地址"),
        ("name", "张" * 101, "A 姓名*"),
    ],
)
def test_customer_text_longer_than_its_field_is_a_cell_error(manager, column, value, expected):
    # Given a cell longer than the archive's field (地址 holds 200, 姓名 100 characters)
    row = customer_row(**{column: value})

    # When it is imported
    batch = run_import(xlsx({CUSTOMERS: [row]}), by=manager)

    # Then the file is rejected with the cell named, instead of failing as a system error
    limit = {"address": 200, "name": 100}[column]
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(CUSTOMERS, 2, expected, f"最多 {limit} 个字符,当前为 {len(value)} 个。")
    ]
    assert Customer.objects.count() == 0


def test_two_numbers_in_the_other_phone_cell_are_a_cell_error(manager):
    row = customer_row(phone_other="0755-26001234 / 0755-26001235")

    batch = run_import(xlsx({CUSTOMERS: [row]}), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(
            CUSTOMERS,
            2,
            "D 其他电话",
            "其他电话格式不正确:请填写带区号的座机(如 0755-26001234)或手机号。",
        )
    ]
    assert Customer.objects.count() == 0


def test_phones_typed_as_people_type_them_are_imported_in_the_forms_canonical_form(manager):
    # Given phones with a country code, spaces, full-width digits and a non-breaking space
    row = customer_row(mobile="+86 １３８ 1234\u00a05678", phone_other="(0755) 2600 1234 转 8")

    batch = run_import(xlsx({CUSTOMERS: [row]}), by=manager)

    # Then they are stored as the customer form stores them
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    customer = Customer.objects.get()
    assert (customer.mobile, customer.phone_other) == ("13812345678", "075526001234转8")


def test_vehicle_model_name_longer_than_its_field_is_a_cell_error(manager):
    model_name = "帕萨特 2022款 330TSI 精英版 国VI " * 3  # 75 characters; the field holds 60

    batch = run_import(xlsx({VEHICLES: [vehicle_row(VIN_A, model_name=model_name)]}), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(VEHICLES, 2, "D 车型*", f"最多 60 个字符,当前为 {len(model_name.strip())} 个。")
    ]
    assert Vehicle.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            history_row("WO1", VIN_A, amount="180180180180180"),
            "L 金额",
            "数值过大:“180180180180180”,应小于 100000000。",
        ),
        (history_row("WO1", VIN_A, quantity="NaN"), "J 数量", "应为数字,而不是“NaN”。"),
        (history_row("WO1", VIN_A, mileage=3_000_000_000), "E 里程", "数值过大:“3000000000”。"),
    ],
    ids=["amount-too-large", "quantity-not-a-number", "mileage-too-large"],
)
def test_numbers_the_database_cannot_hold_are_cell_errors(manager, row, column, message):
    # Given a number too large (or NaN) for its column in PostgreSQL
    content = xlsx({VEHICLES: [vehicle_row(VIN_A)], HISTORY: [row]})

    # When it is imported
    batch = run_import(content, by=manager)

    # Then the file is rejected naming the cell, not failed as a system error
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [error(HISTORY, 2, column, message)]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


def test_every_text_column_allows_exactly_what_its_model_field_holds():
    stored_in = {
        CUSTOMERS: {"*": Customer},
        VEHICLES: {"*": Vehicle, "owner_name": Customer},
        HISTORY: {"*": WorkOrder, "code": WorkOrderLine, "description": WorkOrderLine},
    }
    limits, fields = {}, {}
    for title, columns in importing.SHEETS.items():
        for column in columns:
            if column.kind != "text":
                continue
            model = stored_in[title].get(column.attr, stored_in[title]["*"])
            attr = "name" if column.attr == "owner_name" else column.attr
            limits[(title, column.attr)] = column.max_length
            fields[(title, column.attr)] = model._meta.get_field(attr).max_length

    assert limits == fields


def test_sheet_without_a_required_column_is_refused_at_its_header(manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CUSTOMERS
    sheet.append(["姓名", "地址"])
    sheet.append(["张伟", "深圳"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.errors == [error(CUSTOMERS, 1, "手机*", "缺少必填列(请使用导入模板)。")]
    assert Customer.objects.count() == 0


def test_workbook_without_any_archive_sheet_is_refused(manager):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(buffer.getvalue(), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error("", 0, "", "文件中没有“客户”“车辆”“维修记录”中的任何一个工作表。")
    ]


def test_file_that_is_not_a_workbook_is_refused(manager):
    batch = run_import("姓名,手机\n张伟,13812345678\n".encode(), by=manager)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [error("", 0, "", "无法读取文件:请上传用导入模板填写的 .xlsx 文件。")]
    assert counts(batch) == {"rows": 0, "error_count": 1}


# --- duplicates and re-imports -------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_duplicates_within_one_file_are_merged_not_doubled(manager):
    # Given a workbook naming the same customer and the same VIN twice, written differently,
    # each value given once or given the same
    content = xlsx(
        {
            CUSTOMERS: [
                customer_row(note="老客户"),
                customer_row(mobile="+86 138-1234-5678", address="深圳市南山区"),
                # a non-breaking space and full-width digits: the same person
                customer_row(name="张伟\u00a0", mobile="１３８１２３４５６７８"),
                customer_row(mobile="13912345678"),  # same name, another mobile
                customer_row(name="李娜"),  # same mobile, another name (family phone)
            ],
            VEHICLES: [
                vehicle_row(VIN_A, plate="粤B12345"),
                vehicle_row(VIN_A.lower(), mileage=35600),
            ],
        }
    )

    # When it is imported
    batch = run_import(content, by=manager)

    # Then each customer and the vehicle exist once, with every value given
    assert batch.summary["customers_created"] == 3
    assert batch.summary["vehicles_created"] == 1
    assert sorted(Customer.objects.values_list("name", "mobile", "address", "note")) == [
        ("张伟", "13812345678", "深圳市南山区", "老客户"),
        ("张伟", "13912345678", "", ""),
        ("李娜", "13812345678", "", ""),
    ]
    assert list(Vehicle.objects.values_list("vin", "plate", "mileage")) == [
        (VIN_A, "粤B12345", 35600)
    ]
    assert VehicleOwnership.objects.count() == 1


def test_reimporting_the_same_file_changes_nothing(manager):
    # Given the clean workbook imported once
    content = clean_archive()
    with time_machine.travel(NOW, tick=False):
        run_import(content, by=manager)
    before = archive_counts()
    stamps = {
        model: dict(model.objects.values_list("pk", "updated_at"))
        for model in (Customer, Vehicle, VehicleOwnership, WorkOrder, WorkOrderLine)
    }

    # When the same file is imported again a day later
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        batch = run_import(content, by=manager)

    # Then nothing is created or updated, not even a timestamp
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert counts(batch) == {
        "rows": 8,
        "customers_created": 0,
        "customers_filled": 0,
        "vehicles_created": 0,
        "vehicles_filled": 0,
        "work_orders_created": 0,
        "work_orders_unchanged": 2,
        "conflicts": 0,
    }
    assert archive_counts() == before
    assert {
        model: dict(model.objects.values_list("pk", "updated_at")) for model in stamps
    } == stamps


def test_id_number_wins_over_a_disagreeing_sex_and_birthday_also_on_reimport(manager):
    # Given a row whose 性别 and 生日 disagree with its ID number (a man born 1985-06-15)
    content = xlsx(
        {CUSTOMERS: [customer_row(id_number="440305198506150011", sex="女", birthday="1985-01-01")]}
    )
    with time_machine.travel(NOW, tick=False):
        run_import(content, by=manager)
    customer = Customer.objects.get()
    assert (customer.sex, customer.birthday) == ("M", dt.date(1985, 6, 15))

    # When the same file is imported again
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        batch = run_import(content, by=manager)

    # Then the customer is not touched again
    assert batch.summary["customers_filled"] == 0
    assert batch.summary["conflicts"] == 0
    assert Customer.objects.get().updated_at == customer.updated_at


@time_machine.travel(NOW, tick=False)
def test_existing_customer_is_matched_by_mobile_and_name_and_blanks_filled_not_duplicated(
    manager,
):
    # Given a customer already in the archive, without an address
    customer = CustomerFactory(name="王芳", mobile="13912345678", address="", note="门店老客户")
    # and a workbook naming her with a separated mobile, an address and her car
    content = xlsx(
        {
            CUSTOMERS: [customer_row(name="王芳", mobile="139-1234-5678", address="深圳市福田区")],
            VEHICLES: [vehicle_row(VIN_A, owner_name="王芳", owner_mobile="13912345678")],
        }
    )

    # When it is imported
    batch = run_import(content, by=manager)

    # Then her blank address is filled (blank cells keep her note) and she owns the car
    assert (
        batch.summary["customers_created"],
        batch.summary["customers_filled"],
        batch.summary["conflicts"],
    ) == (0, 1, 0)
    assert list(Customer.objects.values_list("pk", "address", "note")) == [
        (customer.pk, "深圳市福田区", "门店老客户")
    ]
    assert Vehicle.objects.get(vin=VIN_A).owner == customer


def test_reimporting_an_old_file_never_undoes_work_done_in_the_app(manager):
    # Given the clean file imported, then an address edited and a car transferred in the app
    content = clean_archive()
    with time_machine.travel(NOW, tick=False):
        run_import(content, by=manager)
    person = Customer.objects.get(name="张伟")
    person.address = "深圳市福田区新地址"
    person.save()
    buyer = CustomerFactory(name="王芳", mobile="13712345678")
    car = Vehicle.objects.get(vin=VIN_A)
    services.vehicle_change_owner(vehicle=car, new_owner=buyer, on=TODAY)
    # and a blank left in the app that the file knows
    van = Vehicle.objects.get(vin=VIN_B)
    van.colour = ""
    van.save()
    before = archive_counts()

    # When the old file (with the old address, the old owner and a colour) comes again
    old = xlsx(
        {
            CUSTOMERS: [customer_row(address="深圳市南山区科技园")],
            VEHICLES: [
                vehicle_row(VIN_A),  # owner 张伟 13812345678
                vehicle_row(
                    VIN_B,
                    brand="比亚迪",
                    model_name="汉 EV",
                    colour="白色",
                    owner_name="深圳市鹏程物流有限公司",
                    owner_mobile="13912345678",
                ),
            ],
        }
    )
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        batch = run_import(old, by=manager)

    # Then the edit and the transfer stand; each difference is listed as a conflict
    assert batch.status == ImportBatch.Status.SUCCEEDED
    person.refresh_from_db()
    car.refresh_from_db()
    van.refresh_from_db()
    assert person.address == "深圳市福田区新地址"
    assert car.owner == buyer
    assert van.colour == "白色"  # the blank was filled
    assert archive_counts() == before
    assert counts(batch) == {
        "rows": 3,
        "customers_created": 0,
        "customers_filled": 0,
        "vehicles_created": 0,
        "vehicles_filled": 1,
        "work_orders_created": 0,
        "work_orders_unchanged": 0,
        "conflicts": 2,
    }
    assert batch.conflicts == [
        error(
            CUSTOMERS,
            2,
            "地址",
            "客户资料不同:系统中为“深圳市福田区新地址”,文件中为“深圳市南山区科技园”。"
            "未覆盖系统中的资料;如文件正确,请在系统中修改。",
        ),
        error(
            VEHICLES,
            2,
            "车主姓名",
            "车主不同:系统中车主为“王芳”(手机尾号 5678),文件中为“张伟”(手机尾号 5678)。"
            "未过户;如确已过户,请在车辆页办理过户。",
        ),
    ]


def test_history_row_for_a_vehicle_already_in_the_system_is_imported_onto_it(manager):
    vehicle = VehicleFactory(vin=VIN_A)

    batch = run_import(xlsx({HISTORY: [history_row("WO1", VIN_A)]}), by=manager)

    assert batch.summary["work_orders_created"] == 1
    assert list(WorkOrder.objects.values_list("number", "vehicle", "customer")) == [
        ("WO1", vehicle.pk, vehicle.owner_id)
    ]


def test_history_row_whose_vin_is_unknown_is_an_error(manager):
    # Given a work order of a VIN neither in the file's vehicles nor in the archive
    content = xlsx(
        {
            CUSTOMERS: [customer_row()],
            VEHICLES: [vehicle_row(VIN_A)],
            HISTORY: [history_row("WO1", VIN_A), history_row("WO2", VIN_C)],
        }
    )

    # When it is imported
    batch = run_import(content, by=manager)

    # Then the file is rejected at that row and nothing is written
    assert batch.errors == [error(HISTORY, 3, "VIN", "工单 WO2 的车辆不在车辆表中,也不在系统中。")]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


@pytest.mark.parametrize(
    ("vehicle", "expected"),
    [
        (
            vehicle_row(VIN_A, owner_mobile="1381234567"),
            error(VEHICLES, 2, "H 车主手机*", "手机号应为 11 位数字,以 13-19 开头。"),
        ),
        (
            vehicle_row(VIN_A, warranty_start="2024-05-18", warranty_end="2023-05-18"),
            error(VEHICLES, 2, "三包结束", "三包结束日期必须晚于开始日期。"),
        ),
    ],
    ids=["bad-cell", "bad-warranty-dates"],
)
def test_history_of_a_vehicle_whose_own_row_is_bad_gets_no_second_error(manager, vehicle, expected):
    # Given a vehicle row refused for one cell and a work order of that VIN
    content = xlsx({VEHICLES: [vehicle], HISTORY: [history_row("WO1", VIN_A)]})

    # When it is imported
    batch = run_import(content, by=manager)

    # Then only the vehicle row's own error is listed, not "vehicle missing" for the order
    assert batch.errors == [expected]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


def test_vehicle_row_with_another_owner_is_a_conflict_never_a_silent_transfer(manager):
    # Given a car owned by 王芳 since its sale
    previous = CustomerFactory(name="王芳", mobile="13912345678")
    vehicle = VehicleFactory(vin=VIN_A, owner=previous, sale_date=dt.date(2024, 5, 18))
    ownerships = list(vehicle.ownerships.values_list("customer__name", "started_on", "ended_on"))
    content = xlsx({VEHICLES: [vehicle_row(VIN_A)]})  # owner 张伟 13812345678

    # When the old system names 张伟 as its owner
    with time_machine.travel(NOW, tick=False):
        batch = run_import(content, by=manager)

    # Then the car stays 王芳's, and the difference is listed for the user
    assert batch.status == ImportBatch.Status.SUCCEEDED
    vehicle.refresh_from_db()
    assert vehicle.owner == previous
    assert (
        list(vehicle.ownerships.values_list("customer__name", "started_on", "ended_on"))
        == ownerships
    )
    assert [c["column"] for c in batch.conflicts][:1] == ["车主姓名"]
    assert "未过户" in batch.conflicts[0]["message"]


# --- VINs failing only their check digit ---------------------------------------------


def _wrong_check_digit(vin: str) -> str:
    wrong = "0" if vin[8] == "X" else str((int(vin[8]) + 1) % 10)
    return vin[:8] + wrong + vin[9:]


BAD_CHECK_VIN = _wrong_check_digit(VIN_A)


def test_vin_failing_its_check_digit_is_rejected_by_default(manager):
    content = xlsx(
        {VEHICLES: [vehicle_row(BAD_CHECK_VIN)], HISTORY: [history_row("WO1", BAD_CHECK_VIN)]}
    )

    batch = run_import(content, by=manager)

    message = f"VIN 校验位(第 9 位)应为 {VIN_A[8]},实际为 {BAD_CHECK_VIN[8]};请核对 VIN。"
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(VEHICLES, 2, "A VIN*", message),
        error(HISTORY, 2, "B VIN*", message),
    ]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


@pytest.mark.parametrize(
    ("reason", "kept_reason"),
    [("行驶证上的VIN即如此,已核对", "行驶证上的VIN即如此,已核对"), ("", "旧系统导入")],
)
def test_vin_failing_its_check_digit_is_kept_flagged_when_the_batch_accepts_it(
    manager, reason, kept_reason
):
    content = xlsx(
        {VEHICLES: [vehicle_row(BAD_CHECK_VIN)], HISTORY: [history_row("WO1", BAD_CHECK_VIN)]}
    )

    batch = run_import(content, by=manager, accept_invalid_vin=True, invalid_vin_reason=reason)

    assert batch.status == ImportBatch.Status.SUCCEEDED
    vehicle = Vehicle.objects.get()
    assert (
        vehicle.vin,
        vehicle.vin_check_digit_valid,
        vehicle.vin_exception_reason,
        vehicle.vin_exception_by,
    ) == (BAD_CHECK_VIN, False, kept_reason, manager)
    assert list(WorkOrder.objects.values_list("number", "vehicle")) == [("WO1", vehicle.pk)]


def test_accepting_bad_check_digits_still_refuses_other_vin_errors(manager):
    content = xlsx({VEHICLES: [vehicle_row("LSVAU218XN21832Q4"), vehicle_row(VIN_A[:16])]})

    batch = run_import(content, by=manager, accept_invalid_vin=True, invalid_vin_reason="核对过")

    assert batch.errors == [
        error(VEHICLES, 2, "A VIN*", "VIN 含有无效字符:Q(VIN 中不会出现 I、O、Q)。"),
        error(VEHICLES, 3, "A VIN*", "VIN 必须是 17 位,当前为 16 位。"),
    ]
    assert Vehicle.objects.count() == 0


# --- the download template -----------------------------------------------------------


def test_template_with_its_example_rows_left_in_is_refused(manager):
    # Given the download template exactly as served
    content = importing.template_workbook().getvalue()

    # When it is imported without removing the example rows
    batch = run_import(content, by=manager)

    # Then each example row is refused with a clear message, and nothing is written
    message = "这是导入模板的示例行,请删除后再导入。"
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors == [
        error(CUSTOMERS, 2, "", message),
        error(VEHICLES, 2, "", message),
        error(HISTORY, 2, "", message),
    ]
    assert archive_counts() == dict.fromkeys(archive_counts(), 0)


@time_machine.travel(NOW, tick=False)
def test_template_filled_in_below_removed_examples_imports(manager):
    # Given the template with its example rows replaced by real ones
    workbook = load_workbook(importing.template_workbook())
    for title, row in (
        (CUSTOMERS, customer_row(id_number="11010519491231002X")),
        (VEHICLES, vehicle_row(VIN_A)),
        (HISTORY, history_row("WO1", VIN_A)),
    ):
        sheet = workbook[title]
        for index, column in enumerate(importing.SHEETS[title], start=1):
            sheet.cell(row=2, column=index).value = row.get(column.attr)
    buffer = io.BytesIO()
    workbook.save(buffer)

    # When it is imported
    batch = run_import(buffer.getvalue(), by=manager)

    # Then it imports
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    customer = Customer.objects.get()
    assert (customer.name, customer.birthday, customer.sex) == ("张伟", dt.date(1949, 12, 31), "F")
    assert list(WorkOrder.objects.values_list("number", "vehicle__vin")) == [("WO1", VIN_A)]


def test_template_has_the_three_sheets_with_the_import_headers():
    workbook = load_workbook(importing.template_workbook(), read_only=True)

    assert workbook.sheetnames == [CUSTOMERS, VEHICLES, HISTORY, "说明"]
    for title, columns in importing.SHEETS.items():
        header = next(workbook[title].iter_rows(max_row=1, values_only=True))
        assert list(header) == [column.header for column in columns]


def test_a_company_row_with_an_id_number_is_refused_as_the_form_refuses_it(manager):
    # Given a company row carrying a resident ID number (which the customer form refuses)
    row = customer_row(
        name="深圳市某某物流有限公司", kind="单位", id_number="440305198506150011", sex="男"
    )

    batch = run_import(xlsx({CUSTOMERS: [row]}), by=manager)

    # Then it is an error naming the cell, never an ID number silently dropped (issue 7)
    assert batch.errors == [
        error(CUSTOMERS, 2, "身份证号", "单位客户不填身份证号,请填统一社会信用代码。")
    ]
    assert Customer.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_imported_customers_get_their_segment_from_their_imported_history(manager):
    # Given a customer with four paid visits in the last twelve months (重要客户: 4 visits)
    history = [
        history_row(f"WO{month}", VIN_A, opened_on=f"2025-{month:02d}-01", amount=100)
        for month in (5, 7, 9, 11)
    ]
    content = xlsx(
        {
            CUSTOMERS: [customer_row(), customer_row(name="李娜", mobile="13912345678")],
            VEHICLES: [vehicle_row(VIN_A)],
            HISTORY: history,
        }
    )

    batch = run_import(content, by=manager)

    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    segments = dict(Customer.objects.values_list("name", "segment"))
    assert segments == {"张伟": Customer.Segment.MAJOR, "李娜": Customer.Segment.SMALL}
    assert set(Customer.objects.values_list("segment_computed_on", flat=True)) == {TODAY}
