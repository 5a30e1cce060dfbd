"""The 三包 counts of one vehicle (DOMAIN.md §4, the 2022 national rules), computed from
plain facts: the vehicle's warranty repairs (work orders with a warranty share, or with a
claim) and its claims' classification. No queries here: `selectors.warranty_statuses`
reads the facts of any number of vehicles in two queries and calls `vehicle_status`.

What is counted, within the return-or-replace period (三包有效期: from the invoice date,
`warranty_return_years` / `warranty_return_km`, whichever comes first; a repair counts
when it began inside the period):

- serious safety-fault repairs (严重安全性能故障): reached at `warranty_serious_fault_repairs`
  (the next occurrence gives the right to a replacement or a refund);
- replacements of each major assembly (engine, gearbox, traction battery, drive motor):
  reached at `warranty_major_part_replacements`;
- replacements of the same main part of a listed system: reached at
  `warranty_same_main_part_replacements`;
- days of quality repairs added up: reached when more than `warranty_cumulative_repair_days`;
- repairs of the same problem: reached when more than `warranty_same_problem_repairs`;
- the immediate rights: an assembly or a main part of one replaced within
  `warranty_replace_days` of the invoice date; a steering or brake failure, a cracked body,
  a fuel leak or a traction-battery fire within `warranty_early_fault_days` and
  `warranty_early_fault_km`.

"One event short" (NEAR): one more repair reaches the rule (for the days: fewer than
`warranty_repair_days_warning` days left). A repair longer than `warranty_courtesy_car_days`
within the warranty period (包修期) owes a courtesy car or a transport allowance: a car
still in the workshop past it is a REACHED warning; one day before, NEAR.

Repair days: from the opening of the work order to delivery (still in the workshop: to
now), a started day counting as a whole one (a repair under 24 hours is 1 day).
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from .models import (
    EARLY_FAULTS,
    LISTED_SYSTEMS,
    MAJOR_ASSEMBLIES,
    Replacement,
    System,
    WarrantySettings,
    WarrantyWatch,
)

Level = WarrantyWatch.Level
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Repair:
    """A warranty repair: one work order of the vehicle."""

    work_order_id: int
    number: str
    opened_at: dt.datetime
    delivered_at: dt.datetime | None
    mileage: int
    in_workshop: bool  # not delivered yet: its days run until now


@dataclass(frozen=True)
class ClaimFacts:
    """What a claim says about its repair (the fields the rules count)."""

    claim_id: int
    number: str
    work_order_id: int
    system: str
    main_part: str
    problem_key: str
    serious_fault: str
    replacement: str


@dataclass(frozen=True)
class Event:
    """One repair that makes up a count, as the pages list it."""

    work_order_id: int
    number: str
    on: dt.date
    mileage: int
    days: int
    note: str = ""


@dataclass
class RuleCount:
    code: str  # stable: "serious", "assembly:engine", "days", "problem:engine:P0300", …
    label: str
    count: int
    threshold: int
    unit: str  # 次 / 日
    level: int
    message: str
    events: list[Event] = field(default_factory=list)

    @property
    def is_near(self) -> bool:
        return self.level == Level.NEAR

    @property
    def is_reached(self) -> bool:
        return self.level == Level.REACHED


@dataclass
class WarrantyStatus:
    vehicle_id: int
    starts_on: dt.date | None  # the invoice date (or the sale date)
    return_ends_on: dt.date | None
    return_km: int
    repair_ends_on: dt.date | None  # 包修期
    in_return_period: bool  # today, at the vehicle's mileage
    rules: list[RuleCount]  # every rule with at least one event, the most urgent first
    long_repairs: list[Event]  # repairs that lasted (or last) more than the courtesy days
    repairs: int  # warranty repairs in the period
    days: int  # their days

    @property
    def level(self) -> int:
        return max((rule.level for rule in self.rules), default=Level.CLEAR)

    @property
    def is_reached(self) -> bool:
        return self.level == Level.REACHED

    @property
    def is_near(self) -> bool:
        return self.level == Level.NEAR

    @property
    def warnings(self) -> list[RuleCount]:
        return [rule for rule in self.rules if rule.level > Level.CLEAR]

    @property
    def headline(self) -> str:
        warnings = self.warnings
        if not warnings:
            return ""
        first = warnings[0]
        more = f" 等 {len(warnings)} 项" if len(warnings) > 1 else ""
        return f"{first.label}:{first.message}{more}"[:200]


# The order rules are shown in at one level: the rights due at once, the car in the
# workshop, then the rules of 第二十二条 in their order.
RANKS = (
    "early_fault",
    "early_replace",
    "courtesy",
    "serious",
    "assembly",
    "part",
    "days",
    "problem",
)


def _rank(code: str) -> int:
    return RANKS.index(code.split(":", 1)[0])


def years_after(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def repair_days(repair: Repair, now: dt.datetime) -> int:
    end = repair.delivered_at or (now if repair.in_workshop else repair.opened_at)
    return max(1, math.ceil((end - repair.opened_at) / DAY))


def _event(repair: Repair, now: dt.datetime, note: str = "") -> Event:
    return Event(
        work_order_id=repair.work_order_id,
        number=repair.number,
        on=timezone.localdate(repair.opened_at),
        mileage=repair.mileage,
        days=repair_days(repair, now),
        note=note,
    )


def _times_rule(code, label, events, threshold, *, reached_at) -> RuleCount:
    """A rule counted in repairs. `reached_at` is the count that reaches it: the threshold
    ("replaced twice") or one more ("repaired more than 4 times")."""
    count = len(events)
    if count >= reached_at:
        level, message = Level.REACHED, f"已 {count} 次,达到三包换车/退车条件"
    elif count == reached_at - 1:
        level, message = Level.NEAR, f"已 {count} 次,再 1 次即达到换车/退车条件"
    else:
        level, message = Level.CLEAR, f"已 {count} 次"
    return RuleCount(code, label, count, threshold, "次", level, message, events)


def vehicle_status(
    *,
    vehicle,
    repairs: list[Repair],
    claims: list[ClaimFacts],
    rules: WarrantySettings,
    now: dt.datetime,
) -> WarrantyStatus:
    """The 三包 counts of `vehicle` from its warranty repairs and its claims (see the
    module's docstring for what counts)."""
    today = timezone.localdate(now)
    starts_on = vehicle.warranty_start or vehicle.sale_date
    return_ends_on = years_after(starts_on, rules.warranty_return_years) if starts_on else None
    repair_ends_on = vehicle.warranty_end or (
        years_after(starts_on, rules.warranty_repair_years) if starts_on else None
    )
    repair_km = vehicle.warranty_km_limit or rules.warranty_repair_km
    return_km = rules.warranty_return_km

    def in_return_period(repair: Repair) -> bool:
        on = timezone.localdate(repair.opened_at)
        inside = return_ends_on is None or starts_on <= on <= return_ends_on
        return inside and repair.mileage <= return_km

    def in_repair_period(repair: Repair) -> bool:
        on = timezone.localdate(repair.opened_at)
        inside = repair_ends_on is None or on <= repair_ends_on
        return inside and repair.mileage <= repair_km

    by_order = {repair.work_order_id: repair for repair in repairs}
    counted = {pk: repair for pk, repair in by_order.items() if in_return_period(repair)}
    ordered = sorted(counted.values(), key=lambda repair: (repair.opened_at, repair.work_order_id))
    found: list[RuleCount] = []

    # Days of quality repairs added up.
    days = sum(repair_days(repair, now) for repair in ordered)
    limit = rules.warranty_cumulative_repair_days
    if ordered:
        left = limit + 1 - days  # "more than 30 days": the 31st day reaches it
        if days > limit:
            level, message = Level.REACHED, f"累计 {days} 日,超过 {limit} 日,可要求换车/退车"
        elif left <= rules.warranty_repair_days_warning:
            level, message = Level.NEAR, f"累计 {days} 日,再修理 {left} 日即超过 {limit} 日"
        else:
            level, message = Level.CLEAR, f"累计 {days} 日"
        found.append(
            RuleCount(
                "days",
                "累计修理时间",
                days,
                limit,
                "日",
                level,
                message,
                [_event(repair, now) for repair in ordered],
            )
        )

    # The claims' classification, by work order (a work order counts once per rule).
    groups: dict[str, tuple[str, set[int]]] = defaultdict(lambda: ("", set()))
    serious: set[int] = set()
    early_replace: set[int] = set()
    early_fault: set[int] = set()
    labels_of = dict(System.choices)
    for claim in claims:
        repair = counted.get(claim.work_order_id)
        if repair is None:
            continue
        pk = claim.work_order_id
        system_label = labels_of.get(claim.system, claim.system)
        if claim.problem_key:
            problem = claim.problem_key.split(":", 1)[1]
            groups[f"problem:{claim.problem_key}"] = (
                f"同一问题修理:{system_label} {problem}",
                groups[f"problem:{claim.problem_key}"][1] | {pk},
            )
        if claim.serious_fault:
            serious.add(pk)
        if claim.replacement == Replacement.ASSEMBLY and claim.system in MAJOR_ASSEMBLIES:
            code = f"assembly:{claim.system}"
            groups[code] = (f"{system_label}总成更换", groups[code][1] | {pk})
        if (
            claim.replacement in (Replacement.MAIN_PART, Replacement.ASSEMBLY)
            and claim.system in LISTED_SYSTEMS
            and claim.main_part
        ):
            code = f"part:{claim.system}:{claim.main_part}"
            groups[code] = (
                f"同一主要零件更换:{system_label} {claim.main_part}",
                groups[code][1] | {pk},
            )
        if starts_on is None:
            continue
        on = timezone.localdate(repair.opened_at)
        if (
            claim.system in MAJOR_ASSEMBLIES
            and claim.replacement != Replacement.NONE
            and on <= starts_on + dt.timedelta(days=rules.warranty_replace_days)
        ):
            early_replace.add(pk)
        if (
            claim.serious_fault in EARLY_FAULTS
            and on <= starts_on + dt.timedelta(days=rules.warranty_early_fault_days)
            and repair.mileage <= rules.warranty_early_fault_km
        ):
            early_fault.add(pk)

    def events(pks) -> list[Event]:
        return [
            _event(counted[pk], now) for pk in sorted(pks, key=lambda pk: counted[pk].opened_at)
        ]

    if serious:
        threshold = rules.warranty_serious_fault_repairs
        found.append(
            _times_rule(
                "serious", "严重安全性能故障修理", events(serious), threshold, reached_at=threshold
            )
        )
    for code, (label, pks) in groups.items():
        if code.startswith("problem:"):
            threshold = rules.warranty_same_problem_repairs
            reached_at = threshold + 1  # "more than 4 times"
        elif code.startswith("assembly:"):
            threshold = reached_at = rules.warranty_major_part_replacements
        else:
            threshold = reached_at = rules.warranty_same_main_part_replacements
        found.append(_times_rule(code, label, events(pks), threshold, reached_at=reached_at))
    if early_replace:
        found.append(
            RuleCount(
                "early_replace",
                f"购车 {rules.warranty_replace_days} 日内总成或其主要零件更换",
                len(early_replace),
                1,
                "次",
                Level.REACHED,
                "客户可选择换车或退车",
                events(early_replace),
            )
        )
    if early_fault:
        found.append(
            RuleCount(
                "early_fault",
                f"购车 {rules.warranty_early_fault_days} 日/{rules.warranty_early_fault_km} "
                "公里内转向/制动失效、车身开裂、燃油泄漏或动力蓄电池起火",
                len(early_fault),
                1,
                "次",
                Level.REACHED,
                "客户可选择换车或退车",
                events(early_fault),
            )
        )

    in_period = return_ends_on is None or (today <= return_ends_on and vehicle.mileage <= return_km)
    if not in_period:  # the rights ended with the period: the counts stay, as history
        for rule in found:
            rule.level = Level.CLEAR

    # Courtesy car: a repair within the warranty period (包修期) longer than N days.
    courtesy = rules.warranty_courtesy_car_days
    long_repairs = []
    for repair in sorted(by_order.values(), key=lambda repair: repair.opened_at):
        if not in_repair_period(repair):
            continue
        length = repair_days(repair, now)
        if length > courtesy:
            long_repairs.append(_event(repair, now, "在修" if repair.in_workshop else ""))
        if repair.in_workshop and length >= courtesy:
            over = length > courtesy
            found.append(
                RuleCount(
                    f"courtesy:{repair.work_order_id}",
                    f"单次修理超过 {courtesy} 日({repair.number})",
                    length,
                    courtesy,
                    "日",
                    Level.REACHED if over else Level.NEAR,
                    f"已修理 {length} 日,应提供备用车或交通补偿"
                    if over
                    else f"已修理 {length} 日,明天起应提供备用车或交通补偿",
                    [_event(repair, now, "在修")],
                )
            )

    found.sort(key=lambda rule: (-rule.level, _rank(rule.code), rule.code))
    return WarrantyStatus(
        vehicle_id=vehicle.pk,
        starts_on=starts_on,
        return_ends_on=return_ends_on,
        return_km=return_km,
        repair_ends_on=repair_ends_on,
        in_return_period=in_period,
        rules=found,
        long_repairs=long_repairs,
        repairs=len(ordered),
        days=days,
    )


def problem_key(*, system: str, fault_code: str, main_part: str) -> str:
    """ "The same quality problem": the system with the fault code, or with the main part
    when there is no code; empty when neither is known (it then counts nowhere)."""
    what = "".join(fault_code.split()).upper() or "".join(main_part.split())
    return f"{system}:{what}" if system and what else ""
