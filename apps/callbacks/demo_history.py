"""The demo's calls, answers and problems (DOMAIN.md §5), for the callbacks the demo closed.

The callbacks demo (demo.py) closes each past callback as the clerks would have: done on
its first day, or the next afternoon after a first call nobody answered, or unreachable
after three failed calls on different days. `history` then writes what those calls left:

- the day's queue items (one per customer and day) and the calls (CallAttempt): the
  failed ones, and the one that reached the customer; a customer's callbacks closed by the
  same call share it (one call per customer per day);
- the answers of the current questionnaire of each reached callback (an item that does not
  apply to the visit, the paint when there was no body or paint work, is not asked): most
  customers give 4 or 5 everywhere, one in UNHAPPY_EVERY is unhappy about a few items
  (3 or below, their words written down); some satisfied customers say a few words too;
- a problem (问题客户) for each answer ≤ 3: the recent ones open on 问题处理, older ones
  handled with the quick-handling form (department, person, due date, what was done,
  result) and followed by their second callback (二次回访); some callbacks' problems
  (ESCALATE_EVERY, SERIOUS_ESCALATED) were escalated to a complaint: the complaints
  demo makes those complaints and links them (`Problem.complaint_id`).

Second callbacks are closed the same way and their calls written by the same loop (they
come after, with higher ids). Written with insert_many (multi-row INSERTs), a chunk of
callbacks at a time; drawn from the run's random stream in id order (the generator inserts
in a fixed order): the same seed and moment give the same history.
"""

import datetime as dt
import io
import random

from django.db import connection
from django.utils import timezone

from apps.core.bulk import insert_many
from apps.core.seeding import DemoRun
from apps.workorders.models import WorkOrder

from .models import CallAnswer, CallAttempt, Callback, CallItem, CallOutcome, Problem
from .questionnaires import BODY_PAINT, CURRENT, SCORE, WORDS, YES_NO
from .satisfaction import satisfaction_rebuild
from .services import PROBLEM_SCORE, SERIOUS_SCORE

CHUNK = 5000  # callbacks per round of inserts
UNHAPPY_EVERY = 7  # one reached customer in 7 is unhappy about something (≈94 % of scores 4-5)
WORDS_EVERY = 6  # one satisfied customer in 6 says a few words on the overall item
ESCALATE_EVERY = 25  # one problem callback in 25 becomes a complaint …
SERIOUS_ESCALATED = 0.5  # … and half of those with a serious problem (a score of 1)
OPEN_PROBLEM_DAYS = 7  # problems raised in the last week are still open on 问题处理
HANDLING_DAYS = (1, 1, 2, 2, 3, 5, 8)  # days from the call to the quick-handling form
OVERDUE_DAYS = 2  # as demo.py: callbacks due in the last days stay open
DONE_AT = dt.time(10, 0)  # when the demo's clerks close a second callback (as demo.py)

Kind = Callback.Kind
S = Callback.Status

UNHAPPY_WORDS = {
    "speed_reception": "到店后等了二十多分钟才有人接待",
    "speed_work": "说好下午四点交车,拖到六点多才好",
    "speed_checkout": "结账排队太久了",
    "price": "工时费比外面贵不少",
    "advisor": "顾问没提前说清楚要加的项目",
    "quality_repair": "修完没几天异响又出现了",
    "quality_paint": "补的漆有点色差",
    "quality_wash": "车里没吸干净,脚垫还是脏的",
    "visit": "预约了到店还是要排队",
    "overall": "这次体验一般,希望改进",
    "delivery": "交车时间一拖再拖",
    "explanation": "车机功能没讲清楚",
    "salesperson": "交车后销售顾问就不回消息了",
    "paperwork": "上牌手续办了很久",
    "handling": "处理得太慢",
}
HAPPY_WORDS = (
    "师傅很专业,服务很好",
    "速度挺快的,满意",
    "顾问很耐心,讲得很清楚",
    "没什么意见,挺好的",
    "车洗得很干净,谢谢",
    "价格透明,下次还来",
)
# The quick-handling form by responsible department: (person, what was done, result).
HANDLING = {
    "front_desk": ("周服务", "前台主管致电客户致歉,说明接待流程的改进", "客户表示理解"),
    "workshop": ("张国栋", "安排客户回厂复检,免费处理", "复检正常,客户满意"),
    "cashier": ("李收银", "高峰时段增开收银窗口,向客户致歉", "客户接受道歉"),
    "parts": ("陈配件", "向客户解释配件与工时价格构成,赠送保养工时券", "客户接受"),
    "body_paint": ("黄志强", "约客户回厂重新抛光补漆", "客户验收满意"),
    "wash": ("周服务", "免费为客户重新精洗一次", "客户满意"),
    "sales": ("销售经理", "销售经理致电致歉,顾问上门讲解车辆功能", "客户满意"),
    "overall": ("吕主管", "客服主管致电沟通,记录客户意见", "客户表示理解"),
}


