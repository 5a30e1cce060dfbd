"""Satisfaction (满意度, DOMAIN.md §5): a department's satisfaction over a period is the
share of its scored answers that are 4 or 5, as a percentage with one decimal.

An answer belongs to the department its question had when it was asked (CallAnswer keeps
it), and to the day of its call: the local (Asia/Shanghai) date the callback was reached
(`Callback.closed_at`). A question that did not apply to the visit was not asked, so it has
no answer and counts nowhere; yes/no and verbatim answers have no score and count nowhere
either.

The pages read `SatisfactionDay`, the answers summed per day, kind of callback and
department: kept by the service that records answers (`satisfaction_add`, in its
transaction) and rebuilt from the answers by `satisfaction_rebuild` (the demo's bulk
history; a check). A year is a few thousand of these rows instead of 700,000 answers
joined to their callbacks (about a second at ten years). The period's figures are one
aggregate query (GROUP BY department), the monthly trend one more (GROUP BY month,
department).
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from apps.core.calendar import add_months, day_start

from .models import CallAnswer, Callback, Department, SatisfactionDay

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


def _days(start: dt.date, end: dt.date, kind) -> QuerySet[SatisfactionDay]:
    """The daily sums of the local days `start` to `end` (inclusive)."""
    rows = SatisfactionDay.objects.filter(day__gte=start, day__lte=end)
    kinds = _kinds(kind)
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    return rows


SUMS = {"answers": Sum("answers"), "satisfied": Sum("satisfied")}


def satisfaction_add(*, callback: Callback, answers: Iterable[CallAnswer], day: dt.date) -> None:
    """Count a reached callback's scored answers into its day's sums (call it in the
    transaction that writes the answers). The zero rows are made first (a concurrent
    maker is ignored by the unique constraint), then each is raised in one UPDATE, so two
    clerks recording at once both count."""
    counts: Counter = Counter()
    satisfied: Counter = Counter()
    for answer in answers:
        if answer.score is not None:
            counts[answer.department] += 1
            satisfied[answer.department] += answer.score >= SATISFIED_SCORE
    if not counts:
        return
    SatisfactionDay.objects.bulk_create(
        [
            SatisfactionDay(day=day, kind=callback.kind, department=department)
            for department in counts
        ],
        ignore_conflicts=True,
    )
    for department, number in counts.items():
        SatisfactionDay.objects.filter(day=day, kind=callback.kind, department=department).update(
            answers=F("answers") + number, satisfied=F("satisfied") + satisfied[department]
        )


@transaction.atomic
def satisfaction_rebuild(*, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """The daily sums of the days `first` to `last` (every day when not given) made again
    from the answers (one aggregate query; idempotent). Returns the rows written."""
    answers = CallAnswer.objects.filter(
        score__isnull=False, callback__status=Callback.Status.DONE
    ).exclude(callback__closed_at=None)
    old = SatisfactionDay.objects.all()
    if first is not None:
        answers = answers.filter(callback__closed_at__gte=day_start(first))
        old = old.filter(day__gte=first)
    if last is not None:
        answers = answers.filter(callback__closed_at__lt=day_start(last + dt.timedelta(days=1)))
        old = old.filter(day__lte=last)
    sums = (
        answers.annotate(
            day=TruncDate("callback__closed_at", tzinfo=timezone.get_current_timezone())
        )
        .values("day", "callback__kind", "department")
        .annotate(answers=Count("id"), satisfied=Count("id", filter=Q(score__gte=SATISFIED_SCORE)))
        .order_by()
    )
    rows = [
        SatisfactionDay(
            day=row["day"],
            kind=row["callback__kind"],
            department=row["department"],
            answers=row["answers"],
            satisfied=row["satisfied"],
        )
        for row in sums
    ]
    old.delete()
    SatisfactionDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


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
    rows = _days(start, end, kind).values("department").annotate(**SUMS).order_by()
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
        _days(first, add_months(last, 1) - dt.timedelta(days=1), kind)
        .annotate(month=TruncMonth("day"))
        .values("month", "department")
        .annotate(**SUMS)
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
