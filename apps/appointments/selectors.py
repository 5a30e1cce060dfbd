"""Reads of appointments: slots and their places, the day board, the confirmation list,
the targets, the show and on-time rates. Each owns its joins; each reads the rules once
(`Rules`), never per row."""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from apps.core.calendar import day_start
from apps.core.models import DealershipSettings
from apps.core.pagination import KeysetPage, keyset_page
from apps.core.settings import current_settings
from apps.workorders.models import Recommendation, ServiceSettings, WorkOrder

from .models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Appointment,
    AppointmentPart,
    AppointmentSettings,
    AppointmentStatusChange,
    Target,
    UnreachablePhone,
)

S = Appointment.Status
# The nearest free slots offered when a slot is full: searched from a week before the asked
# day (never before now) to two weeks after it; further away is a new conversation with the
# customer, not an offer.
NEAREST_DAYS_BEFORE = 7
NEAREST_DAYS_AFTER = 14
NEAREST_SHOWN = 3  # offers shown: one line each on a tablet, beside the refusal
# The role whose members are the board's columns (besides anyone booked as advisor that day).
ADVISOR_ROLE = "advisor"
# The statistics page covers at most a year at a time (one query grouped by day and advisor).
STATS_MAX_DAYS = 366


@dataclass(frozen=True)
class Rules:
    """The numbers the appointment pages read, once per request."""

    opens: dt.time
    closes: dt.time
    slot_minutes: int
    capacity: int
    advisor_capacity: int
    on_time_minutes: int
    confirm_minutes: int
    lost_months: int

    @classmethod
    def now(cls) -> "Rules":
        dealership = current_settings(DealershipSettings)
        service = current_settings(ServiceSettings)
        return cls(
            opens=dealership.business_opens_at,
            closes=dealership.business_closes_at,
            slot_minutes=service.appointment_slot_minutes,
            capacity=service.appointment_slot_capacity,
            advisor_capacity=service.appointment_advisor_slot_capacity,
            on_time_minutes=service.appointment_on_time_minutes,
            confirm_minutes=service.appointment_confirm_minutes,
            lost_months=service.appointment_lost_months,
        )


def day_slots(rules: Rules) -> list[dt.time]:
    """The slots' start times of a day: every `slot_minutes` from opening, each ending by
    closing time."""
    day = dt.date(2000, 1, 1)  # any day: only the times matter
    start = dt.datetime.combine(day, rules.opens)
    closes = dt.datetime.combine(day, rules.closes)
    step = dt.timedelta(minutes=rules.slot_minutes)
    slots = []
    while start + step <= closes:
        slots.append(start.time())
        start += step
    return slots


def slot_moment(day: dt.date, starts_at: dt.time) -> dt.datetime:
    """The aware local moment a slot starts."""
    return timezone.make_aware(dt.datetime.combine(day, starts_at))


@dataclass(frozen=True)
class Slot:
    day: dt.date
    starts_at: dt.time
    booked: int  # cars holding a place
    capacity: int
    advisor_booked: int | None  # the chosen advisor's cars, when an advisor is chosen
    advisor_capacity: int
    is_past: bool

    @property
    def moment(self) -> dt.datetime:
        return slot_moment(self.day, self.starts_at)

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def advisor_remaining(self) -> int | None:
        if self.advisor_booked is None:
            return None
        return max(self.advisor_capacity - self.advisor_booked, 0)

    @property
    def is_free(self) -> bool:
        return not self.is_past and self.remaining > 0 and self.advisor_remaining != 0

    @property
    def value(self) -> str:
        return f"{self.starts_at:%H:%M}"


def _counts(first: dt.date, last: dt.date, *, exclude_id=None) -> dict[tuple, Counter]:
    """{(day, start time): Counter(advisor id: cars)} of the places held from `first` to
    `last` (one query)."""
    rows = Appointment.objects.filter(date__range=(first, last), status__in=ACTIVE_STATUSES)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for day, starts_at, advisor_id, cars in rows.values_list(
        "date", "starts_at", "advisor_id"
    ).annotate(cars=Count("id")):
        counts[(day, timezone.localtime(starts_at).time())][advisor_id] += cars
    return counts


def _slot(day, starts_at, counts, *, advisor, rules, now) -> Slot:
    held = counts.get((day, starts_at), Counter())
    return Slot(
        day=day,
        starts_at=starts_at,
        booked=sum(held.values()),
        capacity=rules.capacity,
        advisor_booked=held[advisor.pk] if advisor is not None else None,
        advisor_capacity=rules.advisor_capacity,
        is_past=slot_moment(day, starts_at) <= now,
    )


