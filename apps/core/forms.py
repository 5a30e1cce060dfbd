import datetime as dt
import re

from django import forms
from django.db import models

from .models import AreaSettings, CalendarDay, CalendarYear

# Our own wording for every error a settings field can show; Django's defaults ("确保该值…",
# "输入一个整数。") never reach a user. Only the keys a field knows are applied.
FIELD_ERRORS = {
    "required": "请填写此项。",
    "min_value": "不能小于 %(limit_value)s。",
    "max_value": "不能大于 %(limit_value)s。",
    "max_digits": "数字太长:最多 %(max)s 位。",
    "max_decimal_places": "最多 %(max)s 位小数。",
    "max_whole_digits": "整数部分最多 %(max)s 位。",
    "max_length": "最多 %(limit_value)d 个字符(现在 %(show_value)d 个)。",
    "empty": "上传的文件是空的。",
    "missing": "没有收到文件,请重新选择。",
    "contradiction": "请上传新文件或勾选清除,不要同时进行。",
}
INVALID_BY_FIELD = {  # the first class that matches wins: DecimalField is an IntegerField
    forms.DecimalField: "请填写数字。",
    forms.IntegerField: "请填写整数。",
    forms.TimeField: "请按 时:分 填写时间,如 08:30。",
    forms.DateField: "请按 年-月-日 填写日期,如 2027-10-01。",
    forms.FileField: "上传的不是文件,请重新选择。",
}


def use_chinese_errors(field: forms.Field) -> forms.Field:
    field.error_messages.update(
        {key: message for key, message in FIELD_ERRORS.items() if key in field.error_messages}
    )
    for field_class, message in INVALID_BY_FIELD.items():
        if isinstance(field, field_class):
            field.error_messages["invalid"] = message
            break
    return field


def _settings_formfield(model_field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(model_field, models.TimeField):
        kwargs["widget"] = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    field = model_field.formfield(**kwargs)
    return use_chinese_errors(field) if field else None


def area_settings_form(model: type[AreaSettings], row: AreaSettings, data=None, files=None):
    """One area's section of the settings page: its editable fields in model order.

    Each form has its own prefix (the model's label), so two areas may one day use the same
    field name; saving runs the area's `clean()` through the model's validation.
    """
    form_class = forms.modelform_factory(
        model,
        fields=[
            field.name for field in model._meta.fields if field.editable and not field.primary_key
        ],
        formfield_callback=_settings_formfield,
    )
    return form_class(data, files, instance=row, prefix=model._meta.label_lower.replace(".", "-"))


# --- the working-day calendar ----------------------------------------------------------------


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            use_chinese_errors(field)


class CalendarRangeForm(forms.Form):
    """One line of the State Council's notice: a name, 放假 or 调休上班, and its dates."""

    name = forms.CharField(label="名称", max_length=30)
    # A blank first choice: an unused blank line posts nothing and is skipped.
    kind = forms.ChoiceField(label="类型", choices=[("", "—"), *CalendarDay.Kind.choices])
    first_day = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(
        label="结束日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="只有一天时可不填",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            use_chinese_errors(field)
        self.fields["kind"].error_messages["invalid_choice"] = "请选择 放假 或 调休上班。"

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "结束日期不能早于开始日期。")
        return cleaned

    def days(self) -> list[tuple[dt.date, str, str]]:
        """The line as (date, kind, name), one per day."""
        first = self.cleaned_data["first_day"]
        last = self.cleaned_data.get("last_day") or first
        kind, name = self.cleaned_data["kind"], self.cleaned_data["name"]
        return [(first + dt.timedelta(days=n), kind, name) for n in range((last - first).days + 1)]


# Blank lines under the entered ones: a notice has about ten lines; add more after a save.
CalendarRangeFormSet = forms.formset_factory(CalendarRangeForm, extra=4, can_delete=True)


def calendar_days(formset) -> list[tuple[dt.date, str, str]]:
    """Every day of a valid formset's filled lines that are not marked for deletion."""
    return [
        day
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
        for day in form.days()
    ]


def ranges_of(days: list[tuple[dt.date, str, str]]) -> list[dict]:
    """Consecutive days of one kind and name as one line, the way the notice writes them;
    the package's "(补假)" days join their festival's line."""
    lines = []
    for day, kind, name in sorted(days):
        name = re.split(r"[（(]", name)[0].strip()
        last = lines[-1] if lines else None
        if (
            last
            and last["kind"] == kind
            and last["name"] == name
            and last["last_day"] + dt.timedelta(days=1) == day
        ):
            last["last_day"] = day
        else:
            lines.append({"name": name, "kind": kind, "first_day": day, "last_day": day})
    return lines
