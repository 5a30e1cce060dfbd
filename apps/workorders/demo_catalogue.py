"""The demo's service catalogue: labour operations, parts, canned jobs for 5,000 /
10,000 / 20,000 / 40,000 km services of every demo model, and the electric models'
maintenance intervals.

`seed_catalogue()` is idempotent: entries are found by code, part number or (name,
model) and brought back to these values; a canned job's lines are replaced. The models
are the archive demo's (apps/customers/demo.py), so every demo vehicle finds its jobs.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from apps.customers.demo import OTHER_MODELS, OWN_MODELS
from apps.parts.models import Part

from .catalogue import canned_job_save
from .models import CannedJob, CannedJobLine, LabourOperation, MaintenanceInterval, WorkOrder

ELECTRIC = tuple(model.name for model in OWN_MODELS + OTHER_MODELS if model.new_energy)
COMBUSTION = tuple(model.name for model in OWN_MODELS + OTHER_MODELS if not model.new_energy)
SEP = "、"

# (code, name, standard hours, models it fits: None = every model)
LABOUR = (
    ("LB-0101", "更换机油机滤", "0.5", COMBUSTION),
    ("LB-0102", "常规保养检查(含全车检测)", "0.8", None),
    ("LB-0103", "更换空气滤清器", "0.3", COMBUSTION),
    ("LB-0104", "更换空调滤芯", "0.3", None),
    ("LB-0105", "更换火花塞", "0.8", COMBUSTION),
    ("LB-0106", "更换制动液", "0.8", None),
    ("LB-0107", "更换冷却液", "1.0", None),
    ("LB-0108", "更换变速箱油(双离合)", "1.2", COMBUSTION),
    ("LB-0109", "更换燃油滤清器", "0.6", COMBUSTION),
    ("LB-0110", "清洗节气门", "0.8", COMBUSTION),
    ("LB-0111", "清洗喷油嘴", "1.0", COMBUSTION),
    ("LB-0112", "更换雨刮片", "0.2", None),
    ("LB-0113", "空调系统清洗消毒", "0.8", None),
    ("LB-0114", "更换正时皮带套件", "3.5", COMBUSTION),
    ("LB-0115", "更换蓄电池(12V)", "0.4", None),
    ("LB-0201", "四轮定位", "1.0", None),
    ("LB-0202", "轮胎动平衡(四轮)", "0.8", None),
    ("LB-0203", "轮胎换位", "0.5", None),
    ("LB-0204", "更换轮胎(单条)", "0.4", None),
    ("LB-0205", "补胎", "0.5", None),
    ("LB-0301", "更换刹车片(前)", "1.2", None),
    ("LB-0302", "更换刹车片(后)", "1.2", None),
    ("LB-0303", "更换刹车盘(前)", "1.5", None),
    ("LB-0304", "更换刹车盘(后)", "1.5", None),
    ("LB-0305", "制动系统检查调整", "0.6", None),
    ("LB-0401", "更换前减震器(单侧)", "1.8", None),
    ("LB-0402", "更换下摆臂(单侧)", "1.5", None),
    ("LB-0403", "更换转向横拉杆球头", "1.2", None),
    ("LB-0501", "电脑检测(故障诊断)", "0.5", None),
    ("LB-0502", "更换水泵", "2.5", COMBUSTION),
    ("LB-0503", "更换发电机", "1.8", COMBUSTION),
    ("LB-0504", "更换起动机", "1.6", COMBUSTION),
    ("LB-0505", "空调加注冷媒", "0.8", None),
    ("LB-0506", "更换空调压缩机", "3.0", None),
    ("LB-0601", "高压电池包检测", "1.0", ELECTRIC),
    ("LB-0602", "驱动电机冷却液更换", "1.0", ELECTRIC),
    ("LB-0603", "充电口及高压线束检查", "0.5", ELECTRIC),
    ("LB-0604", "减速器油更换", "0.8", ELECTRIC),
    ("LB-0901", "前保险杠钣金", "3.0", None),
    ("LB-0902", "前保险杠喷漆", "2.5", None),
    ("LB-0903", "车门喷漆(单门)", "2.5", None),
    ("LB-0904", "更换前挡风玻璃", "2.0", None),
)

# Parts every model uses: (number, name, unit, price, models it fits: None = every model)
COMMON_PARTS = (
    ("G052195M4", "全合成机油 5W-30 4L", "桶", "438.00", COMBUSTION),
    ("G052195M1", "全合成机油 5W-30 1L", "瓶", "118.00", COMBUSTION),
    ("G052167M4", "全合成机油 0W-20 4L", "桶", "468.00", COMBUSTION),
    ("B000750M3", "制动液 DOT4 1L", "瓶", "98.00", None),
    ("G013A8JM1", "冷却液 G13 1.5L", "瓶", "128.00", None),
    ("G052182A2", "双离合变速箱油 1L", "升", "168.00", COMBUSTION),
    ("G052529A2", "减速器油 1L", "升", "158.00", ELECTRIC),
    ("G052182A6", "电机冷却液 4L", "桶", "268.00", ELECTRIC),
    ("JZW012A1", "蓄电池 12V 60Ah", "个", "780.00", None),
    ("000098008", "空调冷媒 R134a", "罐", "128.00", None),
    ("000096301", "轮胎 215/55 R17", "条", "850.00", None),
    ("000096302", "轮胎 235/50 R18", "条", "1080.00", None),
    ("000096303", "轮胎 235/45 R19", "条", "1380.00", None),
    ("000093001", "补胎胶条", "条", "30.00", None),
    ("000093002", "平衡块", "组", "40.00", None),
    ("000091001", "节气门清洗剂", "瓶", "65.00", COMBUSTION),
    ("000091002", "燃油系统清洗剂", "瓶", "128.00", COMBUSTION),
    ("000091003", "空调杀菌除臭剂", "瓶", "98.00", None),
    ("000091004", "前挡风玻璃", "块", "1680.00", None),
    ("000091005", "前保险杠皮", "个", "1850.00", None),
)
# Parts per model, by what they are: (group, name, unit, price at a "160 元/h" model;
# the larger models' prices are scaled by their labour rate); combustion-only groups are
# skipped for electric models.
MODEL_PART_KINDS = (
    ("115561", "机油滤清器", "个", "68.00", True),
    ("129620", "空气滤清器", "个", "138.00", True),
    ("819653", "空调滤芯", "个", "118.00", False),
    ("698151", "前刹车片(套)", "套", "580.00", False),
    ("698451", "后刹车片(套)", "套", "480.00", False),
    ("615301", "前刹车盘", "个", "620.00", False),
    ("905601", "火花塞", "个", "88.00", True),
    ("955425", "雨刮片(前,一对)", "对", "198.00", False),
)
# The maker's prefix of each model's part numbers (a model's own parts differ).
FAMILY = {
    "速腾 2023款 300TSI": "5QD",
    "迈腾 2024款 330TSI": "3GD",
    "宝来 2023款 1.5L": "5GE",
    "探岳 2024款 380TSI": "5NG",
    "高尔夫 2022款 280TSI": "5HG",
    "ID.4 CROZZ 2024款 PRO": "11A",
    "凯美瑞 2023款 2.0G": "TY8",
    "雅阁 2022款 260TURBO": "HD3",
    "汉 EV 2023款": "BYH",
    "轩逸 2023款 1.6L": "NS4",
}
# Materials (辅料) have no catalogue entry: a canned job line carries name and price.
MATERIALS = {
    "清洗剂": ("发动机舱清洗剂", "25.00"),
    "玻璃水": ("玻璃水 2L", "15.00"),
    "润滑脂": ("润滑脂", "18.00"),
}


@dataclass(frozen=True)
class Step:
    """A line of a canned job: a labour code, a part group (the model's own part), a
    common part number, or a material key; quantity."""

    kind: str
    ref: str
    quantity: str = "1"


OIL_SERVICE = (Step("labour", "LB-0101"), Step("model_part", "115561"), Step("part", "G052195M4"))
SERVICES = {
    # km: (combustion steps, electric steps)
    5000: (
        (*OIL_SERVICE, Step("labour", "LB-0102"), Step("material", "玻璃水")),
        (Step("labour", "LB-0102"), Step("labour", "LB-0603"), Step("material", "玻璃水")),
    ),
    10000: (
        (
            *OIL_SERVICE,
            Step("labour", "LB-0102"),
            Step("labour", "LB-0203"),
            Step("material", "清洗剂"),
            Step("material", "玻璃水"),
        ),
        (
            Step("labour", "LB-0102"),
            Step("labour", "LB-0601"),
            Step("labour", "LB-0203"),
            Step("material", "玻璃水"),
        ),
    ),
    20000: (
        (
            *OIL_SERVICE,
            Step("labour", "LB-0102"),
            Step("labour", "LB-0103"),
            Step("model_part", "129620"),
            Step("labour", "LB-0104"),
            Step("model_part", "819653"),
            Step("labour", "LB-0110"),
            Step("part", "000091001"),
            Step("material", "清洗剂"),
        ),
        (
            Step("labour", "LB-0102"),
            Step("labour", "LB-0601"),
            Step("labour", "LB-0104"),
            Step("model_part", "819653"),
            Step("labour", "LB-0113"),
            Step("part", "000091003"),
            Step("material", "玻璃水"),
        ),
    ),
    40000: (
        (
            *OIL_SERVICE,
            Step("labour", "LB-0102"),
            Step("labour", "LB-0103"),
            Step("model_part", "129620"),
            Step("labour", "LB-0104"),
            Step("model_part", "819653"),
            Step("labour", "LB-0105"),
            Step("model_part", "905601", "4"),
            Step("labour", "LB-0106"),
            Step("part", "B000750M3"),
            Step("labour", "LB-0108"),
            Step("part", "G052182A2", "6"),
            Step("material", "清洗剂"),
            Step("material", "润滑脂"),
        ),
        (
            Step("labour", "LB-0102"),
            Step("labour", "LB-0601"),
            Step("labour", "LB-0104"),
            Step("model_part", "819653"),
            Step("labour", "LB-0106"),
            Step("part", "B000750M3"),
            Step("labour", "LB-0604"),
            Step("part", "G052529A2", "2"),
            Step("material", "润滑脂"),
        ),
    ),
}
# Electric models: a service every 10,000 km / 12 months (the others keep the settings'
# 6 months / 5,000 km).
ELECTRIC_INTERVAL = {"months": 12, "km": 10000}


def _fits(models: tuple[str, ...] | None) -> str:
    return SEP.join(models) if models else ""


def _model_part_number(model_name: str, group: str) -> str:
    return f"{FAMILY[model_name]}{group}"


def _model_parts() -> list[tuple[str, str, str, Decimal, str]]:
    rates = {model.name: model.labour_rate for model in OWN_MODELS + OTHER_MODELS}
    rows = []
    for model_name in COMBUSTION + ELECTRIC:
        scale = Decimal(rates[model_name]) / 160  # the bigger car, the dearer its parts
        for group, name, unit, price, combustion_only in MODEL_PART_KINDS:
            if combustion_only and model_name in ELECTRIC:
                continue
            rows.append(
                (
                    _model_part_number(model_name, group),
                    name,
                    unit,
                    (Decimal(price) * scale).quantize(Decimal("1")),
                    model_name,
                )
            )
    return rows


@transaction.atomic
def seed_catalogue() -> dict[str, int]:
    """Create or refresh the demo catalogue; returns how many of each it holds."""
    operations = {}
    for code, name, hours, models in LABOUR:
        operations[code], _created = LabourOperation.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "standard_hours": Decimal(hours),
                "fits_models": _fits(models),
                "active": True,
            },
        )
    parts = {}
    part_rows = [
        (number, name, unit, Decimal(price), _fits(models))
        for number, name, unit, price, models in COMMON_PARTS
    ] + _model_parts()
    for number, name, unit, price, fits in part_rows:
        parts[number], _created = Part.objects.update_or_create(
            number=number,
            defaults={"name": name, "unit": unit, "price": price, "fits_models": fits},
        )
    jobs = 0
    for model_name in COMBUSTION + ELECTRIC:
        electric = model_name in ELECTRIC
        for km, (combustion_steps, electric_steps) in SERVICES.items():
            steps = electric_steps if electric else combustion_steps
            job, _created = CannedJob.objects.get_or_create(
                name=f"{km} 公里保养",
                model_name=model_name,
                defaults={"mileage": km, "kind": WorkOrder.Kind.MAINTENANCE},
            )
            job.mileage, job.active = km, True
            lines = [_line(step, model_name, operations, parts) for step in steps]
            canned_job_save(canned_job=job, lines=lines)
            jobs += 1
        if electric:
            MaintenanceInterval.objects.update_or_create(
                model_name=model_name, defaults=ELECTRIC_INTERVAL
            )
    return {"labour operations": len(operations), "parts": len(parts), "canned jobs": jobs}


def _line(step: Step, model_name: str, operations: dict, parts: dict) -> CannedJobLine:
    quantity = Decimal(step.quantity)
    if step.kind == "labour":
        return CannedJobLine(
            kind="labour", labour_operation=operations[step.ref], quantity=quantity
        )
    if step.kind == "material":
        name, price = MATERIALS[step.ref]
        return CannedJobLine(
            kind="material", description=name, unit_price=Decimal(price), quantity=quantity
        )
    number = _model_part_number(model_name, step.ref) if step.kind == "model_part" else step.ref
    return CannedJobLine(kind="part", part=parts[number], quantity=quantity)
