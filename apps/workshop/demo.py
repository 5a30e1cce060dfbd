"""The demo workshop floor (`seed_demo`, after the work orders): teams, technicians, bays,
the skills of the catalogue's labour operations, and jobs for the orders the work-order
demo made.

1. The floor: four teams with a lead each, thirteen technicians (the `technician` demo
   login 王师傅 among them, in the technician role) with skills, twelve bays; each skill
   names the demo catalogue's operations that need it (dispatch infers a job's skill).
2. Today (busy): the live flow's orders (demo_live.TODAY) get the jobs their state implies
   (已派工: a job waiting; 维修中: paused waiting for the customer's approval of the added
   item; from 自检 on: a finished job with its clock and checks); cars the history left in
   the workshop (维修中, delivery still ahead) get live jobs (opened today: being worked on,
   else paused waiting for parts); a few more orders come in through the services and wait
   on the dispatch board (one customer waiting in the shop, one partly dispatched), a few
   are dispatched through services_dispatch.job_dispatch.
3. History: every settled or delivered order of the system gets its finished job, one or
   two clock stretches, and its self, team-lead and final checks (4 % reworked once: a
   failed team-lead check before the passing one), written in bulk (insert_many).

Writes the jobs' states and clocks directly (the technicians' clock services arrive with
the tablet); the times are backdated to before `run.now`, as the work-order demo does.
Loaded once: each step skips when its rows exist.
"""

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from apps.accounts.demo import DEMO_PASSWORD
from apps.core.bulk import insert_many
from apps.core.calendar import day_start
from apps.core.seeding import DemoRun
from apps.customers.models import Vehicle
from apps.workorders import demo_live, services
from apps.workorders.demo_flow import backdate, order_take_to
from apps.workorders.models import (
    LabourOperation,
    LineStatus,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)

from . import services_dispatch
from .models import (
    Bay,
    Check,
    CheckItem,
    Job,
    JobAssignment,
    JobClock,
    JobLine,
    Skill,
    Team,
    Technician,
)

S = WorkOrder.Status
J = Job.Status
BATCH = 5000  # history orders per round of inserts
REWORK_SHARE = 0.04  # jobs reworked once after a failed team-lead check (first-time fix 96 %)

# (team, its skills)
TEAMS = (
    ("快保组", ("maintenance", "tyre")),
    ("机修组", ("mechanical", "diagnosis", "electrical")),
    ("钣喷组", ("body", "paint")),
    ("新能源组", ("ev_hv", "electrical", "diagnosis")),
)
# (login, name, team, skills); the first of each team leads it. "technician" is the demo
# login of apps/accounts/demo.py.
TECHNICIANS = (
    ("tech_kb1", "刘建军", 0, ("maintenance", "tyre", "mechanical")),
    ("technician", "王师傅", 0, ("maintenance", "tyre")),
    ("tech_kb2", "孙小龙", 0, ("maintenance",)),
    ("tech_kb3", "胡立新", 0, ("maintenance", "tyre")),
    ("tech_jx1", "张国栋", 1, ("mechanical", "diagnosis", "electrical")),
    ("tech_jx2", "李卫东", 1, ("mechanical", "diagnosis")),
    ("tech_jx3", "陈海波", 1, ("mechanical", "tyre")),
    ("tech_jx4", "杨振华", 1, ("electrical", "diagnosis")),
    ("tech_bp1", "黄志强", 2, ("body", "paint")),
    ("tech_bp2", "吴德明", 2, ("body",)),
    ("tech_bp3", "徐春生", 2, ("paint",)),
    ("tech_xny1", "马俊杰", 3, ("ev_hv", "electrical", "diagnosis")),
    ("tech_xny2", "朱文博", 3, ("ev_hv", "electrical")),
)
# (code, name, skill code or None for a general bay)
BAYS = (
    ("A01", "举升机1号", None),
    ("A02", "举升机2号", None),
    ("A03", "举升机3号", None),
    ("A04", "举升机4号", None),
    ("A05", "快保工位1", "maintenance"),
    ("A06", "快保工位2", "maintenance"),
    ("B01", "四轮定位", "tyre"),
    ("B02", "诊断工位", None),
    ("C01", "钣金工位", "body"),
    ("C02", "烤漆房1", "paint"),
    ("C03", "烤漆房2", "paint"),
    ("D01", "新能源工位", "ev_hv"),
)
# The demo catalogue's labour operations (demo_catalogue.LABOUR) by the skill they need.
OPERATION_SKILLS = {
    "maintenance": (
        "LB-0101 LB-0102 LB-0103 LB-0104 LB-0105 LB-0106 LB-0107 LB-0108 LB-0109 LB-0110"
        " LB-0111 LB-0112 LB-0113"
    ),
    "tyre": "LB-0201 LB-0202 LB-0203 LB-0204 LB-0205",
    "mechanical": "LB-0114 LB-0301 LB-0302 LB-0303 LB-0304 LB-0305 LB-0401 LB-0402 LB-0403"
    " LB-0502 LB-0503 LB-0504",
    "electrical": "LB-0115 LB-0505 LB-0506",
    "diagnosis": "LB-0501",
    "ev_hv": "LB-0601 LB-0602 LB-0603 LB-0604",
    "body": "LB-0901 LB-0904",
    "paint": "LB-0902 LB-0903",
}
# The skill a history order's job needed, by the order's kind.
KIND_SKILLS = {
    "maintenance": "maintenance",
    "repair": "mechanical",
    "accident": "body",
    "warranty": "mechanical",
    "campaign": "maintenance",
}
# Orders that come in today besides the live flow's: (labour codes, state, what is special)
MORE_TODAY = (
    (("LB-0301", "LB-0303"), S.APPROVED, "waiting"),
    (("LB-0201", "LB-0202"), S.APPROVED, ""),
    (("LB-0501", "LB-0115"), S.APPROVED, ""),
    (("LB-0901", "LB-0902"), S.APPROVED, "partly"),
    (("LB-0101", "LB-0104"), S.DISPATCHED, ""),
    (("LB-0401",), S.DISPATCHED, ""),
    (("LB-0601", "LB-0603"), S.DISPATCHED, ""),
)
REWORK_REASON = "紧固件力矩抽检不合格,返工重新紧固"


