"""The complaint pages' forms: every error in Chinese (OwnMessagesMixin)."""

import django_filters
from django import forms
from django.utils import timezone

from apps.core.form_messages import OwnMessagesMixin
from apps.workorders.models import WorkOrder

from .models import Category, Channel, Complaint, Department, Severity
from .selectors import overdue_q

TEXTAREA = forms.Textarea(attrs={"rows": 3})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
RECENT_ORDERS = 20  # the work orders offered on the create form


class ComplaintCreateForm(OwnMessagesMixin, forms.Form):
    channel = forms.ChoiceField(label="投诉渠道", choices=Channel.choices)
    category = forms.ChoiceField(label="投诉类别", choices=Category.choices)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices)
    complainant = forms.CharField(label="投诉人", max_length=60, required=False)
    vehicle = forms.ModelChoiceField(label="车辆", queryset=None, required=False)
    work_order = forms.ModelChoiceField(label="相关工单", queryset=None, required=False)
    description = forms.CharField(label="投诉内容", widget=TEXTAREA, max_length=2000)
    demand = forms.CharField(label="客户诉求", widget=TEXTAREA, max_length=2000, required=False)
    maker_deadline = forms.DateTimeField(
        label="厂家要求完成时间",
        required=False,
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="厂家 400 热线转来的投诉必填",
    )

    def __init__(self, *args, customer, callback=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = customer.vehicles.order_by("id")
        self.fields["vehicle"].label_from_instance = lambda v: (
            f"{v.plate or '(无牌)'} {v.model_name}"
        )
        ids = list(
            WorkOrder.objects.filter(customer=customer)
            .order_by("-opened_at", "-id")
            .values_list("id", flat=True)[:RECENT_ORDERS]
        )
        self.fields["work_order"].queryset = WorkOrder.objects.filter(pk__in=ids).order_by(
            "-opened_at", "-id"
        )
        self.fields["work_order"].label_from_instance = lambda o: (
            f"{o.number} {timezone.localtime(o.opened_at):%Y-%m-%d}"
        )
        if callback is not None:
            self.fields["channel"].disabled = True
            self.initial.setdefault("channel", Channel.CALLBACK)
            self.initial.setdefault("vehicle", callback.vehicle_id)
            self.initial.setdefault("work_order", callback.work_order_id)
        self.fields["vehicle"].empty_label = "(不涉及具体车辆)"
        self.fields["work_order"].empty_label = "(不涉及具体工单)"


class NoteForm(OwnMessagesMixin, forms.Form):
    name = forms.CharField(label="操作", max_length=20)
    note = forms.CharField(label="说明", max_length=2000, required=False)


class ProposalForm(OwnMessagesMixin, forms.Form):
    cause = forms.CharField(label="投诉原因", widget=TEXTAREA, max_length=2000)
    department = forms.ChoiceField(label="责任部门", choices=Department.choices)
    responsible_person = forms.CharField(label="责任人", max_length=60, required=False)
    solution = forms.CharField(label="处理方案", widget=TEXTAREA, max_length=2000)


class ResolutionForm(OwnMessagesMixin, forms.Form):
    action_taken = forms.CharField(label="处理结果", widget=TEXTAREA, max_length=2000)
    customer_signature = forms.CharField(
        label="客户签字确认(姓名)", max_length=60, help_text="客户在处理结果上签字后填写"
    )


class EvaluationForm(OwnMessagesMixin, forms.Form):
    """The close after a satisfied second callback. Without a linked callback (a complaint
    not raised on a callback), the form records the clerk's call: when, and that the
    customer said they were satisfied (the service requires both then)."""

    evaluation = forms.CharField(label="结案评价", widget=TEXTAREA, max_length=2000)
    called_at = forms.DateTimeField(
        label="二次回访时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    customer_satisfied = forms.BooleanField(
        label="二次回访中客户表示对处理结果满意", required=False
    )


class ComplaintFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label="投诉单号", method="filter_number")
    status = django_filters.ChoiceFilter(
        label="状态", choices=Complaint.Status.choices, empty_label="全部"
    )
    severity = django_filters.ChoiceFilter(
        label="严重程度", choices=Severity.choices, empty_label="全部"
    )
    category = django_filters.ChoiceFilter(
        label="类别", choices=Category.choices, empty_label="全部"
    )
    state = django_filters.ChoiceFilter(
        label="范围",
        choices=(("open", "未结案"), ("overdue", "已逾期"), ("closed", "已结案/不成立")),
        method="filter_state",
        empty_label="全部",
    )

    class Meta:
        model = Complaint
        fields = []

    def filter_number(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(number=value) if value else queryset

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.exclude(status__in=Complaint.FINISHED)
        if value == "closed":
            return queryset.filter(status__in=Complaint.FINISHED)
        if value == "overdue":
            return queryset.filter(overdue_q(timezone.localdate()))
        return queryset
