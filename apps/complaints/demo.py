"""The demo's complaints (DOMAIN.md §6), run by `seed_demo` in `finish`, after the callbacks
demo (the problems it escalated become complaints here).

- From callbacks: each callback whose problems the callbacks demo escalated (转投诉) is
  one complaint on that callback (channel 回访), received when the problem was escalated;
  the problems name it (`Problem.complaint_id`).
- From the other channels: the front desk, the phone, the car maker's 400 hotline (with the
  maker's deadline) and online reviews, about a visit of the month before, on a few days
  of each month, and most days of the last two weeks.

Each complaint went through the closed loop as far as its age allows: older than
SETTLED_DAYS, it is finished (most closed after a satisfied second callback, some closed by
the manager with a written reason, a few judged not valid); the recent ones sit in every
state, a few of them past their deadlines (flagged to the manager). Every move is a
ComplaintStep (who, when, what), as complaint_transition writes it. A complaint from a
callback that was resolved gets its second callback (二次回访, the source callback's
child): done with its calls and answers when the complaint closed, open (in today's queue)
when it waits for it. Numbers, deadlines and steps as services.py makes them; written with
insert_many. Deterministic (the run's random stream, rows in a fixed order); nothing after
`run.now`.
"""

import bisect
import datetime as dt
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.callbacks import demo_history
from apps.callbacks.models import Callback, CallOutcome, Problem
from apps.callbacks.services import call_queue_build
from apps.core.bulk import insert_many
from apps.core.seeding import DemoRun
from apps.customers.models import Customer
from apps.workorders.models import NumberSequence, WorkOrder

from .models import Category, Channel, Complaint, ComplaintStep, Department, Severity
from .services import NUMBER_PREFIX, complaint_deadlines
from .transitions import TRANSITIONS

S = Complaint.Status
SETTLED_DAYS = 15  # complaints received longer ago are finished
OTHER_EVERY_DAYS = 8  # a complaint through another channel about one day in 8 …
RECENT_DAYS = 14  # … and most days of the last two weeks
RECENT_SHARE = 0.7
SERIOUS_SHARE = 0.1
# The recent ones' states, in turn (newest first): every state of the loop is on show.
RECENT_STATES = (
    S.INVESTIGATING,
    S.PROPOSED,
    S.RESOLVED,
    S.APPROVED,
    S.CLOSED,
    S.INVALID,
    S.RECEIVED,
    S.INVESTIGATING,
    S.RESOLVED,
    S.CLOSED,
)
OTHER_CHANNELS = (Channel.FRONT_DESK, Channel.PHONE, Channel.MAKER_HOTLINE, Channel.ONLINE)
CHANNEL_WEIGHTS = (30, 30, 20, 20)
# A problem's department (callbacks.Department) → (category, responsible department).
FROM_PROBLEM = {
    "front_desk": (Category.ATTITUDE, Department.RECEPTION),
    "workshop": (Category.REPAIR_QUALITY, Department.WORKSHOP),
    "cashier": (Category.WAITING, Department.RECEPTION),
    "parts": (Category.PRICE, Department.PARTS),
    "body_paint": (Category.REPAIR_QUALITY, Department.WORKSHOP),
    "wash": (Category.OTHER, Department.WORKSHOP),
    "sales": (Category.ATTITUDE, Department.SALES),
    "overall": (Category.OTHER, Department.CUSTOMER_SERVICE),
}
# By category: (what the customer says, cause, responsible department, person, solution,
# what was done).
STORY = {
    Category.REPAIR_QUALITY: (
        "修完后故障又出现,要求免费返修",
        "维修时未彻底排查故障根源",
        Department.WORKSHOP,
        "张国栋",
        "安排技术骨干免费返修,延长该项目质保",
        "已免费返修并路试确认",
    ),
    Category.ATTITUDE: (
        "服务顾问态度冷淡,解释不耐烦",
        "顾问高峰时段接待量过大,沟通不到位",
        Department.RECEPTION,
        "周服务",
        "服务经理当面致歉,赠送一次免费保养工时",
        "已当面致歉并赠送工时券",
    ),
    Category.PRICE: (
        "结算金额比报价高,对收费有异议",
        "增项未经客户书面确认",
        Department.RECEPTION,
        "周服务",
        "退还未确认增项的工时费,重申增项确认流程",
        "已退还差价",
    ),
    Category.WAITING: (
        "预约后到店仍等待两个多小时",
        "预约排班未预留足够工位",
        Department.WORKSHOP,
        "郑主任",
        "致歉并赠送下次保养优先服务,调整预约排班",
        "已致歉,客户接受",
    ),
    Category.PARTS: (
        "配件等了两周还没到货",
        "供应商缺货未及时通知客户",
        Department.PARTS,
        "陈配件",
        "协调调货并提供代步车",
        "配件已到货安装,客户确认",
    ),
    Category.OTHER: (
        "车内物品丢失,要求查明",
        "交接时未登记车内物品",
        Department.CUSTOMER_SERVICE,
        "吕主管",
        "调取监控说明情况,完善车内物品登记",
        "已向客户说明并致歉",
    ),
}
MANAGER_CLOSE_REASON = "客户已接受处理结果,多次联系不上进行二次回访,经理确认关闭"
INVALID_REASON = "经核实为车辆正常使用磨损,不属于维修质量问题,已向客户解释"


