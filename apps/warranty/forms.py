"""Forms of the warranty pages: they read and check input; the services do the writes."""

import datetime as dt
import re
from decimal import Decimal

import django_filters
from django import forms
from django.utils import timezone

from apps.core.form_messages import OwnMessagesMixin, own_messages

from .models import MAIN_PARTS, Replacement, SeriousFault, System, WarrantyClaim
from .selectors import month_bounds

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None, *, default: dt.date | None = None) -> dt.date | None:
    """ "2026-11" (an <input type=month>) as the first day of that month; `default` when
    empty or unreadable."""
    match = MONTH.match((text or "").strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    return default


def last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class ClaimCreateForm(OwnMessagesMixin, forms.Form):
    """The warranty lines of an order to claim together (default: all not claimed)."""

    lines = forms.TypedMultipleChoiceField(label="三包明细", coerce=int)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(line.pk, line.description) for line in lines]


class ClaimForm(OwnMessagesMixin, forms.Form):
    """A draft or rejected claim filled in (claim_update); one old-part fault per part line
    (`fault_<claim line id>`)."""

    fault_description = forms.CharField(
        label="故障描述", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    cause = forms.CharField(
        label="故障原因", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    repair_done = forms.CharField(
        label="维修措施", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    service_order_number = forms.CharField(label="服务令号", max_length=40, required=False)
    outside_service_km = forms.IntegerField(
        label="外出服务里程(公里)", min_value=0, max_value=5000, initial=0
    )
    system = forms.ChoiceField(
        label="故障系统", choices=[("", "请选择")] + System.choices, required=False
    )
    main_part = forms.CharField(
        label="主要零件",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"list": "main-parts", "autocomplete": "off"}),
    )
    fault_code = forms.CharField(label="故障代码", max_length=40, required=False)
    serious_fault = forms.ChoiceField(
        label="严重安全性能故障",
        choices=[("", "否")] + SeriousFault.choices,
        required=False,
    )
    replacement = forms.ChoiceField(label="更换情况", choices=Replacement.choices)

    def __init__(self, *args, claim: WarrantyClaim, **kwargs):
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(claim, name)
                for name in (
                    "fault_description",
                    "cause",
                    "repair_done",
                    "service_order_number",
                    "outside_service_km",
                    "system",
                    "main_part",
                    "fault_code",
                    "serious_fault",
                    "replacement",
                )
            } | {f"fault_{line.pk}": line.old_part_fault for line in claim.lines.all()}
        super().__init__(*args, **kwargs)
        self.part_lines = []
        for claim_line in claim.lines.all():
            if claim_line.tag_number:
                name = f"fault_{claim_line.pk}"
                self.fields[name] = forms.CharField(
                    label=f"旧件故障({claim_line.line.description})",
                    max_length=200,
                    required=False,
                )
                self.part_lines.append((claim_line, name))
                # OwnMessagesMixin ran before this field existed: our messages too.
                field = self.fields[name]
                field.error_messages = {**field.error_messages, **own_messages(field, "旧件故障")}

    def old_part_faults(self) -> dict[int, str]:
        return {
            claim_line.pk: self.cleaned_data.get(name, "") for claim_line, name in self.part_lines
        }

    def part_fields(self):
        return [(claim_line, self[name]) for claim_line, name in self.part_lines]


MAIN_PART_SUGGESTIONS = sorted({part for parts in MAIN_PARTS.values() for part in parts})


class TransitionForm(OwnMessagesMixin, forms.Form):
    name = forms.CharField(label="操作", max_length=20)
    reason = forms.CharField(label="原因", max_length=200, required=False)


class ApproveForm(OwnMessagesMixin, forms.Form):
    approved_amount = forms.DecimalField(label="批准金额", **MONEY)
    maker_reference = forms.CharField(label="厂家结算单号", max_length=60, required=False)


class PayForm(OwnMessagesMixin, forms.Form):
    paid_amount = forms.DecimalField(label="到账金额", **MONEY)
    maker_reference = forms.CharField(label="厂家结算单号", max_length=60, required=False)


class SignForm(OwnMessagesMixin, forms.Form):
    claims = forms.TypedMultipleChoiceField(label="索赔单", coerce=int)

    def __init__(self, *args, claims=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = [(claim.pk, claim.number) for claim in claims]


class BatchSendForm(OwnMessagesMixin, forms.Form):
    carrier_reference = forms.CharField(label="快递单号", max_length=60)


class InvoiceForm(OwnMessagesMixin, forms.Form):
    invoice_number = forms.CharField(label="发票号码", max_length=40)
    invoice_issued_on = forms.DateField(label="开票日期", widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"invoice_issued_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


def _month_filter(queryset, name, value):
    month = parse_month(value)
    if month is None:
        return queryset
    start, end = month_bounds(month)
    return queryset.filter(created_at__gte=start, created_at__lt=end)


class ClaimFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label="索赔单号", method="filter_number")
    status = django_filters.ChoiceFilter(label="状态", choices=WarrantyClaim.Status.choices)
    month = django_filters.CharFilter(
        label="建单月份",
        method=_month_filter,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    system = django_filters.ChoiceFilter(label="故障系统", choices=System.choices)

    class Meta:
        model = WarrantyClaim
        fields = []

    def filter_number(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(number=value) if value else queryset