def seed(run: DemoRun) -> None:
    started = time.perf_counter()
    floor = seed_floor(run)
    today = seed_today(run, floor)
    history = seed_history(run, floor)
    run.log(
        f"  车间:{len(floor.teams)} 个班组 · {len(floor.technicians)} 名技师"
        f" · {len(floor.bays)} 个工位 · 今日 {today} 项作业 · 历史 {history} 项作业"
        f"({time.perf_counter() - started:.1f} 秒)"
    )
    run.summary.append(f"{Job.objects.count()} 项派工作业")


# --- the floor ---------------------------------------------------------------------------


class Floor:
    """The demo's teams, technicians, bays and skills, loaded once for the steps below."""

    def __init__(self):
        self.skills = Skill.objects.in_bulk(field_name="code")
        self.teams = list(Team.objects.order_by("id"))
        self.technicians = list(
            Technician.objects.select_related("user", "team")
            .prefetch_related("skills")
            .order_by("id")
        )
        self.bays = list(Bay.objects.order_by("code"))
        self.users = get_user_model().objects.in_bulk(
            ["supervisor", "qc", "technician"], field_name="username"
        )

    def with_skill(self, code: str) -> list[Technician]:
        found = [t for t in self.technicians if any(s.code == code for s in t.skills.all())]
        return found or self.technicians

    def bays_for(self, code: str | None) -> list[Bay]:
        skill = self.skills.get(code)
        kept = [bay for bay in self.bays if skill is not None and bay.skill_id == skill.pk]
        return kept or [bay for bay in self.bays if bay.skill_id is None]

    def lead_of(self, technician: Technician):
        return technician.team.lead or technician.user


