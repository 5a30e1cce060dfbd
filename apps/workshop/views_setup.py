"""The floor's master data pages (车间设置: 班组, 技师, 工位, 技能, 检验项目): lists for who may
view them, forms for managers. HTTP, permissions and forms only; services_setup.py writes."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.pagination import keyset_page

from . import services_setup
from .forms_setup import BayForm, CheckItemForm, SkillForm, TeamForm, TechnicianForm
from .models import Bay, CheckItem, Skill, Team, Technician

# Teams, bays and skills are a workshop's handful (a big one: 10 teams, 40 bays): one page,
# bounded so that a mistake cannot make it unbounded.
SMALL_LIST_LIMIT = 200


@dataclass(frozen=True)
class Setup:
    """One kind of master data: its model, form, writer and the words of its pages."""

    key: str
    noun: str
    model: type
    form: type
    list_url: str

    def save(self, form, by):
        instance = form.save(commit=False)
        data = form.cleaned_data
        if self.model is Technician:
            return services_setup.technician_save(technician=instance, skills=data["skills"], by=by)
        if self.model is Skill:
            return services_setup.skill_save(skill=instance, operations=data["operations"], by=by)
        writer = {
            Team: lambda: services_setup.team_save(team=instance, by=by),
            Bay: lambda: services_setup.bay_save(bay=instance, by=by),
            CheckItem: lambda: services_setup.check_item_save(item=instance, by=by),
        }[self.model]
        return writer()


TEAM = Setup("team", "班组", Team, TeamForm, "workshop:team_list")
TECHNICIAN = Setup("technician", "技师", Technician, TechnicianForm, "workshop:technician_list")
BAY = Setup("bay", "工位", Bay, BayForm, "workshop:bay_list")
SKILL = Setup("skill", "技能", Skill, SkillForm, "workshop:skill_list")
CHECK_ITEM = Setup("checkitem", "检验项目", CheckItem, CheckItemForm, "workshop:checkitem_list")


def _form_page(request, setup: Setup, instance):
    form = setup.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = setup.save(form, request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{setup.noun}已保存:{saved}")
            return redirect(setup.list_url)
    title = f"编辑{setup.noun}:{instance}" if instance.pk else f"新建{setup.noun}"
    return render(
        request,
        "workshop/setup_form.html",
        {"form": form, "title": title, "setup": setup},
        status=422 if form.errors else 200,
    )


def _create(setup: Setup):
    @require_perm(f"workshop.add_{setup.key}")
    def view(request):
        return _form_page(request, setup, setup.model())

    view.__name__ = f"{setup.key}_create"
    return view


def _update(setup: Setup):
    @require_perm(f"workshop.change_{setup.key}")
    def view(request, pk):
        return _form_page(request, setup, get_object_or_404(setup.model, pk=pk))

    view.__name__ = f"{setup.key}_update"
    return view


team_create, team_update = _create(TEAM), _update(TEAM)
technician_create, technician_update = _create(TECHNICIAN), _update(TECHNICIAN)
bay_create, bay_update = _create(BAY), _update(BAY)
skill_create, skill_update = _create(SKILL), _update(SKILL)
checkitem_create, checkitem_update = _create(CHECK_ITEM), _update(CHECK_ITEM)


@require_perm("workshop.view_team")
def team_list(request):
    teams = (
        Team.objects.select_related("lead")
        .annotate(members=Count("technicians", filter=Q(technicians__active=True)))
        .order_by("-active", "name")[:SMALL_LIST_LIMIT]
    )
    return render(request, "workshop/team_list.html", {"teams": teams, "tab": "team"})


@require_perm("workshop.view_technician")
def technician_list(request):
    technicians = Technician.objects.select_related("user", "team").prefetch_related(
        Prefetch("skills", queryset=Skill.objects.order_by("order", "code"))
    )
    page = keyset_page(
        technicians,
        order=("id",),
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    return render(request, "workshop/technician_list.html", {"page": page, "tab": "technician"})


@require_perm("workshop.view_bay")
def bay_list(request):
    bays = Bay.objects.select_related("skill").order_by("code")[:SMALL_LIST_LIMIT]
    return render(request, "workshop/bay_list.html", {"bays": bays, "tab": "bay"})


@require_perm("workshop.view_skill")
def skill_list(request):
    skills = Skill.objects.annotate(
        operation_count=Count("operations", distinct=True),
        technician_count=Count("technician", filter=Q(technician__active=True), distinct=True),
    ).order_by("order", "code")[:SMALL_LIST_LIMIT]
    return render(request, "workshop/skill_list.html", {"skills": skills, "tab": "skill"})


@require_perm("workshop.view_checkitem")
def checkitem_list(request):
    kind = request.GET.get("kind", "")
    items = CheckItem.objects.select_related("skill")
    if kind in CheckItem.Kind.values:
        items = items.filter(kind=kind)
    page = keyset_page(
        items,
        order=("kind", "order", "id"),
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    return render(
        request,
        "workshop/checkitem_list.html",
        {"page": page, "tab": "checkitem", "kind": kind, "kinds": CheckItem.Kind.choices},
    )
