"""The demo's warranty claims: every settled warranty order of the work-order demo gets its
claim, at the state its age gives it (run by `seed_demo` after the work orders).

1. Claims in bulk (ten years are some 27,000): each follows a plausible timeline from the
   order's settlement: created the same or next day, submitted within the deadline (a few
   late), decided by the maker two to three weeks later (about one in eight rejected first
   and resubmitted after a correction; a few rejected for good), paid a month later. What
   has not happened by the moment of loading has not happened: the newest claims are
   drafts, submitted, rejected, resubmitted or approved. Their status changes, old-part
   tags, signed paper documents sent back in monthly batches, and the monthly invoices
   (the last month's not issued yet: the reminder) are written alongside.
2. A few vehicles sold within the return-or-replace period with histories that reach or
   nearly reach a 三包 threshold (the same problem repaired four times, two serious-fault
   repairs, a gearbox replaced, repairs adding up to 27 days, a traction-battery part
   replaced twice, a car in the workshop for six days): the warnings of the home pages.
3. The 三包 watch rows of every vehicle with a claim in the last return-or-replace period.

Deterministic for a seed and a moment (its own random stream); loaded once (orders that
have a claim are skipped, the warning histories are marked).
"""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.seeding import DemoRun
from apps.core.settings import current_settings
from apps.customers.models import Vehicle
from apps.workorders.demo_catalogue import ELECTRIC
from apps.workorders.models import LineStatus, NumberSequence, Payer, WorkOrder, WorkOrderLine
from apps.workorders.services import stored_totals, work_order_totals

from . import rights, services
from .models import (
    MAIN_PARTS,
    MAJOR_ASSEMBLIES,
    ClaimLine,
    ClaimStatusChange,
    DocumentBatch,
    MonthlyStatement,
    Replacement,
    System,
    WarrantyClaim,
    WarrantySettings,
    WarrantyWatch,
)
from .selectors import statement_totals
from .transitions import TRANSITIONS

S = WarrantyClaim.Status
BATCH = 2000  # orders per transaction
# Marks the work orders of the warning histories (found again on a second load).
LEMON_WORDS = "三包预警演示"

# (system, weight, faults described, causes, repairs)
SYSTEMS = (
    (
        System.ENGINE,
        18,
        ("发动机抖动,故障灯亮", "发动机异响", "冷却液温度过高"),
        ("点火线圈击穿", "正时链条张紧器失效", "水泵漏水"),
        ("更换点火线圈", "更换正时链条张紧器", "更换水泵总成"),
    ),
    (
        System.GEARBOX,
        7,
        ("换挡顿挫", "倒挡无法挂入"),
        ("离合器片磨损", "机电单元故障"),
        ("更换离合器组件", "更换机电单元"),
    ),
    (
        System.BRAKES,
        10,
        ("制动异响", "制动踏板偏软"),
        ("制动主缸内漏", "ABS 泵阀卡滞"),
        ("更换制动主缸", "更换 ABS 泵"),
    ),
    (
        System.STEERING,
        5,
        ("方向盘沉重", "转向异响"),
        ("转向机内部磨损", "助力电机故障"),
        ("更换转向机总成", "更换助力电机"),
    ),
    (
        System.SUSPENSION,
        8,
        ("过坎异响", "车身倾斜"),
        ("减振器漏油", "控制臂衬套开裂"),
        ("更换减振器", "更换控制臂"),
    ),
    (System.DRIVE_TRAIN, 4, ("起步抖动",), ("传动轴万向节磨损",), ("更换传动轴",)),
    (
        System.EMISSION,
        5,
        ("排放故障灯亮",),
        ("氧传感器失效", "三元催化效率低"),
        ("更换氧传感器", "更换三元催化转化器"),
    ),
    (
        System.BODY,
        4,
        ("车门关闭不严", "天窗漏水"),
        ("车门铰链变形", "天窗排水管堵塞"),
        ("调整更换车门铰链", "疏通排水管"),
    ),
    (
        System.OTHER,
        25,
        ("中控屏黑屏", "空调不制冷", "车窗升降失灵"),
        ("主机软件故障", "空调压缩机损坏", "升降器电机损坏"),
        ("更换中控主机", "更换压缩机", "更换升降器"),
    ),
)
ELECTRIC_SYSTEMS = (
    (
        System.TRACTION_BATTERY,
        14,
        ("续航明显下降", "动力电池故障报警"),
        ("电池模组压差过大", "电池管理系统故障"),
        ("更换电池模组", "更换电池管理系统"),
    ),
    (
        System.DRIVE_MOTOR,
        8,
        ("行驶中异响", "动力中断"),
        ("电机轴承磨损", "电机控制器故障"),
        ("更换电机轴承", "更换电机控制器"),
    ),
)
OTHER_PARTS = ("中控主机", "空调压缩机", "车窗升降器")
REJECTIONS = (
    "缺少故障照片",
    "工时超过标准工时",
    "旧件未按时返还",
    "服务令号与车辆不符",
    "故障描述不完整",
)


