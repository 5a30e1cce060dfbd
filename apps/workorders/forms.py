"""Forms of the work-order pages: they read and check input; the services do the writes."""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.core.calendar import day_start
from apps.core.form_messages import OwnMessagesMixin
from apps.customers.contact_times import contact_time_choices

from . import selectors_pages
from .models import (
    Approval,
    DelayNotice,
    OldParts,
    Payer,
    Payment,
    WorkOrder,
    WorkOrderLine,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}
QUANTITY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.01")}

# The payer a new line gets by default, from the kind of order it is added to.
PAYER_BY_KIND = {
    WorkOrder.Kind.WARRANTY: Payer.WARRANTY,
    WorkOrder.Kind.ACCIDENT: Payer.INSURANCE,
    WorkOrder.Kind.INTERNAL: Payer.INTERNAL,
    WorkOrder.Kind.CAMPAIGN: Payer.CAMPAIGN,
}


def default_payer(work_order: WorkOrder) -> str:
    return PAYER_BY_KIND.get(work_order.kind, Payer.CUSTOMER)


class ManualLineForm(OwnMessagesMixin, forms.Form):
    """A line typed by hand (work_order_add_lines)."""

    kind = forms.ChoiceField(label="类别", choices=WorkOrderLine.Kind.choices)
    description = forms.CharField(label="项目", max_length=200)
    quantity = forms.DecimalField(label="数量/工时", initial=1, **QUANTITY)
    unit_price = forms.DecimalField(label="单价", **MONEY)
    payer = forms.ChoiceField(label="付费方", choices=Payer.choices)

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise ValidationError("请填写项目。")
        return text


class CatalogueLineForm(OwnMessagesMixin, forms.Form):
    """A catalogue hit added with one tap (the catalogue's line-search results post this)."""

    source = forms.ChoiceField(
        label="来源", choices=[("labour", "工时项目"), ("part", "配件"), ("canned", "维修套餐")]
    )
    source_id = forms.IntegerField(label="目录项目", min_value=1)
    quantity = forms.DecimalField(label="数量", required=False, **QUANTITY)
    payer = forms.ChoiceField(label="付费方", choices=Payer.choices, required=False)


class LineEditForm(OwnMessagesMixin, forms.Form):
    """A proposed line's quantity, price, payer and discount (line_update)."""

    quantity = forms.DecimalField(label="数量/工时", **QUANTITY)
    unit_price = forms.DecimalField(label="单价", **MONEY)
    payer = forms.ChoiceField(label="付费方", choices=Payer.choices)
    discount_percent = forms.DecimalField(
        label="折扣(%)", max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=100
    )

    @classmethod
    def for_line(cls, line: WorkOrderLine, data=None):
        return cls(
            data,
            prefix=f"line{line.pk}",
            initial={
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "payer": line.payer,
                "discount_percent": line.discount_percent,
            },
        )


@dataclass(frozen=True)
class DecisionRow:
    line: WorkOrderLine
    decision_name: str  # decision_<line id>: "approve" or "decline"
    decision: str
    errors: list
    reason_name: str  # reason_<line id>
    reason: str


class ApprovalForm(OwnMessagesMixin, forms.Form):
    """The customer's decision on every proposed line, signed on the tablet or taken by
    phone (work_order_record_approval). Per line: decision_<id> (approve / decline) and
    reason_<id>."""

    method = forms.ChoiceField(
        label="确认方式", choices=Approval.Method.choices, widget=forms.RadioSelect
    )
    customer_name = forms.CharField(label="客户姓名", max_length=50)
    png_data_url = forms.CharField(required=False, widget=forms.HiddenInput)
    points = forms.CharField(required=False, widget=forms.HiddenInput)
    phone_number = forms.CharField(label="联系电话", max_length=20, required=False)
    phone_note = forms.CharField(label="电话确认说明", max_length=200, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"decision_{line.pk}"] = forms.ChoiceField(
                label=line.description,
                choices=[("approve", "同意"), ("decline", "不同意")],
                initial="approve",
                widget=forms.RadioSelect,
                error_messages={"required": f"请选择客户对“{line.description}”的意见。"},
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label="不维修原因", max_length=200, required=False
            )

    def rows(self) -> list["DecisionRow"]:
        """One row per proposed line, for the template: plain values rather than bound
        fields, whose radio sub-widgets cost most of a 40-line page."""
        rows = []
        for line in self.lines:
            decision, reason = f"decision_{line.pk}", f"reason_{line.pk}"
            rows.append(
                DecisionRow(
                    line=line,
                    decision_name=decision,
                    decision=self.data.get(decision, "") if self.is_bound else "approve",
                    errors=self.errors.get(decision, []),
                    reason_name=reason,
                    reason=self.data.get(reason, "") if self.is_bound else "",
                )
            )
        return rows

    def clean_points(self):
        text = self.cleaned_data["points"]
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise ValidationError("签字笔迹数据无效,请清除后重新签字。") from None

    def clean(self):
        data = super().clean()
        if data.get("method") == Approval.Method.SIGNATURE and not data.get("png_data_url"):
            self.add_error(None, "请客户在签字框内签字。")
        if data.get("method") == Approval.Method.PHONE and not data.get("phone_number"):
            self.add_error("phone_number", "电话确认请填写所拨打的号码。")
        return data

    def decisions(self) -> dict[int, bool]:
        return {
            line.pk: self.cleaned_data[f"decision_{line.pk}"] == "approve" for line in self.lines
        }

    def decline_reasons(self) -> dict[int, str]:
        return {
            line.pk: self.cleaned_data[f"reason_{line.pk}"].strip()
            for line in self.lines
            if self.cleaned_data[f"decision_{line.pk}"] == "decline"
        }


