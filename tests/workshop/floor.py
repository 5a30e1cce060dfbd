"""The floor after dispatch, for its tests: orders dispatched through the dispatch
services (apps/workshop/services_dispatch.py, with floor-a's factories of
tests/factories/workshop.py), and the checklists answered."""

import datetime as dt

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.workorders.models import LineStatus, ServiceSettings, WorkOrder, WorkOrderLine
from apps.workshop import services_dispatch
from apps.workshop.models import Bay, Job, JobLine, Skill, Team, Technician
from apps.workshop.services_floor import (
    Answers,
    checklist,
    job_finish,
    job_skill_ids,
    job_start,
    order_skill_ids,
    proposed_item_create,
)
from tests.factories.accounts import UserFactory
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import flow_user, order_in_state, png_bytes
from tests.factories.workshop import TeamFactory, TechnicianFactory


def role_user(*codes, **fields):
    user = UserFactory(**fields)
    user.groups.set(Group.objects.filter(name__in=codes))
    return user


def team(name: str = "机修一组", *, lead=None) -> Team:
    return TeamFactory(name=name, lead=lead)


def technician(*, team_: Team | None = None, skills=("maintenance",), **user_fields) -> Technician:
    """A technician (a user of the technician role) in `team_` (default: a new team) with
    `skills` (codes); `user_fields` go to the user (display_name=…)."""
    extra = {"team": team_} if team_ is not None else {}
    return TechnicianFactory(
        skills=list(skills), **extra, **{f"user__{k}": v for k, v in user_fields.items()}
    )


def dispatched_order(**kwargs) -> WorkOrder:
    """An order the customer approved (one labour line of 1.00 h at 180.00 and one part),
    waiting for `job_for` to dispatch it. Call under time_machine."""
    return order_in_state(WorkOrder.Status.APPROVED, **kwargs)


def job_for(
    order: WorkOrder,
    tech: Technician,
    *,
    lines: list[WorkOrderLine] | None = None,
    bay: Bay | None = None,
    skill: Skill | None = None,
) -> Job:
    """Dispatch `lines` of `order` (default: its approved lines no job holds yet) to
    `tech` through services_dispatch.job_dispatch (by a superuser; the skill inferred
    from the lines unless given; a mismatch confirmed). The order is 已派工 once its
    labour lines are all dispatched."""
    if lines is None:
        held = JobLine.objects.filter(active=True).values("line")
        lines = list(
            order.lines.filter(status=LineStatus.APPROVED).exclude(pk__in=held).order_by("id")
        )
    job = services_dispatch.job_dispatch(
        work_order=order,
        lines=lines,
        technician=tech,
        bay=bay,
        by=flow_user(),
        skill=skill,
        confirm_mismatch=True,
    )
    order.refresh_from_db()
    return job


def all_ticked(kind: str, *, job: Job | None = None, order: WorkOrder | None = None) -> Answers:
    """Every item of the checklist the job (self-check) or the order (team, final) gets,
    ticked 合格."""
    skills = job_skill_ids(job) if job is not None else order_skill_ids(order)
    return Answers(ok=frozenset(item.pk for item in checklist(kind, skills)))


def work(job: Job, tech: Technician, traveller, *, start: dt.datetime, end: dt.datetime) -> None:
    """The technician starts the job at `start` and finishes it at `end`, every self-check
    item ticked (the clock is time-machine's `traveller`)."""
    traveller.move_to(start)
    job_start(job=job, by=tech.user)
    traveller.move_to(end)
    job_finish(job=job, by=tech.user, answers=all_ticked("self", job=job))


def set_wash_step(on: bool) -> None:
    row = current_settings(ServiceSettings)
    row.wash_step = on
    area_settings_save(rows=[row], by=None)


def at(hour: int, minute: int = 0, day: dt.date = dt.date(2026, 7, 1)) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def matrix_floor() -> dict:
    """What the role × page matrix (tests/accounts/test_role_access.py) opens on the floor:
    a dispatched order with one job of a technician in a team, and a proposal of that job
    with a photo. `hand_floor_to` makes the signed-in user that technician and lead."""
    order = dispatched_order()
    tech = technician(team_=team("矩阵班组"))
    job = job_for(order, tech)
    proposal = proposed_item_create(
        job=job,
        by=tech.user,
        description="前刹车片磨损",
        photo=SimpleUploadedFile("brake.png", png_bytes(), content_type="image/png"),
    )
    return {"order": order, "job": job, "proposal": proposal}


def hand_floor_to(user, floor: dict) -> None:
    """The matrix's job becomes `user`'s, and its team `user`'s to lead: a technician opens
    their own job and checks their own team's order; other roles still lack the permission."""
    Technician.objects.filter(pk=floor["job"].technician_id).update(user=user)
    Team.objects.filter(pk=floor["job"].team_id).update(lead=user)