def _clerk():
    """The demo's warranty clerk (apps/accounts/demo.py), who files every claim."""
    return get_user_model().objects.filter(username="warranty").first()


class ClaimBuilder:
    def __init__(self, run: DemoRun, clerk):
        self.run = run
        self.rng: random.Random = run.rng("warranty")
        self.clerk = clerk
        self.serials: dict[str, int] = defaultdict(int)  # CLyyyymm → last serial
        self.last_problem: dict[int, tuple] = {}  # vehicle → its last classification

    def moment(self, day: dt.date, hours=(9, 17)) -> dt.datetime:
        return self.run.moment(self.rng, day, hours=hours)

    def classification(self, vehicle_id: int, electric: bool) -> dict:
        rng = self.rng
        previous = self.last_problem.get(vehicle_id)
        if previous and rng.random() < 0.3:  # the same problem again
            system, part, code, texts = previous
        else:
            table = SYSTEMS + (ELECTRIC_SYSTEMS if electric else ())
            row = rng.choices(table, weights=[entry[1] for entry in table])[0]
            system = row[0]
            which = rng.randrange(len(row[2]))
            texts = (
                row[2][which],
                row[3][min(which, len(row[3]) - 1)],
                row[4][min(which, len(row[4]) - 1)],
            )
            parts = MAIN_PARTS.get(system, OTHER_PARTS)
            part = rng.choice(parts)
            code = f"{'PCBU'[rng.randrange(4)]}{rng.randint(0, 3)}{rng.randint(0, 999):03d}"
            if rng.random() < 0.4:
                code = ""
        self.last_problem[vehicle_id] = (system, part, code, texts)
        replacement = Replacement.NONE
        draw = rng.random()
        if system in MAJOR_ASSEMBLIES and draw < 0.03:
            replacement = Replacement.ASSEMBLY
        elif system != System.OTHER and draw < 0.3:
            replacement = Replacement.MAIN_PART
        serious = ""
        if system in (System.BRAKES, System.STEERING) and rng.random() < 0.15:
            serious = "brake_failure" if system == System.BRAKES else "steering_failure"
        elif rng.random() < 0.01:
            serious = "other"
        return {
            "system": system,
            "main_part": part,
            "fault_code": code,
            "serious_fault": serious,
            "replacement": replacement,
            "problem_key": rights.problem_key(system=system, fault_code=code, main_part=part),
            "fault_description": texts[0],
            "cause": texts[1],
            "repair_done": texts[2],
        }

    def number(self, at: dt.datetime) -> str:
        key = f"{services.CLAIM_PREFIX}{timezone.localtime(at):%Y%m}"
        self.serials[key] += 1
        return f"{key}{self.serials[key]:04d}"

    def claim(self, order: WorkOrder, lines: list[WorkOrderLine], electric: bool, target=None):
        """The claim of a settled order as far as its timeline reached by now: the claim,
        its lines and its status changes (unsaved). With `target`, the claim is taken to
        that state by now (its moves spread evenly since it was made)."""
        rng, now = self.rng, self.run.now
        settled = order.settled_at or order.delivered_at
        created = settled + dt.timedelta(hours=rng.randint(1, 20))
        if created > now:
            created = settled + (now - settled) / 2
        claim = WarrantyClaim(
            number="",
            work_order=order,
            vehicle_id=order.vehicle_id,
            status=S.DRAFT,
            service_order_number=f"FW{timezone.localtime(created):%y%m}{rng.randint(10000, 99999)}",
            outside_service_km=rng.choice((0,) * 12 + (18, 26, 42)),
            created_by=self.clerk,
            created_at=created,
            updated_at=created,
            **self.classification(order.vehicle_id, electric),
        )
        claim.number = self.number(created)
        labour = sum((line.amount for line in lines if line.kind == "labour"), Decimal(0))
        total = sum((line.amount for line in lines), Decimal(0))
        claim.labour_amount, claim.parts_amount, claim.claimed_amount = (
            labour,
            total - labour,
            total,
        )
        tags = []
        serial = 0
        for line in lines:
            tag = ""
            if line.kind == WorkOrderLine.Kind.PART:
                serial += 1
                tag = f"{claim.number}-{serial:02d}"
            tags.append(
                ClaimLine(
                    claim=claim,
                    line=line,
                    tag_number=tag,
                    old_part_fault=claim.cause if tag else "",
                )
            )
        changes = []

        def move(name, source, target, at, reason=""):
            if at > now:
                return False
            changes.append(
                ClaimStatusChange(
                    claim=claim,
                    transition=name,
                    from_status=source,
                    to_status=target,
                    by=self.clerk,
                    at=at,
                    reason=reason,
                )
            )
            claim.status, claim.updated_at = target, at
            return True

        if target is not None:
            self.forced(claim, changes, move, target, created, total)
            return claim, tags, changes
        settled_day = timezone.localdate(settled)
        late = rng.random() < 0.04
        submitted = self.moment(
            settled_day + dt.timedelta(days=rng.randint(8, 12) if late else rng.randint(1, 6))
        )
        if not move("submit", S.DRAFT, S.SUBMITTED, submitted):
            return claim, tags, changes
        claim.submitted_at = submitted
        signed = submitted + dt.timedelta(days=rng.randint(1, 3))
        if signed <= now:
            claim.documents_signed_at, claim.documents_signed_by = signed, self.clerk
        decided = self.moment(timezone.localdate(submitted) + dt.timedelta(days=rng.randint(7, 20)))
        if rng.random() < 0.13:  # rejected first
            reason = rng.choice(REJECTIONS)
            if not move("reject", S.SUBMITTED, S.REJECTED, decided, reason):
                return claim, tags, changes
            claim.decided_at, claim.rejection_reason = decided, reason
            if rng.random() < 0.15:  # the clerk accepted the rejection: it stays rejected
                return claim, tags, changes
            again = self.moment(timezone.localdate(decided) + dt.timedelta(days=rng.randint(2, 8)))
            if not move("resubmit", S.REJECTED, S.RESUBMITTED, again):
                return claim, tags, changes
            decided = self.moment(timezone.localdate(again) + dt.timedelta(days=rng.randint(5, 15)))
            source = S.RESUBMITTED
        else:
            source = S.SUBMITTED
        approved = (
            total if rng.random() < 0.85 else (total * Decimal("0.9")).quantize(Decimal("0.01"))
        )
        if not move("approve", source, S.APPROVED, decided, f"批准金额 {approved} 元"):
            return claim, tags, changes
        claim.decided_at, claim.approved_amount, claim.rejection_reason = decided, approved, ""
        claim.maker_reference = f"JS{timezone.localtime(decided):%Y%m}{rng.randint(100, 999)}"
        paid = self.moment(timezone.localdate(decided) + dt.timedelta(days=rng.randint(20, 45)))
        if move("pay", S.APPROVED, S.PAID, paid, f"到账 {approved} 元"):
            claim.paid_at, claim.paid_amount = paid, approved
        return claim, tags, changes

    def forced(self, claim, changes, move, target: str, created: dt.datetime, total) -> None:
        path = FORCED_PATHS[target]
        step = (self.run.now - created) / (len(path) + 1)
        state = S.DRAFT
        for index, name in enumerate(path, start=1):
            at = created + step * index
            reason = ""
            if name == "submit":
                claim.submitted_at = at
            elif name == "reject":
                reason = claim.rejection_reason = self.rng.choice(REJECTIONS)
                claim.decided_at = at
            elif name == "approve":
                claim.decided_at, claim.approved_amount, claim.rejection_reason = at, total, ""
                claim.maker_reference = (
                    f"JS{timezone.localtime(at):%Y%m}{self.rng.randint(100, 999)}"
                )
                reason = f"批准金额 {total} 元"
            elif name == "pay":
                claim.paid_at, claim.paid_amount = at, total
                reason = f"到账 {total} 元"
            target_state = TRANSITIONS[name].target
            move(name, state, target_state, at, reason)
            state = target_state


