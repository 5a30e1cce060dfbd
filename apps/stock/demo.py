"""The demo's parts department: a wider catalogue (a few thousand parts of the demo models,
numbered and priced as a maker's catalogue is), the stock of every part with its bin and
minimum, ten years of movements (receipts on the supplier's delivery days, issues to the
workshop), and a few open purchase requests. Run by `seed_demo` after the work orders
(apps.core.seeding), so the live flow's issue slips exist already.

1. The wider catalogue (`seed_wider_catalogue`): bulk INSERT … ON CONFLICT DO NOTHING.
2. The live flow's slips and receipts (made now through the services by demo_flow) are
   moved back to the day of their order, as demo_flow.backdate moves the order itself.
3. The history, written in bulk (ten years are some 350,000 movements): each part's
   demand drawn as a Poisson process from how fast it moves; a delivery (twice a week, from
   one of three suppliers, one receipt document a day) brings a part back to its order-up
   level when the next issue would find too little. Costs drift up 2 % a year; the moving
   average is computed by `services.valued`, the services' own arithmetic, so
   `manage.py check_stock` finds the stock equal to its movements.
4. The stock rows: the sums of every part's movements (the live flow's included).
5. A few open purchase requests through the services: parts under their minimum, and
   the parts of one of today's orders (waiting for parts).

Deterministic for a seed and a moment (its own random stream); nothing dated after it.
"""

import datetime as dt
import math
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.seeding import DemoRun
from apps.customers.demo import OTHER_MODELS, OWN_MODELS
from apps.parts.models import Part
from apps.workorders.demo_catalogue import COMMON_PARTS, ELECTRIC, FAMILY, _model_parts
from apps.workorders.demo_live import FLOW_DAYS
from apps.workorders.models import (
    LineStatus,
    NumberSequence,
    Signature,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)

from . import flow_steps, services
from .models import GoodsReceipt, IssueSlip, Stock, StockMovement

D = Decimal
ZERO = D(0)
CHUNK = 200  # parts whose history is written per transaction
SUPPLIERS = ("一汽-大众华南配件中心", "广州众诚汽配", "深圳佳通轮胎")
DELIVERY_WEEKDAYS = (1, 4)  # Tuesday and Friday
HISTORY_REASON = "工单领料(旧系统记录)"

