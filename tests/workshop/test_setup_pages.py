"""车间设置: managers keep teams (with a lead), technicians (account, team, skills, working
hours), bays, skills (with the labour operations that need them) and checklists; refusals
in Chinese and nothing written; the supervisor reads but does not edit."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.workshop.models import Bay, CheckItem, Skill, Team, Technician
from tests.factories.accounts import UserFactory
from tests.factories.workorders import LabourOperationFactory
from tests.factories.workshop import BayFactory, TeamFactory, TechnicianFactory, skill

pytestmark = pytest.mark.django_db


def _technician_user(**fields):
    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name="technician"))
    return user


def test_a_manager_creates_a_team_with_a_technician_as_its_lead(role_client):
    lead = _technician_user(display_name="周班长")

    response = role_client("manager").post(
        reverse("workshop:team_create"), {"name": " 机修一组 ", "lead": lead.pk, "active": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("workshop:team_list")
    team = Team.objects.get()
    assert (team.name, team.lead, team.active) == ("机修一组", lead, True)


def test_a_team_name_taken_is_refused_in_chinese_and_nothing_is_added(role_client):
    TeamFactory(name="机修一组")

    response = role_client("manager").post(reverse("workshop:team_create"), {"name": "机修一组"})

    assert response.status_code == 422
    assert "班组“机修一组”已存在。" in response.content.decode()
    assert Team.objects.count() == 1


def test_a_lead_must_be_a_technician_account(role_client):
    advisor = UserFactory()

    response = role_client("manager").post(
        reverse("workshop:team_create"), {"name": "电器组", "lead": advisor.pk}
    )

    assert response.status_code == 422
    assert "班组长的选项无效" in response.content.decode()
    assert not Team.objects.exists()


def test_a_manager_registers_a_technician_with_skills_and_own_hours(role_client):
    team = TeamFactory()
    user = _technician_user()

    response = role_client("manager").post(
        reverse("workshop:technician_create"),
        {
            "user": user.pk,
            "team": team.pk,
            "skills": [skill("mechanical").pk, skill("electrical").pk],
            "starts_at": "09:00",
            "ends_at": "17:30",
            "active": "on",
        },
    )

    assert response.status_code == 302
    technician = Technician.objects.get()
    assert (technician.user, technician.team) == (user, team)
    assert {s.code for s in technician.skills.all()} == {"mechanical", "electrical"}
    assert (technician.starts_at, technician.ends_at) == (dt.time(9, 0), dt.time(17, 30))


def test_working_hours_must_end_after_they_start_and_come_in_pairs(role_client):
    team, user = TeamFactory(), _technician_user()
    client = role_client("manager")
    url = reverse("workshop:technician_create")

    backwards = client.post(
        url, {"user": user.pk, "team": team.pk, "starts_at": "17:00", "ends_at": "09:00"}
    )
    half = client.post(url, {"user": user.pk, "team": team.pk, "starts_at": "09:00"})

    assert "下班时间必须晚于上班时间。" in backwards.content.decode()
    assert "上班和下班时间请同时填写" in half.content.decode()
    assert not Technician.objects.exists()


def test_an_account_is_a_technician_once_and_the_form_offers_only_free_technician_accounts(
    role_client,
):
    registered = TechnicianFactory()
    free = _technician_user(display_name="新技师")
    UserFactory(display_name="顾问甲")  # no technician role: not offered
    client = role_client("manager")

    page = client.get(reverse("workshop:technician_create")).content.decode()
    refused = client.post(
        reverse("workshop:technician_create"),
        {"user": registered.user.pk, "team": registered.team.pk},
    )

    assert f'<option value="{free.pk}">新技师' in page
    assert "顾问甲" not in page
    assert f'value="{registered.user.pk}"' not in page
    assert refused.status_code == 422
    assert Technician.objects.count() == 1


def test_a_manager_edits_a_technician_taking_away_a_skill(role_client):
    technician = TechnicianFactory(skills=["mechanical", "paint"])

    response = role_client("manager").post(
        reverse("workshop:technician_update", args=[technician.pk]),
        {
            "user": technician.user.pk,
            "team": technician.team.pk,
            "skills": [skill("mechanical").pk],
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert [s.code for s in technician.skills.all()] == ["mechanical"]


def test_a_bay_code_is_kept_in_capitals_and_once(role_client):
    BayFactory(code="A01")
    client = role_client("manager")

    created = client.post(
        reverse("workshop:bay_create"),
        {"code": "p 1", "name": "烤漆房", "skill": skill("paint").pk, "active": "on"},
    )
    taken = client.post(reverse("workshop:bay_create"), {"code": "a01", "name": "举升机"})

    assert created.status_code == 302
    assert Bay.objects.get(code="P1").skill == skill("paint")
    assert taken.status_code == 422
    assert "工位号 A01 已存在。" in taken.content.decode()
    assert Bay.objects.count() == 2


def test_a_skill_names_the_labour_operations_that_need_it(role_client):
    operation = LabourOperationFactory(name="更换刹车片(前)")

    response = role_client("manager").post(
        reverse("workshop:skill_create"),
        {"code": "Brakes", "name": "制动", "order": 9, "operations": [operation.pk]},
    )

    assert response.status_code == 302
    created = Skill.objects.get(code="brakes")
    assert list(created.operations.all()) == [operation]


def test_a_manager_adds_a_final_check_item_for_electric_cars(role_client):
    response = role_client("manager").post(
        reverse("workshop:checkitem_create"),
        {
            "kind": "final",
            "skill": skill("ev_hv").pk,
            "text": "充电口盖复位",
            "order": 50,
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert CheckItem.objects.filter(kind="final", skill__code="ev_hv", text="充电口盖复位").exists()


def test_the_checklists_list_filters_by_kind(role_client):
    page = role_client("manager").get(reverse("workshop:checkitem_list"), {"kind": "team"})

    body = page.content.decode()
    assert "紧固件力矩抽检合格" in body  # a seeded team-lead item
    assert "保养灯已复位" not in body  # a seeded self-check item


def test_the_supervisor_reads_the_technicians_but_cannot_change_one(role_client):
    technician = TechnicianFactory(skills=["tyre"], user__display_name="钱师傅")
    client = role_client("supervisor")

    listed = client.get(reverse("workshop:technician_list")).content.decode()
    refused = client.post(
        reverse("workshop:technician_update", args=[technician.pk]),
        {"user": technician.user.pk, "team": technician.team.pk, "active": ""},
    )

    assert "钱师傅" in listed and "轮胎与四轮定位" in listed
    assert "新建技师" not in listed and "编辑" not in listed
    assert refused.status_code == 403
    technician.refresh_from_db()
    assert technician.active