def finish(run: DemoRun) -> None:
    if Complaint.objects.exists():
        return
    started = time.perf_counter()
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=("callback", "complaint", "manager")
        )
    }
    if len(users) < 3:
        return
    rng = run.rng("complaints")
    with transaction.atomic():
        complaints = _from_callbacks(run) + _from_other_channels(run, rng)
        complaints.sort(key=lambda c: (c["received_at"], c["customer_id"]))
        seconds = _through_the_loop(run, rng, complaints, users)
        last = Callback.objects.aggregate(last=Max("pk"))["last"] or 0
        made = _insert(complaints, seconds)
        demo_history.history(run, clerk=users["callback"], after=last)  # the seconds' calls
        call_queue_build(on=run.today)  # … and the open ones join today's queue
    states = Counter(c["status"] for c in complaints)
    run.log(
        f"  投诉:{len(complaints)} 件(来自回访 {made['from_callbacks']} 件,"
        f"未结案 {sum(n for s, n in states.items() if s not in Complaint.FINISHED)} 件)"
        f"({time.perf_counter() - started:.1f} 秒)"
    )
    run.summary.append(f"{len(complaints)} 件投诉")


def _from_callbacks(run: DemoRun) -> list[dict]:
    """One complaint per callback whose problems were escalated and not yet linked."""
    rows = (
        Problem.objects.filter(status=Problem.Status.ESCALATED, complaint_id__isnull=True)
        .order_by("callback_id", "pk")
        .values_list(
            "pk",
            "callback_id",
            "customer_id",
            "callback__vehicle_id",
            "callback__vehicle__owner_id",
            "callback__work_order_id",
            "department",
            "severity",
            "what",
            "handled_at",
        )
    )
    complaints: dict[int, dict] = {}
    for pk, callback, customer, vehicle, owner, order, department, severity, what, at in rows:
        complaint = complaints.get(callback)
        if complaint is None:
            category, _responsible = FROM_PROBLEM[department]
            complaint = complaints[callback] = {
                "customer_id": customer,
                "vehicle_id": vehicle if owner == customer else None,
                "work_order_id": order,
                "source_callback_id": callback,
                "channel": Channel.CALLBACK,
                "category": category,
                "severity": Severity.GENERAL,
                "received_at": at,
                "description": "",
                "demand": "尽快处理并给出说法",
                "problems": [],
                "problem_department": department,
            }
        complaint["problems"].append(pk)
        complaint["description"] = "\n".join(filter(None, (complaint["description"], what)))
        if severity == Problem.Severity.SERIOUS:
            complaint["severity"] = Severity.SERIOUS
    return list(complaints.values())


def _from_other_channels(run: DemoRun, rng) -> list[dict]:
    """Complaints through the other channels, each about a visit of the month before."""
    visits = list(
        WorkOrder.objects.filter(delivered_at__isnull=False)
        .order_by("delivered_at", "pk")
        .values_list("delivered_at", "pk", "customer_id", "vehicle_id", "vehicle__owner_id")
    )
    delivered = [timezone.localdate(row[0]) for row in visits]
    complaints = []
    day = run.start
    while day <= run.today:
        recent = (run.today - day).days < RECENT_DAYS
        if rng.random() < (RECENT_SHARE if recent else 1 / OTHER_EVERY_DAYS):
            first = bisect.bisect_left(delivered, day - dt.timedelta(days=30))
            last = bisect.bisect_left(delivered, day)  # delivered before the day
            if first < last:
                _at, order, customer, vehicle, owner = visits[rng.randrange(first, last)]
                channel = rng.choices(OTHER_CHANNELS, weights=CHANNEL_WEIGHTS)[0]
                category = rng.choice(list(STORY))
                received_at = run.moment(rng, day, hours=(9, 17))
                complaints.append(
                    {
                        "customer_id": customer,
                        "vehicle_id": vehicle if owner == customer else None,
                        "work_order_id": order,
                        "source_callback_id": None,
                        "channel": channel,
                        "category": category,
                        "severity": Severity.SERIOUS
                        if rng.random() < SERIOUS_SHARE
                        else Severity.GENERAL,
                        "received_at": received_at,
                        "description": STORY[category][0],
                        "demand": rng.choice(("要求给出解释", "要求赔偿", "要求免费返修", "")),
                        "maker_deadline": received_at + dt.timedelta(days=2)
                        if channel == Channel.MAKER_HOTLINE
                        else None,
                        "problems": [],
                    }
                )
        day += dt.timedelta(days=1)
    return complaints