# The wider catalogue: (group, name, unit, lowest and highest list price at a "160 元/h"
# model, left/right pair, combustion only). Numbers follow the maker's scheme: family
# prefix + group (+1 on the last digit for the right-hand part) + a version letter.
WIDER_KINDS = (
    ("941005", "前大灯总成", "个", (1800, 4800), True, False),
    ("945095", "尾灯总成", "个", (600, 1600), True, False),
    ("857507", "外后视镜总成", "个", (900, 2200), True, False),
    ("857521", "后视镜镜片", "片", (180, 420), True, False),
    ("831055", "前门壳", "个", (1500, 3200), True, False),
    ("833055", "后门壳", "个", (1400, 3000), True, False),
    ("821021", "前翼子板", "个", (600, 1400), True, False),
    ("823031", "发动机盖", "个", (1600, 3500), False, False),
    ("827025", "后备箱盖", "个", (1500, 3200), False, False),
    ("807217", "前保险杠骨架", "个", (500, 1200), False, False),
    ("807421", "后保险杠皮", "个", (1100, 2400), False, False),
    ("853651", "中网格栅", "个", (450, 1200), False, False),
    ("845051", "后挡风玻璃", "块", (900, 1800), False, False),
    ("837461", "玻璃升降器", "个", (380, 900), True, False),
    ("959801", "玻璃升降器电机", "个", (420, 980), True, False),
    ("837015", "门锁块", "个", (320, 760), True, False),
    ("121113", "节温器", "个", (260, 620), False, True),
    ("121253", "散热器", "个", (1200, 2600), False, False),
    ("959455", "电子扇", "个", (900, 2100), False, False),
    ("820411", "冷凝器", "个", (900, 1900), False, False),
    ("820803", "空调压缩机", "个", (3200, 6800), False, False),
    ("820679", "膨胀阀", "个", (260, 580), False, False),
    ("819015", "鼓风机", "个", (480, 1100), False, False),
    ("903023", "发电机", "个", (1800, 3800), False, True),
    ("911023", "起动机", "个", (1500, 3200), False, True),
    ("905715", "点火线圈", "个", (260, 520), False, True),
    ("906262", "氧传感器", "个", (420, 980), False, True),
    ("906433", "进气压力传感器", "个", (260, 560), False, True),
    ("907379", "ABS 泵总成", "个", (4500, 9800), False, False),
    ("927807", "轮速传感器", "个", (220, 480), True, False),
    ("611301", "制动总泵", "个", (900, 1900), False, False),
    ("615123", "前制动卡钳", "个", (1100, 2400), True, False),
    ("615424", "后制动卡钳", "个", (1000, 2100), True, False),
    ("615601", "后刹车盘", "个", (480, 980), False, False),
    ("413031", "前减震器", "个", (780, 1700), True, False),
    ("513029", "后减震器", "个", (620, 1400), True, False),
    ("407151", "前下摆臂", "个", (480, 1100), True, False),
    ("407365", "外球笼", "个", (520, 1200), True, False),
    ("407271", "前半轴", "个", (1200, 2600), True, False),
    ("423810", "转向横拉杆", "个", (260, 620), True, False),
    ("423812", "转向拉杆球头", "个", (180, 420), True, False),
    ("423051", "转向机总成", "个", (3800, 8800), False, False),
    ("411315", "稳定杆连杆", "个", (160, 380), True, False),
    ("199555", "发动机支架", "个", (480, 1100), False, True),
    ("199262", "发动机脚垫", "个", (380, 860), False, True),
    ("260260", "正时皮带套件", "套", (980, 2100), False, True),
    ("109158", "正时链条", "条", (680, 1500), False, True),
    ("103483", "气门室盖垫", "个", (120, 280), False, True),
    ("253609", "三元催化器", "个", (3800, 8800), False, True),
    ("253181", "排气管垫片", "个", (30, 80), False, True),
    ("201511", "燃油泵", "个", (900, 2100), False, True),
    ("133062", "节气门体", "个", (1100, 2400), False, True),
    ("133321", "进气歧管", "个", (1600, 3200), False, True),
    ("145299", "涡轮增压器", "个", (5800, 12800), False, True),
    ("121109", "冷却液管", "根", (120, 320), False, False),
    ("260849", "多楔带", "条", (160, 360), False, True),
    ("260511", "张紧轮", "个", (260, 580), False, True),
    ("955119", "雨刮电机", "个", (680, 1500), False, False),
    ("955707", "后雨刮片", "个", (80, 160), False, False),
    ("959655", "安全气囊控制单元", "个", (2200, 4800), False, False),
    ("880201", "主驾驶安全气囊", "个", (2600, 5200), False, False),
    ("919275", "倒车雷达探头", "个", (260, 580), False, False),
    ("980121", "倒车影像摄像头", "个", (900, 2100), False, False),
    ("937087", "车身控制模块", "个", (1800, 3600), False, False),
    ("959857", "门窗控制开关", "个", (260, 620), True, False),
    ("953513", "组合开关", "个", (900, 1900), False, False),
    ("919601", "中控显示屏", "个", (3800, 7800), False, False),
    ("951113", "喇叭", "个", (120, 280), False, False),
    ("601025", "轮毂", "个", (1800, 3600), False, False),
    ("601171", "轮毂盖", "个", (60, 160), False, False),
    ("498625", "前轮轴承", "个", (420, 900), False, False),
    ("598611", "后轮轴承", "个", (380, 820), False, False),
    ("867011", "门内饰板", "个", (680, 1600), True, False),
    ("858415", "仪表台", "个", (2800, 5600), False, False),
    ("863021", "地毯", "块", (620, 1400), False, False),
)
VERSIONS = (("", ""), ("A", "(改进型)"), ("B", "(高配)"))