def day_availability(
    *, day: dt.date, advisor=None, now, rules: Rules | None = None, exclude_id=None
) -> list[Slot]:
    """Every slot of `day` with its places held and left (for `advisor` too, when given).
    One query. `exclude_id`: an appointment being re-booked does not count against itself."""
    rules = rules or Rules.now()
    counts = _counts(day, day, exclude_id=exclude_id)
    return [
        _slot(day, starts_at, counts, advisor=advisor, rules=rules, now=now)
        for starts_at in day_slots(rules)
    ]


def nearest_free_slots(
    *,
    day: dt.date,
    starts_at: dt.time,
    advisor,
    now,
    rules: Rules | None = None,
    exclude_id=None,
    count: int = NEAREST_SHOWN,
) -> list[Slot]:
    """The free slots nearest in time to the one asked for (before or after it, never in
    the past), with room for `advisor`. One query."""
    rules = rules or Rules.now()
    today = timezone.localdate(now)
    first = max(day - dt.timedelta(days=NEAREST_DAYS_BEFORE), today)
    last = day + dt.timedelta(days=NEAREST_DAYS_AFTER)
    if last < first:
        return []
    counts = _counts(first, last, exclude_id=exclude_id)
    asked = slot_moment(day, starts_at)
    candidates = []
    for offset in range((last - first).days + 1):
        candidate_day = first + dt.timedelta(days=offset)
        for time in day_slots(rules):
            slot = _slot(candidate_day, time, counts, advisor=advisor, rules=rules, now=now)
            if slot.is_free and (candidate_day, time) != (day, starts_at):
                candidates.append(slot)
    candidates.sort(key=lambda slot: (abs(slot.moment - asked), slot.moment))
    return sorted(candidates[:count], key=lambda slot: slot.moment)


# --- the day board ---------------------------------------------------------------------------


@dataclass
class BoardRow:
    starts_at: dt.time
    cells: list[list[Appointment]]  # one list per advisor column, in the board's order
    held: int  # cars holding a place in the slot
    capacity: int

    @property
    def is_full(self) -> bool:
        return self.held >= self.capacity


@dataclass
class Board:
    day: dt.date
    advisors: list
    rows: list[BoardRow]
    by_status: list[tuple[str, str, int]] = field(default_factory=list)  # value, label, count
    total: int = 0


def _advisor_columns(appointments: list[Appointment]) -> list:
    """The active members of the advisors' role, and anyone booked as advisor that day."""
    booked = {a.advisor_id: a.advisor for a in appointments}
    members = get_user_model().objects.filter(groups__name=ADVISOR_ROLE, is_active=True)
    columns = {user.pk: user for user in members}
    columns.update(booked)
    return sorted(columns.values(), key=lambda user: user.pk)


def day_board(*, day: dt.date, rules: Rules | None = None) -> Board:
    """预约看板: the day's appointments by slot (rows) and advisor (columns), with each
    slot's places held. Two queries (the day's appointments with car, customer and advisor;
    the advisors), whatever the number of appointments."""
    rules = rules or Rules.now()
    appointments = list(
        Appointment.objects.filter(date=day)
        .select_related("vehicle", "customer", "advisor")
        .order_by("starts_at", "id")
    )
    advisors = _advisor_columns(appointments)
    column = {user.pk: index for index, user in enumerate(advisors)}
    times = sorted(
        set(day_slots(rules)) | {timezone.localtime(a.starts_at).time() for a in appointments}
    )
    rows = {time: BoardRow(time, [[] for _ in advisors], 0, rules.capacity) for time in times}
    by_status = Counter()
    for appointment in appointments:
        row = rows[timezone.localtime(appointment.starts_at).time()]
        row.cells[column[appointment.advisor_id]].append(appointment)
        row.held += appointment.status in ACTIVE_STATUSES
        by_status[appointment.status] += 1
    return Board(
        day=day,
        advisors=advisors,
        rows=list(rows.values()),
        by_status=[(value, label, by_status[value]) for value, label in S.choices],
        total=len(appointments),
    )


# --- one appointment, the confirmation list --------------------------------------------------


def appointment_page(*, pk: int) -> Appointment:
    """An appointment with everything its page shows (raises Appointment.DoesNotExist)."""
    return (
        Appointment.objects.select_related(
            "vehicle",
            "customer",
            "advisor",
            "created_by",
            "confirmed_by",
            "work_order",
            "rebooked_from",
            "rebooked_to",
        )
        .prefetch_related(
            "canned_jobs",
            "recommendations",
            Prefetch("parts", queryset=_parts()),
            Prefetch("status_changes", queryset=_changes()),
        )
        .get(pk=pk)
    )