# The moves that take a claim to each state: the demo's newest claims cover every state.
FORCED_PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.REJECTED: ["submit", "reject"],
    S.RESUBMITTED: ["submit", "reject", "resubmit"],
    S.APPROVED: ["submit", "approve"],
    S.PAID: ["submit", "approve", "pay"],
}
# The order of the states given to the newest settled orders (after FRESH_DAYS): a draft
# past its deadline among them (the clerk's home page flags it).
FORCED_ORDER = (S.SUBMITTED, S.RESUBMITTED, S.REJECTED, S.APPROVED, S.DRAFT, S.PAID)
FRESH_DAYS = 3  # orders settled this recently keep their own timeline (mostly drafts)
FORCED_WINDOW_DAYS = 60


def _forced_states(run: DemoRun) -> dict[int, str]:
    """The newest settled warranty orders (settled within FORCED_WINDOW_DAYS, but not in
    the last FRESH_DAYS) each get a state of FORCED_ORDER, so every state is there."""
    recent = (
        _orders_to_claim()
        # The history's orders have no settlement time: settled when delivered.
        .annotate(done=Coalesce("settled_at", "delivered_at"))
        .filter(
            done__gte=run.now - dt.timedelta(days=FORCED_WINDOW_DAYS),
            done__lt=run.now - dt.timedelta(days=FRESH_DAYS),
        )
        .order_by("-done", "-id")
        .values_list("pk", flat=True)[: len(FORCED_ORDER)]
    )
    return dict(zip(recent, FORCED_ORDER, strict=False))