def history(run: DemoRun, *, clerk, after: int = 0) -> dict[str, int]:
    """Write the calls, answers and problems of every closed callback after id `after`
    (and of the second callbacks the problems' handling schedules, inserted after them);
    return the counts."""
    rng = run.rng("callbacks-history")
    counts = dict.fromkeys(("items", "calls", "answers", "problems", "seconds"), 0)
    items = {
        (customer, day): pk
        for customer, day, pk in CallItem.objects.values_list("customer_id", "day", "pk")
    }
    prebuilt = set(items)
    pending = Callback.objects.filter(status__in=(S.DONE, S.UNREACHABLE)).order_by("pk")
    last = after
    while True:
        chunk = list(
            pending.filter(pk__gt=last).values(
                "pk",
                "kind",
                "status",
                "customer_id",
                "vehicle_id",
                "work_order_id",
                "sales_file_id",
                "work_order__kind",
                "opens_on",
                "due_on",
                "closed_at",
                "attempts",
            )[:CHUNK]
        )
        if not chunk:
            return counts
        last = chunk[-1]["pk"]
        _chunk(run, rng, chunk, items, prebuilt, clerk, counts)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _calls(callback: dict, rng: random.Random) -> list[tuple[dt.datetime, str]]:
    """(when, outcome) of the callback's calls, the last one closing it."""
    closed_at = callback["closed_at"]
    if callback["status"] == S.UNREACHABLE:
        due = callback["due_on"]
        failed = [CallOutcome.NO_ANSWER, CallOutcome.BUSY]
        calls = [
            (_at(due - dt.timedelta(days=2), 10, rng.randint(5, 55)), rng.choice(failed)),
            (_at(due - dt.timedelta(days=1), 15, rng.randint(5, 55)), rng.choice(failed)),
            (closed_at, CallOutcome.NO_ANSWER),
        ]
        return calls
    calls = []
    if callback["attempts"]:  # not answered on its first day (demo.LATE_EVERY)
        first = timezone.localdate(closed_at) - dt.timedelta(days=1)
        calls.append((_at(first, 10, 0), rng.choice([CallOutcome.NO_ANSWER, CallOutcome.BUSY])))
    calls.append((closed_at, CallOutcome.REACHED))
    return calls