# How fast the demo catalogue's parts move: issues a day (a Poisson process) and units an
# issue. Maintenance items move daily; a model's own wear parts a few times a week; the
# wider catalogue a few times a year.
FAST = {
    "G052195M4": 2.4,  # 5W-30 4 L: nearly every combustion service
    "G052195M1": 1.2,
    "G052167M4": 0.6,
    "B000750M3": 0.5,
    "G013A8JM1": 0.3,
    "000091001": 0.5,
    "000091003": 0.4,
}
MODEL_GROUP_RATE = {"115561": 0.35, "129620": 0.15, "819653": 0.25, "905601": 0.08}
COMMON_RATE = 0.08  # the other common parts (tyres, batteries, refrigerant, …)
MODEL_PART_RATE = 0.06  # the other parts of the service catalogue (brake pads, discs, …)
WIDER_RATE = 0.012  # four or five issues a year


def _rates() -> dict[str, dict]:
    scales = {model.name: D(model.labour_rate) / 160 for model in OWN_MODELS + OTHER_MODELS}
    rows = {}
    for model_name, prefix in FAMILY.items():
        for group, name, unit, (low, high), paired, combustion_only in WIDER_KINDS:
            if combustion_only and model_name in ELECTRIC:
                continue
            for letter, label in VERSIONS:
                for side in ("左", "右") if paired else ("",):
                    digits = group if side != "右" else f"{group[:-1]}{int(group[-1]) + 1}"
                    number = f"{prefix}{digits}{letter}"
                    rows[number] = {
                        "name": f"{name}{f'({side})' if side else ''}{label}",
                        "unit": unit,
                        "range": (low, high),
                        "scale": scales[model_name],
                        "fits": model_name,
                    }
    return rows


def seed_wider_catalogue(run: DemoRun) -> int:
    """The wider catalogue, priced from the demo's own random stream; existing numbers are
    left as they are. Returns how many parts it holds."""
    rng = run.rng("stock-catalogue")
    rows = _rates()
    parts = []
    for number, row in rows.items():
        low, high = row["range"]
        price = (D(rng.randint(low, high)) * row["scale"]).quantize(D("1"))
        parts.append(
            Part(
                number=number,
                name=row["name"],
                unit=row["unit"],
                price=price,
                fits_models=row["fits"],
                created_at=day_start(run.start),
            )
        )
    Part.objects.bulk_create(parts, batch_size=1000, ignore_conflicts=True)
    return len(parts)


def _service_numbers() -> tuple[set[str], set[str]]:
    """(common parts, the models' own parts) of the service catalogue (demo_catalogue)."""
    return {row[0] for row in COMMON_PARTS}, {row[0] for row in _model_parts()}


COMMON_NUMBERS, MODEL_NUMBERS = _service_numbers()


def _rate(part: Part) -> float:
    if part.number in FAST:
        return FAST[part.number]
    if part.number in MODEL_NUMBERS:
        return MODEL_GROUP_RATE.get(part.number[-6:], MODEL_PART_RATE)
    if part.number in COMMON_NUMBERS:
        return COMMON_RATE
    return WIDER_RATE


def _bin(part: Part, index: int) -> str:
    """Fast movers near the counter (A), the service catalogue's parts (B), the wider
    catalogue by family (C-…)."""
    rate = _rate(part)
    if rate >= 0.3:
        return f"A-01-{index % 20 + 1:02d}"
    if rate >= MODEL_PART_RATE:
        return f"B-{index // 40 % 10 + 1:02d}-{index % 40 + 1:02d}"
    return f"C-{index // 60 % 30 + 1:02d}-{index % 60 + 1:02d}"


def _minimum(rate: float) -> D:
    """About a week of demand for what moves, nothing for the slow ones."""
    return D(max(math.ceil(rate * 7), 0)) if rate >= MODEL_PART_RATE else ZERO