def _orders_to_claim():
    return (
        WorkOrder.objects.filter(
            kind=WorkOrder.Kind.WARRANTY,
            status=WorkOrder.Status.SETTLED,
            source=WorkOrder.Source.SYSTEM,
            warranty_amount__gt=0,
            warranty_claims__isnull=True,
        )
        .select_related("vehicle")
        .order_by("id")
    )


def _write(claims, tags, changes) -> None:
    WarrantyClaim.objects.bulk_create(claims, batch_size=BATCH)
    for tag in tags:
        tag.claim_id = tag.claim.pk
    ClaimLine.objects.bulk_create(tags, batch_size=BATCH * 2)
    for change in changes:
        change.claim_id = change.claim.pk
    ClaimStatusChange.objects.bulk_create(changes, batch_size=BATCH * 2)


def seed_claims(run: DemoRun, builder: ClaimBuilder) -> int:
    """Every settled warranty order without a claim gets one, in batches of orders in id
    order (a vehicle's visits were written in date order: its claims follow each other)."""
    made, last_id = 0, 0
    orders = _orders_to_claim()
    forced = _forced_states(run)
    while batch := list(orders.filter(id__gt=last_id)[:BATCH]):
        last_id = batch[-1].pk
        lines = defaultdict(list)
        warranty = WorkOrderLine.objects.filter(work_order__in=batch, payer=Payer.WARRANTY)
        for line in warranty.exclude(status=LineStatus.DECLINED).order_by("id"):
            lines[line.work_order_id].append(line)
        claims, tags, changes = [], [], []
        for order in batch:
            if not lines[order.pk]:
                continue
            electric = order.vehicle.model_name in ELECTRIC
            claim, claim_tags, claim_changes = builder.claim(
                order, lines[order.pk], electric, forced.get(order.pk)
            )
            claims.append(claim)
            tags += claim_tags
            changes += claim_changes
        with transaction.atomic():
            _write(claims, tags, changes)
        made += len(claims)
        run.log(f"  三包索赔单 {made} 张")
    return made


