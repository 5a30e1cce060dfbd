"""Forms of the dispatch board: they validate what the supervisor posted against the choices
the board offered (ids), the view turns ids into rows, services_dispatch.py writes.

The board renders its selects itself (templatetags/workshop.py `options`): twenty orders
with a select of every technician each would cost hundreds of widget templates."""

from django import forms

from apps.core.form_messages import OwnMessagesMixin

REASON_LENGTH = 200


def _ids(rows) -> list[tuple[int, str]]:
    return [(row.pk, str(row)) for row in rows]


class _Assignment(OwnMessagesMixin, forms.Form):
    technician = forms.TypedChoiceField(label="技师", coerce=int)
    bay = forms.TypedChoiceField(label="工位", coerce=int, required=False, empty_value=None)
    confirm_mismatch = forms.BooleanField(label="技能不符,仍然派工", required=False)

    def __init__(self, data, *, technicians, bays):
        super().__init__(data)
        self.fields["technician"].choices = _ids(technicians)
        self.fields["bay"].choices = [("", "不指定工位"), *_ids(bays)]


class DispatchForm(_Assignment):
    lines = forms.TypedMultipleChoiceField(label="项目", coerce=int)
    skill = forms.TypedChoiceField(label="技能", coerce=int, required=False, empty_value=None)

    field_order = ["lines", "technician", "bay", "skill", "confirm_mismatch"]

    def __init__(self, data, *, lines, technicians, bays, skills):
        super().__init__(data, technicians=technicians, bays=bays)
        self.fields["lines"].choices = [(line.pk, line.description) for line in lines]
        self.fields["lines"].error_messages["required"] = "请勾选要派工的项目。"
        self.fields["skill"].choices = [("", "按项目自动判断"), *_ids(skills)]


class ReassignForm(_Assignment):
    reason = forms.CharField(label="改派原因", max_length=REASON_LENGTH)


class ReasonForm(OwnMessagesMixin, forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=REASON_LENGTH)