def _parts():
    return AppointmentPart.objects.select_related("part").order_by("id")


def _changes():
    return AppointmentStatusChange.objects.select_related("by").order_by("at", "id")


@dataclass
class Confirmations:
    due: list[Appointment]  # start within the confirmation minutes (or started, not here yet)
    later: list[Appointment]  # later today and tomorrow, to confirm ahead


def confirmations(*, now, rules: Rules | None = None) -> Confirmations:
    """Booked appointments not yet confirmed, today and tomorrow: those starting within
    the settings' confirmation minutes first. One query (the unconfirmed index)."""
    rules = rules or Rules.now()
    today = timezone.localdate(now)
    rows = list(
        Appointment.objects.filter(
            status=S.BOOKED,
            starts_at__gte=day_start(today),
            starts_at__lt=day_start(today + dt.timedelta(days=2)),
        )
        .select_related("vehicle", "customer", "advisor")
        .order_by("starts_at", "id")
    )
    window = now + dt.timedelta(minutes=rules.confirm_minutes)
    return Confirmations(
        due=[a for a in rows if a.starts_at <= window],
        later=[a for a in rows if a.starts_at > window],
    )


def open_appointment(*, vehicle) -> Appointment | None:
    """The car's booked or confirmed appointment, if any."""
    return (
        Appointment.objects.filter(vehicle=vehicle, status__in=OPEN_STATUSES)
        .select_related("advisor")
        .first()
    )


# --- targets (预约对象) -----------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier, when negative), or that month's last day."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def lost_before(today: dt.date, rules: Rules) -> dt.date:
    """A car last seen before this day is lost (no visit for the settings' months)."""
    return add_months(today, -rules.lost_months)


# Most recent first for the reasons that grow older (maintenance due, declined work); the
# soonest expiry first for insurance and warranty, whose window starts today.
TARGET_ORDER = {
    Target.Kind.MAINTENANCE: ("-due_on", "-id"),
    Target.Kind.RECOMMENDATION: ("-due_on", "-id"),
    Target.Kind.INSURANCE: ("due_on", "id"),
    Target.Kind.WARRANTY: ("due_on", "id"),
}


def targets(*, kind: str, today: dt.date, rules: Rules | None = None):
    """The targets of one kind as of `today` (a queryset, in no order yet).

    The precomputed rows (services.targets_refresh) in the kind's window, checked against
    the live facts: lost cars (not seen for the settings' months), owners who asked not to
    be called or whose mobile is marked unreachable, cars with an open appointment, and —
    for maintenance and declined work — cars seen since the rows were computed are left
    out; an insurance or warranty row counts only while the car's date is still the one it
    was computed from, a recommendation row while the car has an open one.
    """
    rules = rules or Rules.now()
    horizons = current_settings(AppointmentSettings)
    rows = Target.objects.filter(kind=kind, last_contact_on__gte=lost_before(today, rules))
    if kind == Target.Kind.MAINTENANCE:
        rows = rows.filter(due_on__lte=today + dt.timedelta(days=horizons.target_maintenance_days))
    elif kind == Target.Kind.INSURANCE:
        rows = rows.filter(
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=horizons.target_insurance_days),
            # "still the car's date", written as two bounds: PostgreSQL estimates a
            # cross-table equality as matching almost nothing, then sorts the whole window
            # instead of walking target_kind_due_idx in order (71 ms → 5 ms at 10 years).
            vehicle__insurance_expires_on__gte=F("due_on"),
            vehicle__insurance_expires_on__lte=F("due_on"),
        )
    elif kind == Target.Kind.WARRANTY:
        rows = rows.filter(
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=horizons.target_warranty_days),
            vehicle__warranty_end__gte=F("due_on"),  # = as two bounds: see insurance
            vehicle__warranty_end__lte=F("due_on"),
        )
    elif kind == Target.Kind.RECOMMENDATION:
        rows = rows.filter(
            Exists(
                Recommendation.objects.filter(
                    vehicle=OuterRef("vehicle_id"), status=Recommendation.Status.OPEN
                )
            )
        )
    else:
        raise ValueError(f"unknown target kind {kind!r}")
    if kind in (Target.Kind.MAINTENANCE, Target.Kind.RECOMMENDATION):
        rows = rows.exclude(
            Exists(
                WorkOrder.objects.filter(
                    vehicle=OuterRef("vehicle_id"), opened_at__gt=OuterRef("refreshed_at")
                )
            )
        )
    return (
        rows.filter(vehicle__owner__do_not_call=False)
        .exclude(
            Exists(
                UnreachablePhone.objects.filter(
                    customer=OuterRef("vehicle__owner_id"),
                    mobile=OuterRef("vehicle__owner__mobile"),
                )
            )
        )
        .exclude(
            Exists(
                Appointment.objects.filter(vehicle=OuterRef("vehicle_id"), status__in=OPEN_STATUSES)
            )
        )
    )