def _sequences(last_by_key: dict[str, int]) -> None:
    """The month counters the services continue from (the demo numbered its own claims
    and batches): each at least the demo's last serial."""
    existing = dict(NumberSequence.objects.filter(key__in=last_by_key).values_list("key", "last"))
    rows = [
        NumberSequence(key=key, last=max(last, existing.get(key, 0)))
        for key, last in last_by_key.items()
    ]
    NumberSequence.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["key"], update_fields=["last"]
    )


def seed_paperwork(run: DemoRun, builder: ClaimBuilder) -> tuple[int, int]:
    """The paper documents of every past month in a batch sent early the next month, and
    the invoice of every past month's statement but the last (its reminder shows)."""
    rng, this_month = builder.rng, run.today.replace(day=1)
    signed = WarrantyClaim.objects.filter(
        documents_signed_at__isnull=False,
        batch__isnull=True,
        submitted_at__lt=timezone.make_aware(dt.datetime.combine(this_month, dt.time())),
    ).values_list("pk", "submitted_at")
    by_month = defaultdict(list)
    for pk, submitted in signed:
        by_month[timezone.localtime(submitted).date().replace(day=1)].append(pk)
    batches = {}
    with transaction.atomic():
        for month, ids in sorted(by_month.items()):
            following = (month + dt.timedelta(days=32)).replace(day=1)
            sent = builder.moment(following + dt.timedelta(days=rng.randint(1, 5)))
            created = sent - dt.timedelta(hours=2)
            batch = DocumentBatch.objects.create(
                number=f"{services.BATCH_PREFIX}{month:%Y%m}01",
                month=month,
                created_by=builder.clerk,
                created_at=created,
                sent_at=sent if sent <= run.now else None,
                sent_by=builder.clerk if sent <= run.now else None,
                carrier_reference=f"SF{rng.randint(10**11, 10**12 - 1)}" if sent <= run.now else "",
            )
            WarrantyClaim.objects.filter(pk__in=ids).update(batch=batch)
            batches[f"{services.BATCH_PREFIX}{month:%Y%m}"] = 1
        _sequences(batches)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    invoiced = set(MonthlyStatement.objects.values_list("month", flat=True))
    statements = []
    month = (
        WarrantyClaim.objects.filter(decided_at__isnull=False)
        .order_by("decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    month = timezone.localtime(month).date().replace(day=1) if month else this_month
    while month < last_month:
        if month not in invoiced:
            totals = statement_totals(month=month)
            if totals.claims:
                issued = (month + dt.timedelta(days=32)).replace(day=1) + dt.timedelta(
                    days=rng.randint(3, 9)
                )
                statements.append(
                    MonthlyStatement(
                        month=month,
                        claims_count=totals.claims,
                        total_amount=totals.approved,
                        invoice_number=f"{rng.randint(10**7, 10**8 - 1)}",
                        invoice_issued_on=issued,
                        recorded_by=builder.clerk,
                        created_at=builder.moment(issued),
                    )
                )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    MonthlyStatement.objects.bulk_create(statements)
    return len(batches), len(statements)


# --- the warning histories ------------------------------------------------------------------

# (what it shows, electric, repairs: (days ago, days in the workshop or None, what the claim
# says)); within 300 days, so that even a one-year demo has vehicles old enough.
LEMONS = (
    (
        "同一问题修理 4 次",
        False,
        [
            (days, 1, {"system": System.ENGINE, "main_part": "点火线圈", "fault_code": "P0300"})
            for days in (300, 220, 140, 50)
        ],
    ),
    (
        "严重安全性能故障修理 2 次",
        False,
        [
            (
                250,
                3,
                {
                    "system": System.BRAKES,
                    "main_part": "制动主缸",
                    "fault_code": "C1001",
                    "serious_fault": "other",
                    "replacement": Replacement.MAIN_PART,
                },
            ),
            (
                90,
                2,
                {
                    "system": System.BRAKES,
                    "main_part": "助力器",
                    "fault_code": "C1002",
                    "serious_fault": "other",
                    "replacement": Replacement.MAIN_PART,
                },
            ),
        ],
    ),
    (
        "变速器总成更换 1 次",
        False,
        [
            (
                150,
                4,
                {
                    "system": System.GEARBOX,
                    "main_part": "箱体",
                    "fault_code": "P0700",
                    "replacement": Replacement.ASSEMBLY,
                },
            )
        ],
    ),
    (
        "累计修理 27 日",
        False,
        [
            (280, 9, {"system": System.OTHER, "main_part": "中控主机", "fault_code": "U0100"}),
            (190, 6, {"system": System.EMISSION, "main_part": "氧传感器", "fault_code": "P0130"}),
            (100, 12, {"system": System.SUSPENSION, "main_part": "减振器", "fault_code": ""}),
        ],
    ),
    (
        "动力蓄电池同一主要零件更换 2 次",
        True,
        [
            (
                260,
                3,
                {
                    "system": System.TRACTION_BATTERY,
                    "main_part": "电池模组",
                    "fault_code": "P1A00",
                    "replacement": Replacement.MAIN_PART,
                },
            ),
            (
                45,
                4,
                {
                    "system": System.TRACTION_BATTERY,
                    "main_part": "电池模组",
                    "fault_code": "P1A01",
                    "replacement": Replacement.MAIN_PART,
                },
            ),
        ],
    ),
    (
        "在修 6 天,应提供备用车",
        False,
        [(6, None, {"system": System.GEARBOX, "main_part": "齿轮", "fault_code": "P0730"})],
    ),
)


def seed_lemons(run: DemoRun, builder: ClaimBuilder) -> int:
    """The warning histories, each on its own vehicle sold within the return-or-replace
    period: their warranty orders written as the history's (settled, or in the workshop),
    their claims through the services with the claims' times moved to their repair's."""
    if WorkOrder.objects.filter(customer_words__startswith=LEMON_WORDS).exists():
        return 0
    rules = current_settings(WarrantySettings)
    period_start = run.today - dt.timedelta(days=365 * rules.warranty_return_years - 20)
    used: set[int] = set()
    made = 0
    for index, (label, electric, repairs) in enumerate(LEMONS):
        first = max(days for days, _length, _values in repairs) + 10
        candidates = Vehicle.objects.filter(
            sale_date__gte=period_start,
            sale_date__lte=run.today - dt.timedelta(days=first),
            owner__isnull=False,
        ).exclude(pk__in=used)
        if electric:
            candidates = candidates.filter(model_name__in=ELECTRIC)
        else:
            candidates = candidates.exclude(model_name__in=ELECTRIC)
        vehicle = candidates.order_by("id").first()
        if vehicle is None:
            continue
        used.add(vehicle.pk)
        for serial, (days, length, values) in enumerate(repairs):
            order = _lemon_order(run, vehicle, days, length, f"9{index:02d}{serial:02d}", label)
            _lemon_claim(run, builder, order, values, label, length is not None)
            made += 1
    return made


def _lemon_order(run, vehicle, days_ago: int, length, serial: str, label: str) -> WorkOrder:
    """A warranty order opened `days_ago` days ago, `length` days in the workshop (None:
    still there), with a labour line and a part paid by the maker."""
    day = run.today - dt.timedelta(days=days_ago)
    opened = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))
    delivered = None if length is None else opened + dt.timedelta(days=length, hours=-1)
    lines = [
        WorkOrderLine(
            kind=WorkOrderLine.Kind.LABOUR,
            code="LB-0801",
            description="三包维修工时",
            quantity=Decimal(2),
            unit_price=Decimal("200.00"),
            amount=Decimal("400.00"),
            payer=Payer.WARRANTY,
        ),
        WorkOrderLine(
            kind=WorkOrderLine.Kind.PART,
            code="PT-0801",
            description="三包更换零件",
            quantity=Decimal(1),
            unit_price=Decimal("1800.00"),
            amount=Decimal("1800.00"),
            payer=Payer.WARRANTY,
        ),
    ]
    order = WorkOrder.objects.create(
        # 5 serial digits: neither the history's 6 nor the services' 4 can take it.
        number=f"WO{day:%Y%m%d}{serial}",
        vehicle=vehicle,
        customer_id=vehicle.owner_id,
        kind=WorkOrder.Kind.WARRANTY,
        status=WorkOrder.Status.IN_PROGRESS if delivered is None else WorkOrder.Status.SETTLED,
        source=WorkOrder.Source.SYSTEM,
        opened_at=opened,
        delivered_at=delivered,
        settled_at=delivered,
        mileage=max(vehicle.mileage - days_ago * 40, 100),
        customer_words=f"{LEMON_WORDS}:{label}",
        created_at=opened,
        **stored_totals(work_order_totals(lines)),
    )
    for line in lines:
        line.work_order = order
    WorkOrderLine.objects.bulk_create(lines)
    return order


