"""Keeping the floor's master data (managers): teams with their lead, technicians (account,
team, skills, working hours), bays, skills and the checklists. Each write owns its
transaction; uniqueness is the database's (a refusal names the other record)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core.integrity import violated_constraint
from apps.core.text import normalize_text

from .models import Bay, CheckItem, Skill, Team, Technician

TECHNICIAN_ROLE = "technician"  # the role group whose users may be technicians and team leads


def _permission(by, codename: str, label: str) -> None:
    if by is not None and not by.has_perm(codename):
        raise ValidationError(f"您没有{label}的权限。")


def _save_unique(instance, *, field: str, message: str, m2m: dict | None = None):
    """Save `instance` (and set its many-to-many `m2m` values); a unique violation on
    `field` becomes {field: message}."""
    try:
        with transaction.atomic():
            instance.save()
            for name, values in (m2m or {}).items():
                getattr(instance, name).set(values)
    except IntegrityError as error:
        constraint = violated_constraint(error) or ""
        if field not in constraint:
            raise
        raise ValidationError({field: message}) from None
    return instance


def technician_role_users():
    """Active users in the technician role: who may be a technician or lead a team."""
    return get_user_model().objects.filter(is_active=True, groups__name=TECHNICIAN_ROLE)


def team_save(*, team: Team, by) -> Team:
    _permission(by, "workshop.change_team" if team.pk else "workshop.add_team", "维护班组")
    team.name = normalize_text(team.name)
    if not team.name:
        raise ValidationError({"name": "请填写班组名称。"})
    if team.lead_id and not technician_role_users().filter(pk=team.lead_id).exists():
        raise ValidationError({"lead": "班组长须为在职的维修技师账号。"})
    return _save_unique(team, field="name", message=f"班组“{team.name}”已存在。")


def _check_hours(starts: dt.time | None, ends: dt.time | None) -> None:
    if (starts is None) != (ends is None):
        raise ValidationError(
            {"ends_at": "上班和下班时间请同时填写,或同时留空(按经销商营业时间)。"}
        )
    if starts is not None and ends <= starts:
        raise ValidationError({"ends_at": "下班时间必须晚于上班时间。"})


def technician_save(*, technician: Technician, skills, by) -> Technician:
    """Create or update a technician with their skills. The account must hold the
    technician role; one technician per account."""
    _permission(
        by,
        "workshop.change_technician" if technician.pk else "workshop.add_technician",
        "维护技师",
    )
    if not technician_role_users().filter(pk=technician.user_id).exists():
        raise ValidationError(
            {"user": "该账号不是在职的维修技师,请先由系统管理员分配“维修技师”角色。"}
        )
    _check_hours(technician.starts_at, technician.ends_at)
    return _save_unique(
        technician,
        field="user",
        message="该账号已登记为技师,请在技师列表中修改。",
        m2m={"skills": list(skills)},
    )


def bay_save(*, bay: Bay, by) -> Bay:
    _permission(by, "workshop.change_bay" if bay.pk else "workshop.add_bay", "维护工位")
    bay.code = normalize_text(bay.code).upper().replace(" ", "")
    bay.name = normalize_text(bay.name)
    if not bay.code:
        raise ValidationError({"code": "请填写工位号。"})
    return _save_unique(bay, field="code", message=f"工位号 {bay.code} 已存在。")


def skill_save(*, skill: Skill, operations, by) -> Skill:
    """A skill and the labour operations that need it (dispatch infers a job's skill)."""
    _permission(by, "workshop.change_skill" if skill.pk else "workshop.add_skill", "维护技能")
    skill.code = normalize_text(skill.code).lower().replace(" ", "_")
    skill.name = normalize_text(skill.name)
    if not skill.code or not skill.name:
        raise ValidationError("请填写技能代码和名称。")
    return _save_unique(
        skill,
        field="code",
        message=f"技能代码 {skill.code} 已存在。",
        m2m={"operations": list(operations)},
    )


def check_item_save(*, item: CheckItem, by) -> CheckItem:
    _permission(
        by, "workshop.change_checkitem" if item.pk else "workshop.add_checkitem", "维护检验项目"
    )
    item.text = normalize_text(item.text)
    if not item.text:
        raise ValidationError({"text": "请填写检查项。"})
    item.save()
    return item
