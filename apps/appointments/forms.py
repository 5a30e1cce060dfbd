"""Forms of the appointment pages: they validate and normalise input; the services hold
the rules (capacity, states) and do the writes."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.core.form_messages import OwnMessagesMixin
from apps.core.text import normalize_text
from apps.parts.models import Part
from apps.workorders.models import CannedJob, Recommendation

from .models import Source, Target
from .selectors import ADVISOR_ROLE, STATS_MAX_DAYS, Rules, day_slots
from .services import NeededPart
from .transitions import reason_choices

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
# "2026-11-25 10:30": the value of an offered slot's button (a full slot's refusal).
OFFER = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$")
# One line of the typed parts: a part number, then a quantity ("06L115562 1", "06L115562×2").
PART_LINE = re.compile(r"^(\S+)(?:\s*[×*]\s*|\s+)(\d+(?:\.\d+)?)$")
BOOKABLE_SOURCES = [(value, label) for value, label in Source.choices if value != Source.REBOOK]


def advisors():
    """Who can be booked as advisor: the active members of the advisors' role."""
    return (
        get_user_model()
        .objects.filter(groups__name=ADVISOR_ROLE, is_active=True)
        .order_by("display_name", "id")
    )


def _with_offer(data):
    """An offered slot's button (name "offer") stands for the day and the slot it names."""
    if data is None or not OFFER.match(data.get("offer", "")):
        return data
    day, time = OFFER.match(data["offer"]).groups()
    data = data.copy()
    data["day"], data["starts_at"] = day, time
    return data


class SlotFields(OwnMessagesMixin, forms.Form):
    """A day and one of its slots (the slots come from the business hours and the slot
    length; the page loads them with their free places when the day changes)."""

    day = forms.DateField(label="预约日期", widget=DATE_INPUT)
    starts_at = forms.ChoiceField(label="预约时段", widget=forms.RadioSelect)

    def __init__(self, data=None, *args, rules: Rules, **kwargs):
        super().__init__(_with_offer(data), *args, **kwargs)
        self.fields["starts_at"].choices = [
            (f"{time:%H:%M}", f"{time:%H:%M}") for time in day_slots(rules)
        ]

    def clean_starts_at(self) -> dt.time:
        return dt.time.fromisoformat(self.cleaned_data["starts_at"])


class BookingForm(SlotFields):
    advisor = forms.ModelChoiceField(label="服务顾问", queryset=None, empty_label=None)
    requested_work = forms.CharField(
        label="预约项目/客户需求",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="照客户的话记下要做的事;也可以只选下面的套餐或建议项目。",
    )
    canned_jobs = forms.ModelMultipleChoiceField(
        label="套餐", queryset=None, required=False, widget=CHECKBOXES
    )
    recommendations = forms.ModelMultipleChoiceField(
        label="上次未做的建议项目",
        queryset=None,
        required=False,
        widget=CHECKBOXES,
    )
    parts_text = forms.CharField(
        label="其他所需配件",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个:配件编号 数量,如 PT-06L115562 1。套餐和建议项目里的配件自动带上。",
    )
    source = forms.ChoiceField(label="预约来源", choices=BOOKABLE_SOURCES)

    def __init__(self, data=None, *args, vehicle, rules: Rules, **kwargs):
        super().__init__(data, *args, rules=rules, **kwargs)
        self.fields["advisor"].queryset = advisors()
        self.fields["canned_jobs"].queryset = CannedJob.objects.filter(
            Q(model_name="") | Q(model_name=vehicle.model_name), active=True
        ).order_by("mileage", "name", "id")
        self.fields["recommendations"].queryset = Recommendation.objects.filter(
            vehicle=vehicle, status=Recommendation.Status.OPEN
        ).order_by("-created_at", "-id")

    def clean_requested_work(self) -> str:
        return normalize_text(self.cleaned_data["requested_work"])

    def clean_parts_text(self) -> list[NeededPart]:
        wanted: list[tuple[int, str, Decimal]] = []
        errors = []
        lines = [line.strip() for line in self.cleaned_data["parts_text"].splitlines()]
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            match = PART_LINE.match(normalize_text(line))
            try:
                quantity = Decimal(match[2]) if match else None
            except InvalidOperation:
                quantity = None
            if not match or not quantity or quantity <= 0:
                errors.append(f"第 {number} 行“{line}”应为:配件编号 数量。")
                continue
            wanted.append((number, match[1].upper(), quantity))
        parts = {part.number.upper(): part for part in _parts_named({w[1] for w in wanted})}
        needed = []
        for number, part_number, quantity in wanted:
            part = parts.get(part_number)
            if part is None:
                errors.append(f"第 {number} 行:配件目录里没有编号 {part_number}。")
            else:
                needed.append(NeededPart(part, quantity))
        if errors:
            raise ValidationError(errors)
        return needed


def _parts_named(numbers: set[str]):
    if not numbers:
        return []
    query = Q()
    for number in numbers:
        query |= Q(number__iexact=number)
    return Part.objects.filter(query)


class ReasonForm(OwnMessagesMixin, forms.Form):
    """Cancel, no-show: one of the move's reasons and a note (required for 其他)."""

    reason_code = forms.ChoiceField(label="原因", widget=forms.RadioSelect)
    reason = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, move: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = reason_choices(move)

    def clean_reason(self) -> str:
        return normalize_text(self.cleaned_data["reason"])


class RebookForm(SlotFields):
    reason_code = forms.ChoiceField(label="改约原因", widget=forms.RadioSelect)
    reason = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, rules: Rules, **kwargs):
        super().__init__(*args, rules=rules, **kwargs)
        self.fields["reason_code"].choices = reason_choices("rebook")

    def clean_reason(self) -> str:
        return normalize_text(self.cleaned_data["reason"])


class UnreachableForm(OwnMessagesMixin, forms.Form):
    reason = forms.CharField(label="情况", max_length=200)

    def clean_reason(self) -> str:
        return normalize_text(self.cleaned_data["reason"])


class TargetKindForm(forms.Form):
    kind = forms.ChoiceField(choices=Target.Kind.choices, required=False)


class StatsForm(OwnMessagesMixin, forms.Form):
    first = forms.DateField(label="开始日期", widget=DATE_INPUT)
    last = forms.DateField(label="结束日期", widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                raise ValidationError("结束日期不能早于开始日期。")
            if (last - first).days >= STATS_MAX_DAYS:
                raise ValidationError(f"一次最多统计 {STATS_MAX_DAYS} 天。")
        return cleaned
