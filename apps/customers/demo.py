"""The demo archive: customers, their vehicles with owner history, and sales files.

The scale follows a big 4S store: about 5,000 customers and 6,000 vehicles a year of
history. Run by `seed_demo` through apps.core.seeding (the work-order demo adds the visits
of these vehicles); deterministic for a seed and a moment, nothing dated after it.
Customers, vehicles and ownership rows are written through the services, under the same
rules as the forms and the import.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from stdnum.cn import ric, uscc

from apps.core.calendar import working_day_after
from apps.core.models import DealershipSettings
from apps.core.seeding import DemoRun, Seeded
from apps.core.settings import current_settings

from .models import ArchiveSettings, Customer, SalesDocument, SalesFile, Vehicle
from .services import (
    customers_create_many,
    customers_recompute_segments,
    vehicles_register_many,
)
from .validators import VIN_ALPHABET, vin_check_digit

CUSTOMERS_PER_YEAR = 5000
BATCH = 2000  # customers per transaction

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国志红文玉兰梅海波宇浩然子轩欣怡佳俊鹏飞晨雪婷"
    "琳颖辉斌鑫宁晓东亮峰雷成博文凯丹慧嘉诚思远梓萱一鸣雨欣"
)
COMPANY_WORDS = (
    "华信",
    "鹏程",
    "前海",
    "南山",
    "腾达",
    "创维",
    "海岸",
    "星河",
    "天虹",
    "万科",
    "招商",
    "粤海",
)
COMPANY_KINDS = ("科技有限公司", "物流有限公司", "贸易有限公司", "建设工程有限公司", "电子有限公司")
STREETS = (
    "科技园南路",
    "深南大道",
    "南海大道",
    "滨海大道",
    "沙河西路",
    "桃园路",
    "前海路",
    "宝安大道",
)
DISTRICTS = (
    ("440305", "南山区"),
    ("440304", "福田区"),
    ("440303", "罗湖区"),
    ("440306", "宝安区"),
    ("440307", "龙岗区"),
    ("440309", "龙华区"),
)
COLOURS = ("极地白", "星空蓝", "曜石黑", "月光银", "珍珠白", "钛金灰", "宝石红")
INSURERS = ("中国人保", "平安保险", "太平洋保险", "国寿财险", "大地保险")
SALESPEOPLE = ("陈嘉豪", "李思琪", "王梓涵", "赵一鸣", "刘晓东", "黄雨欣")


@dataclass(frozen=True)
class Model:
    brand: str
    name: str
    wmi: str
    vds: str
    new_energy: bool = False
    labour_rate: int = 180


# The store sells FAW-Volkswagen; service-only customers also bring other brands.
OWN_MODELS = (
    Model("大众", "速腾 2023款 300TSI", "LFV", "2A21K", labour_rate=180),
    Model("大众", "迈腾 2024款 330TSI", "LFV", "3A23C", labour_rate=200),
    Model("大众", "宝来 2023款 1.5L", "LFV", "2A11G", labour_rate=160),
    Model("大众", "探岳 2024款 380TSI", "LFV", "3A2F3", labour_rate=200),
    Model("大众", "高尔夫 2022款 280TSI", "LFV", "2A1BE", labour_rate=180),
    Model("大众", "ID.4 CROZZ 2024款 PRO", "LFV", "1E2EV", new_energy=True, labour_rate=220),
)
OTHER_MODELS = (
    Model("丰田", "凯美瑞 2023款 2.0G", "LVG", "AJ4KR"),
    Model("本田", "雅阁 2022款 260TURBO", "LHG", "CV163"),
    Model("比亚迪", "汉 EV 2023款", "LGX", "E4GA2", new_energy=True),
    Model("日产", "轩逸 2023款 1.6L", "LGB", "H5AE1"),
)
# The workshop's hourly labour rate by model (the work-order demo prices its labour lines).
LABOUR_RATES = {model.name: model.labour_rate for model in OWN_MODELS + OTHER_MODELS}


class ArchiveBuilder:
    def __init__(self, run: DemoRun):
        self.run = run
        self.rng: random.Random = run.rng("customers")
        self.today = run.today
        self.start = run.start
        self.mobiles: set[str] = set()
        self.plates: set[str] = set()
        self.vin_serial = 0
        self.id_numbers: set[str] = set()

    # --- identifiers -------------------------------------------------------------
    def mobile(self) -> str:
        while True:
            number = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def id_number(self, birthday: dt.date, sex: str) -> str:
        while True:
            region = self.rng.choice(DISTRICTS)[0]
            # The 17th digit is odd for men, even for women (GB 11643).
            sequence = self.rng.randrange(500) * 2 + (1 if sex == "M" else 0)
            body = f"{region}{birthday:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def credit_code(self) -> str:
        while True:
            body = (
                "914403"
                + "00"
                + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
            )
            code = body + uscc.calc_check_digit(body)
            if uscc.is_valid(code):
                return code

    def vin(self, model: Model, year: int) -> str:
        self.vin_serial += 1
        year_code = "ABCDEFGHJKLMNPRSTVWXY123456789"[(year - 2010) % 30]
        body = (
            f"{model.wmi}{model.vds}0{year_code}{self.rng.choice('ABCDEFGH')}{self.vin_serial:06d}"
        )
        return body[:8] + vin_check_digit(body) + body[9:]

    def plate(self, prefix: str, new_energy: bool) -> str:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        while True:
            if new_energy:
                tail = (
                    self.rng.choice("DF")
                    + self.rng.choice(letters + "0123456789")
                    + f"{self.rng.randrange(10**4):04d}"
                )
            else:
                tail = "".join(self.rng.choice(letters + "0123456789" * 3) for _ in range(5))
            plate = prefix + tail
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def name(self) -> str:
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
        return self.rng.choice(SURNAMES) + given

    def moment(self, day: dt.date) -> dt.datetime:
        """An aware time during business hours of `day` (records are created at work),
        never after the moment the demo is loaded."""
        return self.run.moment(self.rng, day)

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = max((last - first).days, 0)
        return first + dt.timedelta(days=self.rng.randint(0, span))

    # --- records -------------------------------------------------------------------
    def customer(self, created: dt.date, bought_here: bool) -> Customer:
        is_company = self.rng.random() < 0.05
        if is_company:
            customer = Customer(
                kind=Customer.Kind.COMPANY,
                name=f"深圳市{self.rng.choice(COMPANY_WORDS)}{self.rng.choice(COMPANY_KINDS)}",
                credit_code=self.credit_code(),
            )
        else:
            sex = self.rng.choice("MF")
            birthday = dt.date(
                self.rng.randint(1960, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28)
            )
            customer = Customer(
                kind=Customer.Kind.PERSON, name=self.name(), sex=sex, birthday=birthday
            )
            if self.rng.random() < 0.7:
                customer.id_number = self.id_number(birthday, sex)
        district = self.rng.choice(DISTRICTS)[1]
        customer.mobile = self.mobile()
        customer.address = f"深圳市{district}{self.rng.choice(STREETS)}{self.rng.randint(1, 999)}号"
        customer.marketing_consent = self.rng.random() < 0.6
        customer.do_not_call = self.rng.random() < 0.02
        customer.preferred_contact_time = self.rng.choice(
            ["", "", "", "morning", "afternoon", "evening"]
        )
        customer.source = (
            Customer.Source.BOUGHT_HERE if bought_here else Customer.Source.SERVICE_ONLY
        )
        if bought_here and self.rng.random() < 0.3:
            customer.club_member_number = f"VW{created:%y}{len(self.mobiles):06d}"
            customer.club_joined_on = created
        customer.created_at = self.moment(created)
        return customer

    def vehicle(self, owner: Customer, bought_here: bool, sold_on: dt.date, prefix: str) -> Vehicle:
        model = self.rng.choice(
            OWN_MODELS if bought_here or self.rng.random() < 0.6 else OTHER_MODELS
        )
        vehicle = Vehicle(
            owner=owner,
            vin=self.vin(model, sold_on.year),
            plate=self.plate(prefix, model.new_energy),
            brand=model.brand,
            model_name=model.name,
            colour=self.rng.choice(COLOURS),
            engine_number=f"{self.rng.choice(('DJ', 'DK', 'EA'))}{self.rng.randrange(10**6):06d}",
            sale_date=sold_on,
            warranty_start=sold_on,
            warranty_end=sold_on.replace(year=sold_on.year + 3)
            if sold_on.month != 2 or sold_on.day != 29
            else sold_on + dt.timedelta(days=1095),
            warranty_km_limit=100000,
            insurance_company=self.rng.choice(INSURERS),
        )
        anniversary = (
            sold_on.replace(year=self.today.year)
            if not (sold_on.month == 2 and sold_on.day == 29)
            else dt.date(self.today.year, 3, 1)
        )
        vehicle.insurance_expires_on = (
            anniversary
            if anniversary >= self.today
            else anniversary.replace(year=self.today.year + 1)
        )
        vehicle.inspection_due_on = vehicle.insurance_expires_on
        vehicle.created_at = self.moment(sold_on)
        return vehicle


def seed(run: DemoRun) -> None:
    builder = ArchiveBuilder(run)
    settings_row = current_settings(DealershipSettings)
    counts = {"customers": 0, "vehicles": 0}
    total = CUSTOMERS_PER_YEAR * run.years
    for offset in range(0, total, BATCH):
        with transaction.atomic():
            _seed_batch(builder, min(BATCH, total - offset), settings_row, counts)
        run.log(f"  {counts['customers']}/{total} 位客户 · {counts['vehicles']} 辆车")
    run.summary += [f"{counts['customers']} 位客户", f"{counts['vehicles']} 辆车"]


def finish(run: DemoRun) -> None:
    """Segments come from the visits, which the work-order demo loads after the archive."""
    customers_recompute_segments(on=run.today)


def seeded(*, years: int) -> Seeded:
    return Seeded(Customer.objects.count(), CUSTOMERS_PER_YEAR * years, "customers")


def _seed_batch(builder: ArchiveBuilder, size: int, settings_row, counts):
    rng = builder.rng
    archive_settings = current_settings(ArchiveSettings)
    customers, plans = [], []
    for _ in range(size):
        created = builder.day_between(builder.start, builder.today)
        bought_here = rng.random() < 0.55
        customers.append(builder.customer(created, bought_here))
        plans.append((created, bought_here))
    customers_create_many(customers=customers)
    vehicles = []
    for customer, (created, bought_here) in zip(customers, plans, strict=True):
        for index in range(2 if rng.random() < 0.2 else 1):
            sold_on = created if index == 0 else builder.day_between(created, builder.today)
            vehicles.append(
                builder.vehicle(customer, bought_here, sold_on, settings_row.plate_prefix)
            )
    if rng.random() < 0.3 and vehicles:  # a few imported vehicles keep a bad check digit
        flagged = vehicles[0]
        wrong = (
            VIN_ALPHABET[(VIN_ALPHABET.index(flagged.vin[8]) + 1) % 11]
            if flagged.vin[8] != "X"
            else "0"
        )
        flagged.vin = flagged.vin[:8] + wrong + flagged.vin[9:]
        flagged.vin_check_digit_valid = False
        flagged.vin_exception_reason = "平行进口车,原厂 VIN 校验位不符"
    vehicles_register_many(vehicles=vehicles)  # and their open ownership rows
    sales_files, documents = [], []
    for vehicle in vehicles:
        if vehicle.owner.source != Customer.Source.BOUGHT_HERE or vehicle.brand != "大众":
            continue
        outlet = rng.random() < 0.15
        due = working_day_after(
            vehicle.sale_date, archive_settings.sales_documents_due_working_days
        )
        sales_file = SalesFile(
            vehicle=vehicle,
            delivered_on=vehicle.sale_date,
            invoiced_on=vehicle.sale_date - dt.timedelta(days=rng.randint(0, 3)),
            salesperson=rng.choice(SALESPEOPLE),
            via_secondary_outlet=outlet,
            outlet_name="宝安二级网点" if outlet else "",
            documents_due_on=due,
        )
        recent = (builder.today - vehicle.sale_date).days < 30
        kinds = [k for k, _ in SalesFile.Document.choices]
        received = (
            kinds if not recent or rng.random() < 0.5 else rng.sample(kinds, rng.randint(3, 8))
        )
        late = rng.random() < 0.1
        received_on = min(
            builder.today,
            due + dt.timedelta(days=rng.randint(1, 5))
            if late
            else vehicle.sale_date + dt.timedelta(days=rng.randint(0, 2)),
        )
        if len(received) == len(kinds):
            sales_file.documents_completed_on = received_on
        sales_files.append(sales_file)
        documents.extend(
            SalesDocument(sales_file=sales_file, kind=k, received_on=received_on) for k in received
        )
    SalesFile.objects.bulk_create(sales_files, batch_size=BATCH)
    SalesDocument.objects.bulk_create(documents, batch_size=BATCH * 4)
    counts["customers"] += len(customers)
    counts["vehicles"] += len(vehicles)
