"""The workshop floor for tests: teams, technicians (users holding the technician role),
bays, and orders dispatched through apps.workshop.services_dispatch.

Skills are seeded by the workshop's migration: `skill("mechanical")` finds one by code.
"""

import factory
from django.contrib.auth.models import Group

from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine
from apps.workshop import services_dispatch
from apps.workshop.models import Bay, Job, Skill, Team, Technician
from tests.factories.accounts import UserFactory
from tests.factories.workorders import flow_user, order_in_state


def skill(code: str) -> Skill:
    """A seeded skill by code: maintenance, mechanical, electrical, body, paint, ev_hv,
    tyre, diagnosis."""
    return Skill.objects.get(code=code)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"机修{n}组")
    lead = None


class TechnicianFactory(factory.django.DjangoModelFactory):
    """A technician: a user in the technician role, in a team, with skills given by code:
    TechnicianFactory(skills=["mechanical", "electrical"]). Hours default to the
    dealership's (empty)."""

    class Meta:
        model = Technician
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            self.user.groups.add(Group.objects.get(name=extracted or "technician"))

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if create and extracted:
            self.skills.set(
                [
                    Skill.objects.get(code=code) if isinstance(code, str) else code
                    for code in extracted
                ]
            )


def team_lead(team: Team, **fields) -> Technician:
    """A technician who leads `team` (team leads are technicians: inspect_workorder)."""
    lead = TechnicianFactory(team=team, **fields)
    team.lead = lead.user
    team.save(update_fields=["lead", "updated_at"])
    return lead


class BayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bay
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"举升机工位{n}")
    skill = None


def supervisor(**fields):
    """A user in the supervisor role (dispatch_workorder)."""
    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name="supervisor"))
    return user


def labour_lines(order: WorkOrder) -> list[WorkOrderLine]:
    return list(
        order.lines.filter(kind=WorkOrderLine.Kind.LABOUR, status=LineStatus.APPROVED).order_by(
            "id"
        )
    )


def dispatched_order(
    *,
    technician: Technician | None = None,
    bay: Bay | None = None,
    by=None,
    order: WorkOrder | None = None,
    confirm_mismatch: bool = True,
    **order_fields,
) -> tuple[WorkOrder, Job]:
    """An approved order (`order`, or order_in_state(APPROVED, **order_fields): one labour
    line and one part by default) dispatched whole through job_dispatch: every approved
    line in one job for `technician` (default: a new one) at `bay` (default: a new one), by
    `by` (a supervisor; default: a superuser, who also makes the order). The order is then
    已派工. Call under time_machine."""
    maker = flow_user()
    by = by or maker
    order = order or order_in_state(WorkOrder.Status.APPROVED, by=maker, **order_fields)
    lines = list(order.lines.filter(status=LineStatus.APPROVED).order_by("id"))
    job = services_dispatch.job_dispatch(
        work_order=order,
        lines=lines,
        technician=technician or TechnicianFactory(),
        bay=bay if bay is not None else BayFactory(),
        by=by,
        confirm_mismatch=confirm_mismatch,
    )
    order.refresh_from_db()
    return order, job