class TransitionForm(OwnMessagesMixin, forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label="原因", max_length=200, required=False)


class DelayNoticeForm(OwnMessagesMixin, forms.Form):
    new_promised_at = forms.DateTimeField(label="新的承诺交车时间", widget=DATETIME_INPUT)
    how = forms.ChoiceField(label="告知方式", choices=DelayNotice.How.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)


class InternalCheckForm(OwnMessagesMixin, forms.Form):
    old_parts = forms.ChoiceField(
        label="旧件处理", choices=OldParts.choices, widget=forms.RadioSelect
    )


class DeliverForm(OwnMessagesMixin, forms.Form):
    next_maintenance_on = forms.DateField(label="下次保养日期", widget=DATE_INPUT)
    next_maintenance_km = forms.IntegerField(label="下次保养里程(公里)", min_value=0)
    callback_preferred_time = forms.ChoiceField(label="回访时间偏好", required=False)
    callback_told = forms.BooleanField(label="已告知客户三日内回访", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The callback windows as the settings name them (customers/contact_times.py).
        self.fields["callback_preferred_time"].choices = contact_time_choices()


class PaymentForm(OwnMessagesMixin, forms.Form):
    # An empty first choice: a row left blank is unchanged, and the formset skips it.
    method = forms.ChoiceField(
        label="支付方式", choices=[("", "—")] + Payment.Method.choices, required=False
    )
    amount = forms.DecimalField(
        label="金额", max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    reference = forms.CharField(label="交易参考号", max_length=64, required=False)

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and not data.get("method"):
            self.add_error("method", "请选择支付方式。")
        if data.get("method") and data.get("amount") is None:
            self.add_error("amount", "请填写金额。")
        return data


# Three rows (the prefilled one and two more): cash plus a card or WeChat top-up covers
# nearly every settlement. Empty rows are skipped; an order the customer owes nothing on
# settles with none.
PaymentFormSet = forms.formset_factory(PaymentForm, extra=2)


def payments_formset(work_order: WorkOrder, data=None):
    """The settlement's payment rows; the first prefilled with the customer's share."""
    initial = [{"method": Payment.Method.CASH, "amount": work_order.customer_paid_amount}]
    return PaymentFormSet(data, prefix="pay", initial=None if data else initial)


# --- the list's filters ----------------------------------------------------------------------


def opened_from(queryset, name, value):
    return queryset.filter(opened_at__gte=day_start(value))


def opened_to(queryset, name, value):
    return queryset.filter(opened_at__lt=day_start(value + dt.timedelta(days=1)))


class WorkOrderFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label="工单号", method="filter_number")
    status = django_filters.ChoiceFilter(label="状态", choices=WorkOrder.Status.choices)
    kind = django_filters.ChoiceFilter(label="类型", choices=WorkOrder.Kind.choices)
    advisor = django_filters.ModelChoiceFilter(
        label="服务顾问",
        queryset=get_user_model()
        .objects.filter(is_active=True, groups__name__in=["advisor", "manager"])
        .distinct(),
    )
    payer = django_filters.ChoiceFilter(
        label="付费方", choices=Payer.choices, method="filter_payer"
    )
    opened_from = django_filters.DateFilter(
        label="进厂日期从", method=opened_from, widget=DATE_INPUT
    )
    opened_to = django_filters.DateFilter(label="至", method=opened_to, widget=DATE_INPUT)

    class Meta:
        model = WorkOrder
        fields = []

    def filter_number(self, queryset, name, value):
        return (
            queryset.filter(selectors_pages.number_condition(value)) if value.strip() else queryset
        )

    def filter_payer(self, queryset, name, value):
        return selectors_pages.having_line_of_payer(queryset, value)
