"""The period of a statistics page or a report (今天, 本周, 本月, 上月, 本季度, 本年, or from
one date to another): one selector that every page reading "a period" shares, so the
workshop's figures and the reports mean the same days by the same words.

A period is whole local days, first to last inclusive; queries compare timestamps against
`start_at` (inclusive) and `end_before` (exclusive), both local midnights
(calendar.day_start), so an index on the column serves them.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms

from .calendar import day_start, month_start_before
from .form_messages import OwnMessagesMixin

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A custom period spans at most this many days: a page of figures over more than a few
# years would read most of the history (the reports' Excel jobs take longer spans).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day
    end: dt.date  # last day (inclusive)
    label: str

    @property
    def start_at(self) -> dt.datetime:
        return day_start(self.start)

    @property
    def end_before(self) -> dt.datetime:
        return day_start(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


PRESETS = (
    ("today", "今天"),
    ("week", "本周"),
    ("month", "本月"),
    ("last_month", "上月"),
    ("quarter", "本季度"),
    ("year", "本年"),
    ("custom", "自定义"),
)
DEFAULT_PRESET = "month"


def preset_period(preset: str, *, today: dt.date) -> Period:
    """The period a preset names on `today` (weeks start on Monday, as in China)."""
    labels = dict(PRESETS)
    if preset == "today":
        return Period(today, today, labels[preset])
    if preset == "week":
        return Period(today - dt.timedelta(days=today.weekday()), today, labels[preset])
    if preset == "month":
        return Period(today.replace(day=1), today, labels[preset])
    if preset == "last_month":
        first = month_start_before(today, 1)
        return Period(first, today.replace(day=1) - dt.timedelta(days=1), labels[preset])
    if preset == "quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(first, today, labels[preset])
    if preset == "year":
        return Period(today.replace(month=1, day=1), today, labels[preset])
    raise ValueError(f"unknown period preset {preset!r}")


class PeriodForm(OwnMessagesMixin, forms.Form):
    """The period selector (GET): a preset, or 自定义 with the first and last day."""

    period = forms.ChoiceField(label="期间", choices=PRESETS, initial=DEFAULT_PRESET)
    start = forms.DateField(label="开始日期", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="结束日期", required=False, widget=DATE_INPUT)

    def __init__(self, data=None, *, today: dt.date, **kwargs):
        # An empty query string is the default period, not a form with errors.
        super().__init__(data if data and data.get("period") else None, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        if data.get("period") != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError("自定义期间请填写开始日期和结束日期。")
        if start > end:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"自定义期间最长 {MAX_DAYS} 天。")
        return data

    def chosen_period(self) -> Period:
        """The chosen period; the default (本月) when nothing valid was chosen."""
        if not self.is_bound or not self.is_valid():
            return preset_period(DEFAULT_PRESET, today=self.today)
        data = self.cleaned_data
        if data["period"] == "custom":
            start, end = data["start"], data["end"]
            # Labelled by the preset's name: the pages show the dates after the label.
            return Period(start, end, dict(PRESETS)["custom"])
        return preset_period(data["period"], today=self.today)