def targets_page(
    *,
    kind: str,
    today: dt.date,
    after: str | None = None,
    before: str | None = None,
    rules: Rules | None = None,
) -> KeysetPage:
    """One page of a target list with car and owner (one query: the page's rows are read
    from the (kind, due_on, id) index and each is checked by index probes)."""
    rows = targets(kind=kind, today=today, rules=rules).select_related("vehicle", "vehicle__owner")
    return keyset_page(rows, order=TARGET_ORDER[kind], after=after, before=before)


def targets_refreshed_at():
    """When the target rows were last computed (None before the first run)."""
    return Target.objects.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()


# --- show rate and on-time rate --------------------------------------------------------------


@dataclass
class Rate:
    """Of the appointments a period expected (arrived, missed, or past and never marked):
    how many came (show rate), and how many of those came on time."""

    label: str
    expected: int = 0
    arrived: int = 0
    no_show: int = 0
    unmarked: int = 0  # booked or confirmed, the slot passed, nobody recorded the outcome
    on_time: int = 0

    def add(self, other: "Rate") -> None:
        self.expected += other.expected
        self.arrived += other.arrived
        self.no_show += other.no_show
        self.unmarked += other.unmarked
        self.on_time += other.on_time

    @staticmethod
    def _percent(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def show_rate(self) -> Decimal | None:
        return self._percent(self.arrived, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        return self._percent(self.on_time, self.arrived)


@dataclass
class Rates:
    first: dt.date
    last: dt.date
    total: Rate
    by_day: list[Rate]
    by_week: list[Rate]
    by_month: list[Rate]
    by_advisor: list[Rate]


def appointment_rates(*, first: dt.date, last: dt.date, now, rules: Rules | None = None) -> Rates:
    """Show rate (到店率) and on-time rate (准时率) of the appointments dated `first` to
    `last`, by day, by week (Monday first), by month and by advisor. On time: arrived by the slot's
    start + the settings' on-time minutes. Cancelled and re-booked appointments expected
    nobody. Two queries: the appointments grouped by day and advisor, the advisors' names."""
    rules = rules or Rules.now()
    late_after = dt.timedelta(minutes=rules.on_time_minutes)
    came = Q(status=S.ARRIVED)
    unmarked = Q(status__in=OPEN_STATUSES, starts_at__lt=now)
    grouped = (
        Appointment.objects.filter(date__range=(first, last))
        .filter(came | Q(status=S.NO_SHOW) | unmarked)
        .values("date", "advisor_id")
        # date, not id: every column read is in appointment_rates_idx (an index-only scan).
        .annotate(
            expected=Count("date"),
            arrived=Count("date", filter=came),
            no_show=Count("date", filter=Q(status=S.NO_SHOW)),
            unmarked=Count("date", filter=unmarked),
            on_time=Count("date", filter=came & Q(arrived_at__lte=F("starts_at") + late_after)),
        )
        .order_by()
    )
    grouped = list(grouped)
    names = {
        user.pk: user.display_name or user.username
        for user in get_user_model().objects.filter(pk__in={row["advisor_id"] for row in grouped})
    }
    total = Rate("合计")
    days: dict[dt.date, Rate] = {}
    weeks: dict[dt.date, Rate] = {}
    months: dict[dt.date, Rate] = {}
    advisors: dict[int, Rate] = {}
    for row in grouped:
        rate = Rate(
            "",
            row["expected"],
            row["arrived"],
            row["no_show"],
            row["unmarked"],
            row["on_time"],
        )
        day = row["date"]
        monday = day - dt.timedelta(days=day.weekday())
        name = names[row["advisor_id"]]
        days.setdefault(day, Rate(f"{day:%Y-%m-%d}")).add(rate)
        weeks.setdefault(monday, Rate(f"{monday:%m-%d} 起")).add(rate)
        months.setdefault(day.replace(day=1), Rate(f"{day:%Y-%m}")).add(rate)
        advisors.setdefault(row["advisor_id"], Rate(name)).add(rate)
        total.add(rate)
    return Rates(
        first=first,
        last=last,
        total=total,
        by_day=[days[key] for key in sorted(days)],
        by_week=[weeks[key] for key in sorted(weeks)],
        by_month=[months[key] for key in sorted(months)],
        by_advisor=sorted(advisors.values(), key=lambda rate: rate.label),
    )