def seed_floor(run: DemoRun) -> Floor:
    """Teams, technicians (users in the technician role), bays, the skills' operations:
    idempotent (found by name, login, code)."""
    skills = Skill.objects.in_bulk(field_name="code")
    operations = LabourOperation.objects.in_bulk(field_name="code")
    role = Group.objects.get(name="technician")
    users = get_user_model()
    with transaction.atomic():
        for code, names in OPERATION_SKILLS.items():
            skills[code].operations.add(*[operations[c] for c in names.split() if c in operations])
        teams = [Team.objects.get_or_create(name=name)[0] for name, _skills in TEAMS]
        for login, name, team_index, skill_codes in TECHNICIANS:
            user, created = users.objects.get_or_create(
                username=login, defaults={"display_name": name}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(role)
            technician, made = Technician.objects.get_or_create(
                user=user, defaults={"team": teams[team_index]}
            )
            if made:
                technician.skills.set([skills[code] for code in skill_codes])
            team = teams[team_index]
            if team.lead_id is None:
                team.lead = user
                team.save(update_fields=["lead", "updated_at"])
        for code, name, skill in BAYS:
            Bay.objects.get_or_create(
                code=code, defaults={"name": name, "skill": skills.get(skill)}
            )
    return Floor()


# --- rows --------------------------------------------------------------------------------------


def _answers(kind: str, skill: Skill | None, items: list[CheckItem], *, ok=True) -> list[dict]:
    return [
        {"item": item.pk, "text": item.text, "ok": ok or index > 0, "note": ""}
        for index, item in enumerate(items)
        if item.kind == kind and item.skill_id in (None, skill.pk if skill else None)
    ]


class JobWriter:
    """Collects the rows of finished or live jobs and writes them in bulk."""

    def __init__(self, floor: Floor, rng: random.Random):
        self.floor, self.rng = floor, rng
        self.items = list(CheckItem.objects.filter(active=True).order_by("kind", "order", "id"))
        self.jobs, self.lines, self.extra = [], [], []

    def add(
        self,
        *,
        order_id,
        lines,
        technician,
        skill,
        status,
        assigned_at,
        hours,
        worked,
        stretches,
        started_at=None,
        finished_at=None,
        pause_reason="",
        is_rework=False,
        checks=(),
    ):
        bay = self.rng.choice(self.floor.bays_for(skill.code if skill else None))
        self.jobs.append(
            {
                "created_at": assigned_at,
                "updated_at": finished_at or assigned_at,
                "work_order_id": order_id,
                "team_id": technician.team_id,
                "technician_id": technician.pk,
                "bay_id": bay.pk,
                "skill_id": skill.pk if skill else None,
                "status": status,
                "pause_reason": pause_reason,
                "standard_hours": hours,
                "worked_seconds": worked,
                "is_rework": is_rework,
                "assigned_by_id": self.floor.users["supervisor"].pk,
                "assigned_at": assigned_at,
                "started_at": started_at,
                "finished_at": finished_at,
            }
        )
        self.extra.append((lines, technician, bay, stretches, checks, order_id))

    def write(self) -> int:
        ids = insert_many(Job, self.jobs, returning_ids=True)
        links, assignments, clocks, checks = [], [], [], []
        supervisor = self.floor.users["supervisor"].pk
        for job_id, job, (lines, technician, bay, stretches, job_checks, order_id) in zip(
            ids, self.jobs, self.extra, strict=True
        ):
            links += [{"job_id": job_id, "line_id": line, "active": True} for line in lines]
            assignments.append(
                {
                    "job_id": job_id,
                    "team_id": technician.team_id,
                    "technician_id": technician.pk,
                    "bay_id": bay.pk,
                    "reason": "",
                    "by_id": supervisor,
                    "at": job["assigned_at"],
                }
            )
            for start, end, reason in stretches:
                clocks.append(
                    {
                        "job_id": job_id,
                        "technician_id": technician.pk,
                        "started_at": start,
                        "ended_at": end,
                        "end_reason": reason,
                    }
                )
            for kind, passed, by, at, answers, reason in job_checks:
                checks.append(
                    {
                        "work_order_id": order_id,
                        # A self check is the job's; a failed team or final check names
                        # the job it sent back (services_floor._send_back), a passed one
                        # is the order's.
                        "job_id": job_id if kind == CheckItem.Kind.SELF or not passed else None,
                        "technician_id": None if passed else technician.pk,
                        "team_id": None if passed else technician.team_id,
                        "kind": kind,
                        "passed": passed,
                        "answers": answers,
                        "reason": reason,
                        "by_id": by,
                        "at": at,
                    }
                )
        insert_many(JobLine, links)
        insert_many(JobAssignment, assignments)
        insert_many(JobClock, clocks)
        insert_many(Check, _json_ready(checks))
        count = len(self.jobs)
        self.jobs, self.extra = [], []
        return count

    def finished(
        self, *, order_id, lines, hours, skill, assigned_at, done_at, checks_at, detailed: bool
    ):
        """A job finished by `done_at`: one stretch, or two around a break; its self check
        at `done_at`, the team-lead and final checks at `checks_at` (two moments, None for a
        check not made yet)."""
        rng = self.rng
        technician = rng.choice(self.floor.with_skill(skill.code if skill else "maintenance"))
        worked = int(float(hours or Decimal("0.5")) * 3600 * rng.uniform(0.7, 1.35))
        start = max(assigned_at + dt.timedelta(minutes=10), done_at - dt.timedelta(seconds=worked))
        worked = int((done_at - start).total_seconds())
        stretches = [(start, done_at, "finish")]
        if worked > 3600 and rng.random() < 0.3:  # a break in the middle
            middle = start + dt.timedelta(seconds=worked // 2)
            back = middle + dt.timedelta(minutes=15)
            if back < done_at:
                stretches = [(start, middle, "break"), (back, done_at, "finish")]
                worked -= 15 * 60
        reworked = rng.random() < REWORK_SHARE
        lead = self.floor.lead_of(technician).pk
        qc = self.floor.users["qc"].pk
        team_at, final_at = checks_at
        answers = {
            kind: _answers(kind, skill, self.items) if detailed else []
            for kind in CheckItem.Kind.values
        }
        checks = [(CheckItem.Kind.SELF, True, technician.user_id, done_at, answers["self"], "")]
        reworked = reworked and team_at is not None
        if reworked:
            failed = done_at + (team_at - done_at) / 3
            failed_answers = _answers("team", skill, self.items, ok=False) if detailed else []
            checks.append((CheckItem.Kind.TEAM, False, lead, failed, failed_answers, REWORK_REASON))
        if team_at is not None:
            checks.append((CheckItem.Kind.TEAM, True, lead, team_at, answers["team"], ""))
        if final_at is not None:
            checks.append((CheckItem.Kind.FINAL, True, qc, final_at, answers["final"], ""))
        self.add(
            order_id=order_id,
            lines=lines,
            technician=technician,
            skill=skill,
            status=J.FINISHED,
            assigned_at=assigned_at,
            hours=hours,
            worked=worked,
            stretches=stretches,
            started_at=start,
            finished_at=done_at,
            is_rework=reworked,
            checks=checks,
        )


def _json_ready(checks: list[dict]) -> list[dict]:
    """Check.answers as the database takes it (insert_many sends prepared values)."""
    field = Check._meta.get_field("answers")
    if connection.vendor != "postgresql":
        return checks
    return [row | {"answers": field.get_db_prep_save(row["answers"], connection)} for row in checks]


def _skill_of(floor: Floor, lines: list[WorkOrderLine], known, kind: str) -> Skill | None:
    return services_dispatch.required_skill(lines, known) or floor.skills.get(KIND_SKILLS.get(kind))


# --- history -----------------------------------------------------------------------------------


def seed_history(run: DemoRun, floor: Floor) -> int:
    """A finished job for every settled or delivered order of the system that has none."""
    rng = run.rng("workshop-history")
    writer = JobWriter(floor, rng)
    orders = (
        WorkOrder.objects.filter(
            source=WorkOrder.Source.SYSTEM, status__in=(S.SETTLED, S.DELIVERED)
        )
        .exclude(Exists(Job.objects.filter(work_order=OuterRef("pk"))))
        .order_by("id")
    )
    total, last_id = 0, 0
    while batch := list(
        orders.filter(id__gt=last_id).values_list(
            "id", "kind", "opened_at", "delivered_at", "inspection__id"
        )[:BATCH]
    ):
        last_id = batch[-1][0]
        ids = [row[0] for row in batch]
        lines_of: dict[int, list[WorkOrderLine]] = {}
        for line in WorkOrderLine.objects.filter(
            work_order_id__in=ids, status=LineStatus.APPROVED
        ).only("id", "work_order_id", "kind", "quantity", "labour_operation_id", "done_at"):
            lines_of.setdefault(line.work_order_id, []).append(line)
        known = services_dispatch.skills_by_operation(
            line.labour_operation_id
            for lines in lines_of.values()
            for line in lines
            if line.labour_operation_id
        )
        moves = _moves(ids)
        with transaction.atomic():
            for order_id, kind, opened, delivered, inspection in batch:
                lines = lines_of.get(order_id, [])
                labour = [line for line in lines if line.kind == WorkOrderLine.Kind.LABOUR]
                job_lines = labour or lines
                if not job_lines:
                    continue
                times = moves.get(order_id, {})
                delivered = delivered or run.now
                done = times.get("self_check") or opened + (delivered - opened) * 0.6
                writer.finished(
                    order_id=order_id,
                    lines=[line.pk for line in job_lines],
                    hours=services_dispatch.standard_hours(labour),
                    skill=_skill_of(floor, labour, known, kind),
                    assigned_at=times.get("dispatch") or opened + (done - opened) * 0.15,
                    done_at=done,
                    checks_at=(
                        times.get("team_check") or done + (delivered - done) * 0.2,
                        times.get("final_qc") or done + (delivered - done) * 0.4,
                    ),
                    detailed=inspection is not None,
                )
            total += writer.write()
        run.log(f"  历史派工作业 {total} 项")
    return total


def _moves(order_ids) -> dict[int, dict[str, dt.datetime]]:
    """When each order of the live flow made each move (the bulk history has none)."""
    found: dict[int, dict[str, dt.datetime]] = {}
    for order_id, transition, at in StatusChange.objects.filter(
        work_order_id__in=order_ids
    ).values_list("work_order_id", "transition", "at"):
        found.setdefault(order_id, {}).setdefault(transition, at)
    return found


# --- today -------------------------------------------------------------------------------------

FINISHED_FROM = (S.SELF_CHECKED, S.TEAM_CHECKED, S.QC_PASSED, S.WASHED, S.READY)


def seed_today(run: DemoRun, floor: Floor) -> int:
    """Jobs for today's orders (see the module's docstring), once."""
    start = day_start(run.today)
    if Job.objects.filter(assigned_at__gte=start).exists():
        return 0
    rng = run.rng("workshop-today")
    writer = JobWriter(floor, rng)
    made = 0
    with transaction.atomic():
        made += _live_flow_jobs(run, floor, writer, start)
        made += _history_in_workshop(run, floor, writer, start)
        made += writer.write()
    made += _more_orders(run, floor, rng)
    return made


def _live_flow_jobs(run, floor, writer: JobWriter, start) -> int:
    """The live flow's orders of today (made through the services: they have moves)."""
    technician = next(t for t in floor.technicians if t.user.username == "technician")
    orders = WorkOrder.objects.filter(
        opened_at__gte=start, status__in=(S.DISPATCHED, S.IN_PROGRESS, *FINISHED_FROM)
    ).filter(Exists(StatusChange.objects.filter(work_order=OuterRef("pk"))))
    orders = list(orders.exclude(Exists(Job.objects.filter(work_order=OuterRef("pk")))))
    moves = _moves([order.pk for order in orders])
    for order in orders:
        lines = list(order.lines.filter(status=LineStatus.APPROVED, done_at__isnull=True)) or list(
            order.lines.filter(status=LineStatus.APPROVED)
        )
        labour = [line for line in lines if line.kind == WorkOrderLine.Kind.LABOUR] or lines
        skill = _skill_of(floor, labour, None, order.kind)
        times = moves[order.pk]
        hours = services_dispatch.standard_hours(labour)
        if order.status in FINISHED_FROM:
            writer.finished(
                order_id=order.pk,
                lines=[line.pk for line in labour],
                hours=hours,
                skill=skill,
                assigned_at=times["dispatch"],
                done_at=times["self_check"] - dt.timedelta(minutes=2),
                checks_at=(times.get("team_check"), times.get("final_qc")),
                detailed=True,
            )
            continue
        # Worked by the demo login 王师傅 (his tablet): waiting, or paused for the customer's
        # approval of the added item (demo_live's 维修中 order).
        started = times.get("start")
        paused = started and started + (run.now - started) / 2
        writer.add(
            order_id=order.pk,
            lines=[line.pk for line in labour],
            technician=technician,
            skill=skill,
            status=J.PAUSED if started else J.ASSIGNED,
            pause_reason=Job.PauseReason.APPROVAL if started else "",
            assigned_at=times["dispatch"],
            hours=hours,
            worked=int((paused - started).total_seconds()) if started else 0,
            stretches=[(started, paused, Job.PauseReason.APPROVAL)] if started else [],
            started_at=started,
        )
    return 0


def _history_in_workshop(run, floor, writer: JobWriter, start) -> int:
    """Cars the history left in the workshop (维修中 with no moves): opened today, being
    worked on (one job a technician, then queued); opened before, waiting for parts."""
    orders = list(
        WorkOrder.objects.filter(status=S.IN_PROGRESS, source=WorkOrder.Source.SYSTEM)
        .exclude(Exists(StatusChange.objects.filter(work_order=OuterRef("pk"))))
        .exclude(Exists(Job.objects.filter(work_order=OuterRef("pk"))))
        .order_by("opened_at", "id")
    )
    busy = set()
    for order in orders:
        labour = list(order.lines.filter(kind=WorkOrderLine.Kind.LABOUR)) or list(order.lines.all())
        if not labour:
            continue
        skill = _skill_of(floor, labour, None, order.kind)
        hours = services_dispatch.standard_hours(labour)
        candidates = floor.with_skill(skill.code if skill else "maintenance")
        technician = next(
            (t for t in candidates if t.pk not in busy), writer.rng.choice(candidates)
        )
        assigned = min(order.opened_at + dt.timedelta(minutes=20), run.now)
        common = {
            "order_id": order.pk,
            "lines": [line.pk for line in labour],
            "technician": technician,
            "skill": skill,
            "assigned_at": assigned,
            "hours": hours,
        }
        if order.opened_at < start:  # since yesterday: the part has not come
            began = assigned + dt.timedelta(minutes=10)
            stopped = began + dt.timedelta(minutes=40)
            writer.add(
                **common,
                status=J.PAUSED,
                pause_reason=Job.PauseReason.PARTS,
                worked=40 * 60,
                stretches=[(began, stopped, Job.PauseReason.PARTS)],
                started_at=began,
            )
        elif technician.pk not in busy and assigned < run.now:
            busy.add(technician.pk)
            began = min(assigned + dt.timedelta(minutes=10), run.now)
            writer.add(
                **common,
                status=J.IN_PROGRESS,
                worked=0,
                stretches=[(began, None, "")],
                started_at=began,
            )
        else:
            writer.add(**common, status=J.ASSIGNED, worked=0, stretches=[])
    return 0


def _free_vehicles(run: DemoRun, count: int) -> list[Vehicle]:
    """Vehicles with an owner and no order today (a new visit each)."""
    today = day_start(run.today)
    ids = list(
        Vehicle.objects.filter(owner__isnull=False, sale_date__lt=run.today)
        .exclude(Exists(WorkOrder.objects.filter(vehicle=OuterRef("pk"), opened_at__gte=today)))
        .order_by("-id")
        .values_list("id", flat=True)[: count * 20]
    )
    chosen = run.rng("workshop-vehicles").sample(ids, min(count, len(ids)))
    return list(Vehicle.objects.select_related("owner").filter(pk__in=chosen).order_by("id"))


def _more_orders(run: DemoRun, floor: Floor, rng: random.Random) -> int:
    """More of today's orders through the services: waiting on the dispatch board, or
    dispatched by the supervisor (job_dispatch); backdated to earlier today."""
    vehicles = _free_vehicles(run, len(MORE_TODAY))
    if len(vehicles) < len(MORE_TODAY):
        return 0
    crew = demo_live.crew()
    operations = LabourOperation.objects.in_bulk(field_name="code")
    first, last = demo_live.today_window(run.now)
    made = 0
    for index, ((codes, status, special), vehicle) in enumerate(
        zip(MORE_TODAY, vehicles, strict=True)
    ):
        lines = [
            services.line_from_labour_operation(operations[c]) for c in codes if c in operations
        ]
        if not lines:
            continue
        opened = first + (last - first) * ((index + 0.5) / len(MORE_TODAY))
        order = order_take_to(
            S.APPROVED,
            crew=crew,
            vehicle=vehicle,
            lines=lines,
            kind=WorkOrder.Kind.REPAIR,
            promised_at=run.now + dt.timedelta(minutes=rng.randint(120, 360)),
            signed=True,
        )
        if special == "waiting":
            WorkOrder.objects.filter(pk=order.pk).update(customer_waiting=True)
        labour = list(order.lines.filter(kind=WorkOrderLine.Kind.LABOUR).order_by("id"))
        if status == S.DISPATCHED or special == "partly":
            picked = labour[:1] if special == "partly" else labour
            skill = services_dispatch.required_skill(picked)
            technician = rng.choice(floor.with_skill(skill.code if skill else "maintenance"))
            job = services_dispatch.job_dispatch(
                work_order=order,
                lines=picked,
                technician=technician,
                bay=rng.choice(floor.bays_for(skill.code if skill else None)),
                by=crew.supervisor,
            )
            made += 1
        backdate(order, opened_at=opened, last_at=opened + (run.now - opened) / 2)
        if status == S.DISPATCHED or special == "partly":
            dispatched = StatusChange.objects.filter(work_order=order, transition="dispatch")
            at = dispatched.values_list("at", flat=True).first() or opened + (run.now - opened) / 2
            Job.objects.filter(pk=job.pk).update(created_at=at, assigned_at=at, updated_at=at)
            JobAssignment.objects.filter(job=job).update(at=at)
    return made