def _lemon_claim(run, builder: ClaimBuilder, order: WorkOrder, values, label, settled: bool):
    clerk = builder.clerk
    claim = services.claim_create(work_order=order, by=clerk)
    filled = {
        "fault_description": f"{label}:{values['main_part']}故障",
        "cause": f"{values['main_part']}质量问题",
        "repair_done": "按厂家技术通报维修",
        "service_order_number": f"FW{order.opened_at:%y%m%d}{order.pk % 1000:03d}",
        "outside_service_km": 0,
        "fault_code": "",
        "serious_fault": "",
        "replacement": Replacement.NONE,
    }
    faults = {line.pk: "质量问题" for line in claim.lines.all()}
    services.claim_update(claim=claim, by=clerk, old_part_faults=faults, **(filled | values))
    WarrantyClaim.objects.filter(pk=claim.pk).update(
        created_at=order.opened_at, updated_at=order.opened_at
    )
    if settled:
        at = order.delivered_at + dt.timedelta(days=2)
        services.claim_transition(claim=claim, name="submit", by=clerk)
        WarrantyClaim.objects.filter(pk=claim.pk).update(submitted_at=at, updated_at=at)
        ClaimStatusChange.objects.filter(claim=claim).update(at=at)


def seed(run: DemoRun) -> None:
    clerk = _clerk()
    if clerk is None:
        return
    builder = ClaimBuilder(run, clerk)
    builder.serials.update(
        dict(
            NumberSequence.objects.filter(key__startswith=services.CLAIM_PREFIX).values_list(
                "key", "last"
            )
        )
    )
    claims = seed_claims(run, builder)
    _sequences(builder.serials)
    batches, invoices = seed_paperwork(run, builder)
    lemons = seed_lemons(run, builder)
    watched = services.warranty_watch_refresh_recent(now=run.now)
    warned = WarrantyWatch.objects.filter(level__gt=0).count()
    run.log(
        f"  三包索赔:{claims} 张索赔单 · {batches} 个寄送批次 · {invoices} 张月结发票"
        f" · 预警演示 {lemons} 张 · {watched} 辆车计算三包预警,{warned} 辆预警"
    )
    run.summary.append(f"{WarrantyClaim.objects.count()} 张三包索赔单")