def _state(run: DemoRun, rng, complaint: dict, recent_index: int) -> tuple[str, bool]:
    """(the state it reached, closed by the manager)."""
    age = (run.today - timezone.localdate(complaint["received_at"])).days
    if age == 0:
        return S.RECEIVED, False
    if age < SETTLED_DAYS:
        return RECENT_STATES[recent_index % len(RECENT_STATES)], False
    draw = rng.random()
    if draw < 0.08:
        return S.INVALID, False
    return S.CLOSED, draw < 0.2


def _through_the_loop(run, rng, complaints, users) -> list[dict]:
    """Each complaint's fields and steps (kept on the dict as "steps") as far as its state,
    and the second callbacks of the resolved ones from callbacks (returned)."""
    names = dict(
        Customer.objects.filter(pk__in={c["customer_id"] for c in complaints}).values_list(
            "pk", "name"
        )
    )
    callbacks = {
        row["pk"]: row
        for row in Callback.objects.filter(
            pk__in={c["source_callback_id"] for c in complaints if c["source_callback_id"]}
        ).values("pk", "customer_id", "vehicle_id", "work_order_id", "sales_file_id")
    }
    seconds, recent = [], 0
    for complaint in reversed(complaints):  # newest first: the recent states in turn
        received_at = complaint["received_at"]
        received_on = timezone.localdate(received_at)
        status, by_manager = _state(run, rng, complaint, recent)
        if 0 < (run.today - received_on).days < SETTLED_DAYS:
            recent += 1
        complaint["acknowledge_due_on"], complaint["resolve_due_on"] = complaint_deadlines(
            received_on=received_on, severity=complaint["severity"]
        )
        complaint["received_by_id"] = (
            users["callback"].pk if complaint["source_callback_id"] else users["complaint"].pk
        )
        complaint["complainant"] = names[complaint["customer_id"]][:60]
        complaint["status"] = status
        moves = _moves(status, by_manager)
        # The moves a few hours or a day apart, squeezed into the time since it arrived.
        gaps = [dt.timedelta(hours=2), *[dt.timedelta(hours=20)] * 5][: len(moves)]
        span = run.now - received_at
        total = sum(gaps, dt.timedelta())
        scale = min(1.0, 0.9 * span / total) if total else 1.0
        at, steps = received_at, [("receive", "受理投诉", "", S.RECEIVED, received_at, "")]
        story = STORY[complaint["category"]]
        for name, gap in zip(moves, gaps, strict=True):
            at = at + gap * scale
            steps.append(_move(complaint, name, at, story, names, users, by_manager))
        if complaint["source_callback_id"] and status in (S.RESOLVED, S.CLOSED) and not by_manager:
            seconds.append(_second(run, complaint, callbacks, users, steps))
        complaint["steps"] = steps
    return seconds


def _moves(status: str, by_manager: bool) -> list[str]:
    if status == S.INVALID:
        return ["judge_invalid"]
    if by_manager:
        return ["judge_valid", "propose", "manager_close"]
    path = ["judge_valid", "propose", "approve", "resolve", "second_satisfied"]
    stops = {
        S.RECEIVED: 0,
        S.INVESTIGATING: 1,
        S.PROPOSED: 2,
        S.APPROVED: 3,
        S.RESOLVED: 4,
        S.CLOSED: 5,
    }
    return path[: stops[status]]


def _move(complaint, name, at, story, names, users, by_manager) -> tuple:
    """Apply move `name` at `at` to the complaint's fields; its step (as a tuple)."""
    transition = TRANSITIONS[name]
    worker, manager = users["complaint"], users["manager"]
    by, note = worker, ""
    _says, cause, department, person, solution, done = story
    if name in ("judge_valid", "judge_invalid"):
        complaint |= {"acknowledged_at": at, "owner_id": worker.pk}
        note = "已与客户电话沟通,确认投诉情况" if name == "judge_valid" else INVALID_REASON
        if name == "judge_invalid":
            complaint |= {"invalid_reason": INVALID_REASON, "closed_at": at}
    elif name == "propose":
        if complaint["source_callback_id"]:  # the problem's department answers for it
            department = FROM_PROBLEM.get(complaint.get("problem_department"), (0, department))[1]
        complaint |= {
            "cause": cause,
            "department": department,
            "responsible_person": person,
            "solution": solution,
        }
        note = f"原因:{cause};责任:{Department(department).label} {person};方案:{solution}"
    elif name == "approve":
        by, note = manager, "同意"
        complaint |= {"approved_at": at, "approved_by_id": manager.pk}
    elif name == "resolve":
        signature = names[complaint["customer_id"]][:60]
        complaint |= {"action_taken": done, "customer_signature": signature, "resolved_at": at}
        note = f"处理结果:{done};客户签字:{signature}"
    elif name == "second_satisfied":
        complaint |= {"evaluation": "客户对处理结果满意", "closed_at": at}
        note = "客户满意;评价:客户对处理结果满意"
    elif name == "manager_close":
        by, note = manager, MANAGER_CLOSE_REASON
        complaint |= {"closed_at": at, "closed_by_manager": True, "evaluation": note}
    source = S.RECEIVED if name.startswith("judge") else TRANSITIONS_FROM[name]
    return (name, transition.label, source, transition.target, at, note, by.pk)


