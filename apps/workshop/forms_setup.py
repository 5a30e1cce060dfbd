"""Forms of the floor's master data: they validate input; services_setup.py writes."""

from django import forms

from apps.core.form_messages import OwnMessagesMixin, UniqueByDatabaseMixin
from apps.workorders.models import LabourOperation

from .models import Bay, CheckItem, Skill, Team, Technician
from .services_setup import technician_role_users

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user}({user.username})"


class TeamForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "lead", "active"]
        field_classes = {"lead": UserChoiceField}
        help_texts = {"lead": "班组长负责本组作业的检验,须为维修技师账号。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = technician_role_users().order_by("username")
        self.fields["lead"].empty_label = "(暂无)"


class TechnicianForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = Technician
        fields = ["user", "team", "skills", "starts_at", "ends_at", "active"]
        field_classes = {"user": UserChoiceField}
        widgets = {
            "skills": forms.CheckboxSelectMultiple,
            "starts_at": TIME_INPUT,
            "ends_at": TIME_INPUT,
        }
        help_texts = {
            "user": "须为拥有“维修技师”角色的账号(账号由系统管理员创建)。",
            "starts_at": "留空:按经销商营业时间。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = technician_role_users().order_by("username")
        if self.instance.pk:
            users = users.filter(technician__isnull=True) | users.filter(pk=self.instance.user_id)
        else:
            users = users.filter(technician__isnull=True)
        self.fields["user"].queryset = users.distinct()
        self.fields["team"].queryset = Team.objects.filter(active=True) | Team.objects.filter(
            pk=self.instance.team_id
        )
        self.fields["skills"].queryset = Skill.objects.order_by("order", "code")


class BayForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = Bay
        fields = ["code", "name", "skill", "active"]
        help_texts = {"skill": "留空为通用工位;指定后,其他技能的作业派到此工位需主任确认。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].empty_label = "(通用)"


class SkillForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["code", "name", "order", "operations"]
        widgets = {"operations": forms.CheckboxSelectMultiple}
        help_texts = {
            "code": "英文小写,如 mechanical。",
            "operations": "派工时按工单项目对应的技能,检查技师是否具备。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operations"].queryset = LabourOperation.objects.filter(active=True).order_by(
            "code"
        )


class CheckItemForm(OwnMessagesMixin, forms.ModelForm):
    class Meta:
        model = CheckItem
        fields = ["kind", "skill", "text", "order", "active"]
        help_texts = {"skill": "留空:适用于所有作业。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].empty_label = "(所有作业)"