def _answers(callback: dict, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """The reached callback's answers and the problems they raise (dicts for insert_many)."""
    questionnaire = CURRENT[callback["kind"]]
    conditions = {BODY_PAINT} if callback["work_order__kind"] == WorkOrder.Kind.ACCIDENT else set()
    questions = questionnaire.questions_for(conditions)
    scored = [q.code for q in questions if q.kind == SCORE]
    # A second callback follows a problem that was dealt with: the customer is satisfied.
    unhappy = callback["kind"] != Kind.SECOND and rng.randrange(UNHAPPY_EVERY) == 0
    low = set(rng.sample(scored, min(len(scored), rng.randint(1, 3)))) if unhappy else set()
    answers, problems, words = [], [], ""
    for question in questions:
        row = {
            "callback_id": callback["pk"],
            "version": questionnaire.version,
            "code": question.code,
            "department": question.department,
        }
        if question.kind == SCORE:
            if question.code in low:
                row["score"] = rng.choices((3, 2, 1), weights=(75, 20, 5))[0]
                words = words or UNHAPPY_WORDS.get(question.code, UNHAPPY_WORDS["overall"])
                problems.append((question, row["score"]))
            elif unhappy and question.code == "overall":
                row["score"] = rng.choice((3, 4))  # unhappy about a part: overall 3 or 4
                if row["score"] <= PROBLEM_SCORE:
                    problems.append((question, row["score"]))
            else:
                row["score"] = 5 if rng.random() < 0.75 else 4
        elif question.kind == YES_NO:
            row["yes"] = unhappy is False or rng.random() < 0.7
        elif question.kind == WORDS:
            if not unhappy and rng.randrange(WORDS_EVERY):
                continue
            if not unhappy:
                words = rng.choice(HAPPY_WORDS)
            row["text"] = words or UNHAPPY_WORDS["overall"]
        answers.append(row)
    if unhappy and not words:  # (only the overall item was low)
        words = UNHAPPY_WORDS["overall"]
    raised = [
        {
            "question": question.code,
            "score": score,
            "what": f"{question.text} {score} 分;客户原话:{words}",
            "department": question.department,
            "severity": Problem.Severity.SERIOUS
            if score <= SERIOUS_SCORE
            else Problem.Severity.NORMAL,
        }
        for question, score in problems
    ]
    return answers, raised


def _chunk(run, rng, chunk, items, prebuilt, clerk, counts) -> None:
    today = run.today
    new_items: dict[tuple[int, dt.date], dict] = {}
    reasons: dict[tuple[tuple[int, dt.date], int], None] = {}  # (item key, callback): ordered
    calls: dict[tuple[int, dt.datetime, str], list[int]] = {}
    answers, problems, seconds = [], [], []
    for callback in chunk:
        made = _calls(callback, rng)
        for at, outcome in made:
            key = (callback["customer_id"], timezone.localdate(at))
            if key not in prebuilt:  # (the queue job's items list their callbacks)
                reasons[(key, callback["pk"])] = None
            if key not in items:
                item = new_items.get(key)
                if item is None:
                    item = new_items[key] = {
                        "customer_id": key[0],
                        "day": key[1],
                        "status": CallItem.Status.DONE,
                        "due_on": callback["due_on"],
                        "done_at": at,
                        "outcome": outcome,
                        "created_at": at,
                        "updated_at": at,
                    }
                item["due_on"] = min(item["due_on"], callback["due_on"])
                if at >= item["done_at"]:
                    item["done_at"], item["outcome"] = at, outcome
            calls.setdefault((callback["customer_id"], at, outcome), []).append(callback["pk"])
        if callback["status"] != S.DONE:
            continue
        given, raised = _answers(callback, rng)
        answers += given
        if not raised:
            continue
        closed_at = callback["closed_at"]
        age = (today - timezone.localdate(closed_at)).days
        serious = any(p["severity"] == Problem.Severity.SERIOUS for p in raised)
        escalate = age > OPEN_PROBLEM_DAYS and (
            rng.randrange(ESCALATE_EVERY) == 0 or (serious and rng.random() < SERIOUS_ESCALATED)
        )
        delay = min(rng.choice(HANDLING_DAYS), age - 1)
        handled_on = timezone.localdate(closed_at) + dt.timedelta(days=delay)
        for problem in raised:
            problem |= {
                "callback_id": callback["pk"],
                "customer_id": callback["customer_id"],
                "created_at": closed_at,
                "updated_at": closed_at,
            }
            if escalate:  # the complaints demo receives it and links it (complaint_id)
                at = closed_at + dt.timedelta(minutes=30)
                problem |= {
                    "status": Problem.Status.ESCALATED,
                    "handled_by_id": clerk.pk,
                    "handled_at": at,
                    "updated_at": at,
                }
            elif age > OPEN_PROBLEM_DAYS:  # the quick-handling form, days later
                person, action, result = HANDLING[problem["department"]]
                at = _at(handled_on, rng.randint(14, 17), rng.randint(0, 59))
                problem |= {
                    "status": Problem.Status.CLOSED,
                    "responsible": person,
                    "due_on": timezone.localdate(closed_at) + dt.timedelta(days=3),
                    "action": action,
                    "result": result,
                    "handled_by_id": clerk.pk,
                    "handled_at": at,
                    "updated_at": at,
                }
        problems += raised
        if not escalate and age > OPEN_PROBLEM_DAYS:
            seconds.append(_second(callback, handled_on, today, clerk))
    _insert_calls(new_items, reasons, calls, items, clerk, counts)
    _copy_answers(answers)
    insert_many(Problem, problems)
    with_problems = sorted({p["callback_id"] for p in problems})
    for start in range(0, len(with_problems), 500):
        Callback.objects.filter(pk__in=with_problems[start : start + 500]).update(is_problem=True)
    insert_many(Callback, seconds)
    counts["answers"] += len(answers)
    counts["problems"] += len(problems)
    counts["seconds"] += len(seconds)
    satisfaction_rebuild()  # the answers went in without the service: sum them once


def _second(callback: dict, resolved_on: dt.date, today: dt.date, clerk) -> dict:
    """The second callback after the callback's problems were handled on `resolved_on`
    (services.callback_schedule_second's window), closed when its window has passed."""
    opens_on = resolved_on + dt.timedelta(days=1)
    due_on = resolved_on + dt.timedelta(days=3)
    created = _at(resolved_on, 17, 30)
    row = {
        "kind": Kind.SECOND,
        "customer_id": callback["customer_id"],
        "vehicle_id": callback["vehicle_id"],
        "work_order_id": callback["work_order_id"],
        "sales_file_id": callback["sales_file_id"],
        "parent_id": callback["pk"],
        "event_on": resolved_on,
        "opens_on": opens_on,
        "due_on": due_on,
        "created_at": created,
        "updated_at": created,
    }
    if due_on < today - dt.timedelta(days=OVERDUE_DAYS):
        at = _at(opens_on, DONE_AT.hour, DONE_AT.minute)
        row |= {
            "status": S.DONE,
            "closed_at": at,
            "last_attempt_at": at,
            "closed_by_id": clerk.pk,
            "outcome": CallOutcome.REACHED,
            "updated_at": at,
        }
    return row


def _insert_calls(new_items, reasons, calls, items, clerk, counts) -> None:
    keys = list(new_items)
    ids = insert_many(CallItem, [new_items[key] for key in keys], returning_ids=True)
    items.update(zip(keys, ids, strict=True))
    reason = CallItem.callbacks.through
    insert_many(
        reason,
        [{"callitem_id": items[key], "callback_id": pk} for key, pk in reasons],
    )
    call_keys = list(calls)
    call_ids = insert_many(
        CallAttempt,
        [
            {
                "item_id": items[(customer, timezone.localdate(at))],
                "customer_id": customer,
                "by_id": clerk.pk,
                "at": at,
                "outcome": outcome,
            }
            for customer, at, outcome in call_keys
        ],
        returning_ids=True,
    )
    about = CallAttempt.callbacks.through
    insert_many(
        about,
        [
            {"callattempt_id": call_id, "callback_id": pk}
            for call_id, key in zip(call_ids, call_keys, strict=True)
            for pk in dict.fromkeys(calls[key])
        ],
    )
    counts["items"] += len(keys)
    counts["calls"] += len(call_keys)


ANSWER_COLUMNS = ("callback_id", "version", "code", "department", "score", "yes", "text")


def _copy_answers(rows: list[dict]) -> None:
    """The answers, the demo's most numerous rows: COPY on PostgreSQL (about twice as fast
    as multi-row INSERTs), insert_many elsewhere."""
    if connection.vendor != "postgresql" or not rows:
        insert_many(CallAnswer, rows)
        return

    null, flags = r"\N", {True: "t", False: "f", None: r"\N"}

    def line(row: dict) -> str:
        score, text = row.get("score"), row.get("text", "")
        if text:
            text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        return (
            f"{row['callback_id']}\t{row['version']}\t{row['code']}\t{row['department']}\t"
            f"{null if score is None else score}\t{flags[row.get('yes')]}\t{text}\n"
        )

    data = "".join(map(line, rows))
    table = connection.ops.quote_name(CallAnswer._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(CallAnswer._meta.get_field(c.removesuffix("_id")).column)
        for c in ANSWER_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(data))