# The state each move of the demo's paths starts from.
TRANSITIONS_FROM = {
    "propose": S.INVESTIGATING,
    "approve": S.PROPOSED,
    "resolve": S.APPROVED,
    "second_satisfied": S.RESOLVED,
    "manager_close": S.PROPOSED,
}


def _second(run, complaint, callbacks, users, steps) -> dict:
    """The second callback after the complaint's resolution (the source callback's child,
    services.callback_schedule_second's window): done just before the complaint closed, or
    open while the complaint waits for it."""
    parent = callbacks[complaint["source_callback_id"]]
    resolved_at = complaint["resolved_at"]
    resolved_on = timezone.localdate(resolved_at)
    row = {
        "kind": Callback.Kind.SECOND,
        "customer_id": parent["customer_id"],
        "vehicle_id": parent["vehicle_id"],
        "work_order_id": parent["work_order_id"],
        "sales_file_id": parent["sales_file_id"],
        "parent_id": parent["pk"],
        "event_on": resolved_on,
        "opens_on": resolved_on + dt.timedelta(days=1),
        "due_on": resolved_on + dt.timedelta(days=3),
        "created_at": resolved_at,
        "updated_at": resolved_at,
    }
    closed_at = complaint.get("closed_at")
    if closed_at is not None:
        at = max(resolved_at, closed_at - dt.timedelta(minutes=30))
        row |= {
            "opens_on": min(row["opens_on"], timezone.localdate(at)),
            "status": Callback.Status.DONE,
            "closed_at": at,
            "last_attempt_at": at,
            "closed_by_id": users["callback"].pk,
            "outcome": CallOutcome.REACHED,
            "updated_at": at,
        }
    return row


def _insert(complaints: list[dict], seconds: list[dict]) -> dict[str, int]:
    """The second callbacks, the complaints (numbered by month in order received), their
    steps, the month counters, and the problems' links."""
    second_ids = insert_many(Callback, seconds, returning_ids=True)
    by_parent = {row["parent_id"]: pk for row, pk in zip(seconds, second_ids, strict=True)}
    serials: Counter = Counter()
    rows = []
    for complaint in complaints:
        month = f"{NUMBER_PREFIX}{timezone.localdate(complaint['received_at']):%Y%m}"
        serials[month] += 1
        row = {
            key: value
            for key, value in complaint.items()
            if key not in ("steps", "problems", "problem_department")
        }
        row["number"] = f"{month}{serials[month]:04d}"
        row["second_callback_id"] = by_parent.get(complaint["source_callback_id"])
        row["created_at"] = complaint["received_at"]
        row["updated_at"] = complaint["steps"][-1][4]
        rows.append(row)
    ids = insert_many(Complaint, rows, returning_ids=True)
    NumberSequence.objects.bulk_create(
        [NumberSequence(key=key, last=last) for key, last in sorted(serials.items())]
    )
    insert_many(
        ComplaintStep,
        [
            {
                "complaint_id": pk,
                "transition": name,
                "label": label,
                "from_status": source,
                "to_status": target,
                "at": at,
                "note": note or _receive_note(complaint),
                "by_id": by[0] if by else complaint["received_by_id"],
            }
            for pk, complaint in zip(ids, complaints, strict=True)
            for name, label, source, target, at, note, *by in complaint["steps"]
        ],
    )
    linked = 0
    for pk, complaint in zip(ids, complaints, strict=True):
        if complaint["problems"]:
            Problem.objects.filter(pk__in=complaint["problems"]).update(complaint_id=pk)
            linked += 1
    return {"from_callbacks": linked}


def _receive_note(complaint: dict) -> str:
    return (
        f"{Channel(complaint['channel']).label} · {Category(complaint['category']).label} · "
        f"{Severity(complaint['severity']).label}:{complaint['description'][:200]}"
    )
