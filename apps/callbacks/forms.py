"""The call screen's form (one call: its outcome and, when reached, each callback's
questionnaire) and the quick-handling form of a problem (快速处理表); the satisfaction page's
period (满意度统计)."""

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone

from apps.core.calendar import add_months
from apps.core.form_messages import OwnMessagesMixin, own_messages
from apps.core.periods import Period, PeriodForm

from .models import Callback, CallOutcome, Department, Problem
from .questionnaires import SCORE, WORDS, YES_NO, questions_for, visit_conditions
from .services import StatedComplaint

SCORES = [(n, str(n)) for n in (5, 4, 3, 2, 1)]
YES_NO_CHOICES = [("yes", "是"), ("no", "否")]


class CallForm(OwnMessagesMixin, forms.Form):
    """One call of a queue item. Each open callback of the item adds its questions
    (`cb<pk>_<code>`) and a stated complaint (`cb<pk>_complaint`, its department and
    whether it is serious). Scores are required only when the customer was reached."""

    outcome = forms.ChoiceField(
        label="拨打结果", choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    call_back_at = forms.DateTimeField(
        label="约定回拨时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, callbacks, **kwargs):
        super().__init__(*args, **kwargs)
        self.callbacks = callbacks
        self.sections = []  # (callback, [bound question fields], complaint fields)
        for callback in callbacks:
            names = []
            for question in questions_for(callback, visit_conditions(callback)):
                name = f"cb{callback.pk}_{question.code}"
                self.fields[name] = _question_field(question)
                names.append((question, name))
            prefix = f"cb{callback.pk}_"
            self.fields[prefix + "complaint"] = forms.CharField(
                label="客户投诉/抱怨(原话)",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[prefix + "complaint_department"] = forms.ChoiceField(
                label="涉及部门",
                choices=Department.choices,
                initial=_department_of(callback),
                required=False,
            )
            self.fields[prefix + "complaint_serious"] = forms.BooleanField(
                label="严重", required=False
            )
            self.sections.append((callback, names, prefix))
        for name, field in self.fields.items():
            field.error_messages = {
                **field.error_messages,
                **own_messages(field, str(field.label or name)),
            }

    def section_fields(self):
        """Per callback: the callback, its question rows (question, bound field), and its
        complaint fields — what the template lays out."""
        for callback, names, prefix in self.sections:
            yield {
                "callback": callback,
                "questions": [(question, self[name]) for question, name in names],
                "complaint": self[prefix + "complaint"],
                "department": self[prefix + "complaint_department"],
                "serious": self[prefix + "complaint_serious"],
            }

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == CallOutcome.REACHED:
            for _callback, names, _prefix in self.sections:
                for question, name in names:
                    if question.kind == SCORE and data.get(name) in (None, ""):
                        self.add_error(name, f"请为“{question.text}”打分。")
        if outcome == CallOutcome.CALL_BACK:
            back = data.get("call_back_at")
            if back is None:
                self.add_error("call_back_at", "请填写约定回拨时间。")
            elif back <= timezone.now():
                self.add_error("call_back_at", "约定回拨时间必须晚于现在。")
        return data

    def answers(self) -> dict[int, dict[str, object]]:
        result = {}
        for callback, names, _prefix in self.sections:
            given = {}
            for question, name in names:
                value = self.cleaned_data.get(name)
                if value in (None, ""):
                    continue
                given[question.code] = value == "yes" if question.kind == YES_NO else value
            result[callback.pk] = given
        return result

    def complaints(self) -> dict[int, StatedComplaint]:
        result = {}
        for callback, _names, prefix in self.sections:
            text = (self.cleaned_data.get(prefix + "complaint") or "").strip()
            if text:
                result[callback.pk] = StatedComplaint(
                    text=text,
                    department=self.cleaned_data.get(prefix + "complaint_department")
                    or _department_of(callback),
                    serious=bool(self.cleaned_data.get(prefix + "complaint_serious")),
                )
        return result


def _question_field(question) -> forms.Field:
    if question.kind == SCORE:
        return forms.TypedChoiceField(
            label=question.text,
            choices=SCORES,
            coerce=int,
            required=False,
            empty_value=None,
            widget=forms.RadioSelect,
        )
    if question.kind == YES_NO:
        return forms.ChoiceField(
            label=question.text, choices=YES_NO_CHOICES, required=False, widget=forms.RadioSelect
        )
    assert question.kind == WORDS
    # Rendered under the question's own heading: the textarea names it for screen readers.
    attrs = {"rows": 2, "class": "form-control", "aria-label": question.text}
    return forms.CharField(label=question.text, required=False, widget=forms.Textarea(attrs))


def _department_of(callback) -> str:
    return (
        Department.SALES
        if callback.sales_file_id and not callback.work_order_id
        else (Department.WORKSHOP)
    )


class ProblemHandleForm(OwnMessagesMixin, forms.ModelForm):
    """快速处理表: the responsible department and person, the due date, what was done and
    the result."""

    class Meta:
        model = Problem
        fields = ["department", "responsible", "due_on", "action", "result"]
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "action": forms.Textarea(attrs={"rows": 3}),
            "result": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("responsible", "action", "result"):
            self.fields[name].required = True
        if not self.initial.get("due_on"):
            self.initial["due_on"] = timezone.localdate() + dt.timedelta(days=1)


class ProblemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Problem.Status.choices, label="状态", empty_label="全部状态"
    )
    department = django_filters.ChoiceFilter(
        choices=Department.choices, label="责任部门", empty_label="全部部门"
    )
    severity = django_filters.ChoiceFilter(
        choices=Problem.Severity.choices, label="严重程度", empty_label="全部"
    )

    class Meta:
        model = Problem
        fields = ["status", "department", "severity"]


# --- 满意度统计 ----------------------------------------------------------------------------

SATISFACTION_PRESETS = (
    ("month", "本月"),
    ("last_month", "上月"),
    ("pick_month", "选择月份"),
    ("pick_year", "选择年份"),
    ("custom", "自定义"),
)
KIND_CHOICES = (("", "全部回访"), *Callback.Kind.choices)


class SatisfactionPeriodForm(PeriodForm):
    """The satisfaction page's period (GET): this month, last month, a month, a year, or
    from one date to another; and optionally one kind of callback."""

    period = forms.ChoiceField(label="期间", choices=SATISFACTION_PRESETS, initial="month")
    month = forms.CharField(
        label="月份",
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}),
    )
    year = forms.IntegerField(label="年份", required=False, min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label="回访类型", choices=KIND_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period == "pick_month":
            year, _dash, month = (data.get("month") or "").strip().partition("-")
            try:
                data["month_start"] = dt.date(int(year), int(month), 1)
            except ValueError:
                raise forms.ValidationError("请选择月份(格式:2026-03)。") from None
        if period == "pick_year" and data.get("year") is None:
            raise forms.ValidationError("请填写年份。")
        return data

    def chosen_period(self) -> Period:
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            if data["period"] == "pick_month":
                first = data["month_start"]
                last = add_months(first, 1) - dt.timedelta(days=1)
                return Period(first, last, f"{first:%Y年%m月}")
            if data["period"] == "pick_year":
                year = data["year"]
                return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年")
        return super().chosen_period()

    def chosen_kind(self) -> str | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("kind") or None
        return None
