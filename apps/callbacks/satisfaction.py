"""Satisfaction (满意度, DOMAIN.md §5): a department's satisfaction over a period is the
share of its scored answers that are 4 or 5, as a percentage with one decimal.

An answer belongs to the department its question had when it was asked (CallAnswer keeps
it), and to the day of its call: the local (Asia/Shanghai) date the callback was reached
(`Callback.closed_at`). A question that did not apply to the visit was not asked, so it has
no answer and counts nowhere; yes/no and verbatim answers have no score and count nowhere
either. The period's figures are one aggregate query (GROUP BY department), the monthly
trend one more (GROUP BY month, department), whatever the number of answers; the partial
index `callback_done_closed_idx` (or `callback_kind_closed_idx` for one kind) finds the
period's callbacks, `callanswer_once_per_code` their answers.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.core.calendar import add_months, day_start

from .models import CallAnswer, Callback, Department

SATISFIED_SCORE = 4  # a score at or above this is satisfied (4 or 5)
ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` as a percentage with one decimal, rounded half up (5 of 7: 71.4;
    1 of 16: 6.3); None when `whole` is 0 (no rate, not 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


@dataclass(frozen=True)
class Satisfaction:
    """One department's figures over a period."""

    department: str  # models.Department value
    label: str  # its Chinese name
    answers: int  # scored answers
    satisfied: int  # of them, 4 or 5
    rate: Decimal | None  # percentage, one decimal; None without answers


def _kinds(kind: str | Iterable[str] | None) -> list[str] | None:
    if kind is None:
        return None
    return [kind] if isinstance(kind, str) else list(kind)


def _scored(start_at: dt.datetime, end_before: dt.datetime, kind) -> QuerySet[CallAnswer]:
    """The scored answers of the callbacks reached in [start_at, end_before)."""
    answers = CallAnswer.objects.filter(
        score__isnull=False,
        callback__status=Callback.Status.DONE,  # the partial index's condition
        callback__closed_at__gte=start_at,
        callback__closed_at__lt=end_before,
    )
    kinds = _kinds(kind)
    if kinds is not None:
        answers = answers.filter(callback__kind__in=kinds)
    return answers


COUNTS = {
    "answers": Count("id"),
    "satisfied": Count("id", filter=Q(score__gte=SATISFIED_SCORE)),
}


def _row(department: str, answers: int, satisfied: int) -> Satisfaction:
    return Satisfaction(
        department=department,
        label=Department(department).label if department in Department.values else department,
        answers=answers,
        satisfied=satisfied,
        rate=percent(satisfied, answers),
    )


def satisfaction(
    start: dt.date, end: dt.date, *, kind: str | Iterable[str] | None = None
) -> list[Satisfaction]:
    """Each department's satisfaction over the local days `start` to `end` (inclusive),
    one row per department in models.Department's order (前台, 车间, 收银, 配件, 钣喷, 洗车,
    销售, 总体), departments without answers included (0 answers, rate None); `kind`: only
    the callbacks of this kind (or these kinds). One query."""
    rows = (
        _scored(day_start(start), day_start(end + dt.timedelta(days=1)), kind)
        .values("department")
        .annotate(**COUNTS)
        .order_by()
    )
    found = {row["department"]: row for row in rows}
    departments = [*Department.values, *sorted(set(found) - set(Department.values))]
    return [
        _row(
            department,
            found.get(department, {}).get("answers", 0),
            found.get(department, {}).get("satisfied", 0),
        )
        for department in departments
    ]


def satisfaction_total(rows: list[Satisfaction]) -> Satisfaction:
    """All departments' answers together (the table's last line)."""
    answers = sum(row.answers for row in rows)
    satisfied = sum(row.satisfied for row in rows)
    return Satisfaction("", "合计", answers, satisfied, percent(satisfied, answers))


@dataclass(frozen=True)
class Trend:
    """Satisfaction per department per month: `months` (each month's first day, oldest
    first) and `rows`, one per department, each with one Satisfaction per month."""

    months: list[dt.date]
    rows: list[tuple[str, str, list[Satisfaction]]]  # (department, label, per month)


def satisfaction_trend(
    *, months: int = 12, until: dt.date, kind: str | Iterable[str] | None = None
) -> Trend:
    """Each department's satisfaction in each of the `months` calendar months ending with
    `until`'s month (the months by the local date of the call). One query."""
    last = until.replace(day=1)
    first = add_months(last, -(months - 1))
    month_list = [add_months(first, n) for n in range(months)]
    rows = (
        _scored(day_start(first), day_start(add_months(last, 1)), kind)
        .annotate(month=TruncMonth("callback__closed_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "department")
        .annotate(**COUNTS)
        .order_by()
    )
    found = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        found[(month, row["department"])] = row
    departments = [
        *Department.values,
        *sorted({department for _month, department in found} - set(Department.values)),
    ]
    empty = {"answers": 0, "satisfied": 0}
    return Trend(
        months=month_list,
        rows=[
            (
                department,
                _row(department, 0, 0).label,
                [
                    _row(
                        department,
                        found.get((month, department), empty)["answers"],
                        found.get((month, department), empty)["satisfied"],
                    )
                    for month in month_list
                ],
            )
            for department in departments
        ],
    )