class History:
    """The movements of every part from the first day of the demo to `until`."""

    def __init__(self, run: DemoRun, until: dt.date, clerk):
        self.run = run
        self.rng: random.Random = run.rng("stock")
        self.first = run.start
        self.until = until
        self.clerk = clerk
        days = (until - self.first).days
        self.delivery_days = [
            day
            for day in (self.first + dt.timedelta(days=n) for n in range(days + 1))
            if day.weekday() in DELIVERY_WEEKDAYS
        ]
        self.receipts: dict[dt.date, GoodsReceipt] = {}

    def receipts_create(self) -> None:
        """One receipt document a delivery day (its lines are that day's receipts)."""
        receipts = [
            GoodsReceipt(
                number=f"RK{day:%Y%m%d}0001",
                supplier=SUPPLIERS[day.toordinal() % len(SUPPLIERS)],
                delivery_note=f"SD{day:%Y%m%d}{day.toordinal() % 97:02d}",
                by=self.clerk,
                at=self.moment(day, 10),
            )
            for day in self.delivery_days
        ]
        GoodsReceipt.objects.bulk_create(receipts, batch_size=1000)
        self.receipts = dict(zip(self.delivery_days, receipts, strict=True))

    def moment(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def delivery_before(self, day: dt.date, after: dt.date | None) -> dt.date:
        """The latest delivery day on or before `day` (and after the part's last one), or
        the first day of the history."""
        for back in range(0, 7):
            candidate = day - dt.timedelta(days=back)
            on_delivery_day = candidate.weekday() in DELIVERY_WEEKDAYS
            if on_delivery_day and candidate >= max(self.first, after or self.first):
                return candidate
        return max(after or self.first, self.first)

    def part_movements(self, part: Part, rate: float, minimum: D) -> tuple[list, D]:
        """(movements, the last purchase cost) of one part."""
        rng = self.rng
        list_price = part.price
        base_cost = (list_price * D("0.62")).quantize(D("0.01"))
        up_to = max(minimum * 2, D(2) if rate >= WIDER_RATE else D(1))
        days = (self.until - self.first).days
        on_hand = value = average = ZERO
        last_cost = base_cost
        last_delivery = None
        movements = []
        t = rng.expovariate(rate) if rate else days + 1
        while t < days:
            day = self.first + dt.timedelta(days=int(t))
            quantity = D(1 if rate < 1 else rng.choice((1, 1, 1, 2)))
            if on_hand < quantity:
                delivery = self.delivery_before(day, last_delivery)
                receipt = self.receipts.get(delivery)
                years = (delivery - self.first).days / 365
                drift = D(str(round((1.02**years) * rng.uniform(0.97, 1.03), 4)))
                cost = (base_cost * drift).quantize(D("0.0001"))
                incoming = up_to - on_hand + quantity
                unit_cost, change, value, average = services.valued(
                    on_hand=on_hand, value=value, average=average, quantity=incoming, unit_cost=cost
                )
                on_hand += incoming
                last_cost, last_delivery = cost, delivery
                movements.append(
                    StockMovement(
                        part_id=part.pk,
                        kind=StockMovement.Kind.RECEIPT,
                        quantity=incoming,
                        unit_cost=unit_cost,
                        value=change,
                        at=self.moment(delivery, 10, 5),
                        by=self.clerk,
                        reason=f"{receipt.supplier} 送货单 {receipt.delivery_note}"
                        if receipt
                        else "期初库存",
                        receipt=receipt,
                    )
                )
            at = self.moment(day, rng.randint(11, 17), rng.randint(0, 59))
            unit_cost, change, value, average = services.valued(
                on_hand=on_hand, value=value, average=average, quantity=-quantity
            )
            on_hand -= quantity
            movements.append(
                StockMovement(
                    part_id=part.pk,
                    kind=StockMovement.Kind.ISSUE,
                    quantity=-quantity,
                    unit_cost=unit_cost,
                    value=change,
                    at=at,
                    by=self.clerk,
                    reason=HISTORY_REASON,
                )
            )
            t += rng.expovariate(rate)
        return movements, last_cost


def _live_documents_backdated(run: DemoRun) -> dt.date | None:
    """Move the live flow's slips and receipts (made now by demo_flow) to the day of their
    order: a slip just before the order's self-check, the receipt of its missing parts half
    an hour earlier; number them by their new day. Returns the first day they are on."""
    slips = list(IssueSlip.objects.order_by("id"))
    if not slips:
        return None
    checks = dict(
        StatusChange.objects.filter(
            work_order__in=[slip.work_order_id for slip in slips], transition="self_check"
        ).values_list("work_order_id", "at")
    )
    receipts = {
        receipt.delivery_note: receipt
        for receipt in GoodsReceipt.objects.filter(supplier=flow_steps.SUPPLIER)
    }
    moved = []  # (document, new time)
    for slip in slips:
        at = checks.get(slip.work_order_id, slip.at) - dt.timedelta(minutes=15)
        at = min(at, slip.at)
        moved.append((slip, at))
        receipt = receipts.pop(flow_steps.delivery_note(slip.work_order_id), None)
        if receipt is not None:
            moved.append((receipt, at - dt.timedelta(minutes=30)))
    with transaction.atomic():
        for document, at in moved:
            document.at = at
            field = "slip" if isinstance(document, IssueSlip) else "receipt"
            StockMovement.objects.filter(**{field: document}).update(at=at)
            if isinstance(document, IssueSlip) and document.signature_id:
                Signature.objects.filter(pk=document.signature_id).update(signed_at=at)
        _renumber([doc for doc, _at in moved if isinstance(doc, IssueSlip)], IssueSlip, run)
        _renumber([doc for doc, _at in moved if isinstance(doc, GoodsReceipt)], GoodsReceipt, run)
    return min(timezone.localdate(at) for _doc, at in moved)


def _renumber(documents: list, model, run: DemoRun) -> None:
    """Number documents by their (new) day, in time order; the days' counters follow."""
    prefixes = {document.pk: _prefix(document) for document in documents}
    for document in documents:
        document.number = f"TMP{document.pk}"
    model.objects.bulk_update(documents, ["number", "at"])
    serials: dict[str, int] = {}
    for document in sorted(documents, key=lambda d: (d.at, d.pk)):
        key = f"{prefixes[document.pk]}{timezone.localdate(document.at):%Y%m%d}"
        serials[key] = serials.get(key, 0) + 1
        document.number = f"{key}{serials[key]:04d}"
    model.objects.bulk_update(documents, ["number"])
    for key, last in serials.items():
        NumberSequence.objects.update_or_create(key=key, defaults={"last": last})


def _prefix(document) -> str:
    if isinstance(document, GoodsReceipt):
        return "RK"
    return "CK" if document.kind == IssueSlip.Kind.ISSUE else "TL"


def _history(run: DemoRun, until: dt.date, clerk) -> int:
    history = History(run, until, clerk)
    history.receipts_create()
    parts = list(Part.objects.filter(active=True).order_by("number"))
    written = 0
    stock_rows = {}
    for start in range(0, len(parts), CHUNK):
        chunk = parts[start : start + CHUNK]
        movements = []
        for index, part in enumerate(chunk, start=start):
            rate = _rate(part)
            minimum = _minimum(rate)
            part_movements, last_cost = history.part_movements(part, rate, minimum)
            movements += part_movements
            stock_rows[part.pk] = (_bin(part, index), minimum, last_cost)
        with transaction.atomic():
            StockMovement.objects.bulk_create(movements, batch_size=5000)
        written += len(movements)
        run.log(f"  库存流水 {min(start + CHUNK, len(parts))}/{len(parts)} 个配件 · {written} 条")
    _stock_rows_from_movements(stock_rows)
    return written


def _stock_rows_from_movements(rows: dict[int, tuple]) -> None:
    """Each part's stock row: the sums of its movements (the history and the live flow's),
    its bin and minimum; the average is the value over the quantity (or, with nothing in
    stock, the last purchase cost)."""
    sums = {
        row["part_id"]: row
        for row in StockMovement.objects.values("part_id").annotate(
            on_hand=Sum("quantity"), reserved=Sum("reserved_change"), value=Sum("value")
        )
    }
    existing = dict(Stock.objects.values_list("part_id", "average_cost"))
    stocks = []
    for part_id in set(rows) | set(sums):
        bin_, minimum, last_cost = rows.get(part_id, ("", ZERO, ZERO))
        total = sums.get(part_id, {})
        # Quantised: SQLite (the embedded default) adds decimals up as floats.
        on_hand = services.to_fen(total.get("on_hand") or ZERO)
        value = services.to_fen(total.get("value") or ZERO)
        average = (
            (value / on_hand).quantize(D("0.0001"))
            if on_hand
            else existing.get(part_id) or D(last_cost).quantize(D("0.0001"))
        )
        stocks.append(
            Stock(
                part_id=part_id,
                on_hand=on_hand,
                reserved=services.to_fen(total.get("reserved") or ZERO),
                value=value,
                average_cost=average,
                bin=bin_,
                minimum=minimum,
            )
        )
    with transaction.atomic():
        Stock.objects.all().delete()
        Stock.objects.bulk_create(stocks, batch_size=2000)


def _open_requests(run: DemoRun, clerk) -> int:
    """A few requests waiting for their goods: parts under their minimum, and the parts of
    one of today's orders not yet issued (its technician waits for them)."""
    rng = run.rng("stock-requests")
    made = 0
    low = list(
        Stock.objects.filter(minimum__gt=0, available__lt=F("minimum"))
        .select_related("part")
        .order_by("part__number")[:6]
    )
    for stock in low:
        services.purchase_request_create(
            part=stock.part,
            quantity=stock.minimum * 2 - stock.available,
            by=clerk,
            expected_on=run.today + dt.timedelta(days=rng.randint(1, 4)),
            note="低于最低库存",
        )
        made += 1
    waiting = (
        WorkOrderLine.objects.filter(
            work_order__status__in=(WorkOrder.Status.APPROVED, WorkOrder.Status.DISPATCHED),
            work_order__opened_at__gte=day_start(run.today),
            kind=WorkOrderLine.Kind.PART,
            part__isnull=False,
            status=LineStatus.APPROVED,
            issued_quantity=0,
        )
        .select_related("work_order")
        .order_by("work_order__opened_at", "id")
    )
    first = waiting.first()
    for line in waiting.filter(work_order=first.work_order) if first else []:
        services.purchase_request_for_line(
            line=line,
            by=clerk,
            quantity=line.quantity,
            expected_on=run.today + dt.timedelta(days=2),
            note="原厂订货",
        )
        made += 1
    return made


def history_exists(run: DemoRun) -> bool:
    return StockMovement.objects.filter(reason=HISTORY_REASON).exists()


def seed(run: DemoRun) -> None:
    started = time.perf_counter()
    catalogue = seed_wider_catalogue(run)
    if history_exists(run):
        run.log("  库存演示已存在，跳过。")
        return
    clerk = get_user_model().objects.get(username="parts")
    live_first = _live_documents_backdated(run)
    until = run.today - dt.timedelta(days=FLOW_DAYS + 1)
    if live_first is not None:
        until = min(until, live_first - dt.timedelta(days=1))
    written = _history(run, until, clerk)
    requests = _open_requests(run, clerk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stock_stockmovement")
    run.log(
        f"  配件库存 · {catalogue} 个扩展目录配件 · {written} 条历史流水"
        f" · {requests} 张待到货请购单({time.perf_counter() - started:.1f} 秒)"
    )
    run.summary.append(f"{StockMovement.objects.count()} 条库存流水")
