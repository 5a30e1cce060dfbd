"""Forms of the tablet and the checks: they read and check input; services_floor writes."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.form_messages import OwnMessagesMixin
from apps.workorders.forms import MONEY, QUANTITY
from apps.workorders.models import Payer, WorkOrderLine

from .models import CheckItem, Job, ProposedItem
from .services_floor import Answers


class PauseForm(OwnMessagesMixin, forms.Form):
    reason = forms.ChoiceField(
        label="暂停原因", choices=Job.PauseReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class ProposeForm(OwnMessagesMixin, forms.Form):
    description = forms.CharField(label="建议项目", max_length=200)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(
        label="照片",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class ChecklistForm(OwnMessagesMixin, forms.Form):
    """A checklist: one 合格 box per item (`item_<id>`) and a note; for the team and final
    checks also the decision, the reason of a failure and the jobs it sends back."""

    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(
        self, data=None, *, items: list[CheckItem], jobs: list[Job] | None = None, prefix=None
    ):
        super().__init__(data, prefix=prefix)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.BooleanField(label=item.text, required=False)
        self.jobs = jobs
        if jobs is not None:
            self.fields["decision"] = forms.ChoiceField(
                label="检验结论", choices=[("pass", "合格"), ("fail", "不合格,返工")]
            )
            self.fields["reason"] = forms.CharField(
                label="不合格原因", max_length=300, required=False
            )
            self.fields["jobs"] = forms.MultipleChoiceField(
                label="返工作业",
                required=False,
                choices=[(job.pk, f"{job.technician} · {job.team}") for job in jobs],
                widget=forms.CheckboxSelectMultiple,
            )
            for name in ("decision", "reason", "jobs"):
                self.fields[name].error_messages.update(
                    {"required": "请选择检验结论。", "invalid_choice": "选项无效,请刷新页面。"}
                )

    def item_fields(self):
        return [self[f"item_{item.pk}"] for item in self.items]

    def answers(self) -> Answers:
        data = self.cleaned_data
        ok = frozenset(item.pk for item in self.items if data.get(f"item_{item.pk}"))
        return Answers(ok=ok, note=data.get("note", "").strip())

    @property
    def passed(self) -> bool:
        return self.cleaned_data.get("decision") == "pass"


class ProposalLinesForm(OwnMessagesMixin, forms.Form):
    """The advisor takes a proposal to the customer: a new line typed here, and/or added
    items already put on the order from the catalogue box (`existing`)."""

    kind = forms.ChoiceField(label="类别", choices=WorkOrderLine.Kind.choices, required=False)
    description = forms.CharField(label="项目", max_length=200, required=False)
    quantity = forms.DecimalField(label="数量/工时", required=False, **QUANTITY)
    unit_price = forms.DecimalField(label="单价", required=False, **MONEY)
    payer = forms.ChoiceField(label="付费方", choices=Payer.choices, required=False)
    existing = forms.ModelMultipleChoiceField(
        label="已添加的增项",
        queryset=WorkOrderLine.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data=None, *, item: ProposedItem, free_lines, **kwargs):
        super().__init__(data, prefix=f"proposal{item.pk}", **kwargs)
        self.fields["existing"].queryset = WorkOrderLine.objects.filter(
            pk__in=[line.pk for line in free_lines]
        )
        self.fields["existing"].label_from_instance = lambda line: (
            f"{line.description}({line.get_kind_display()} {line.amount})"
        )

    def clean(self):
        data = super().clean()
        typed = (data.get("description") or "").strip()
        if typed:
            missing = [
                label
                for name, label in (("kind", "类别"), ("quantity", "数量"), ("unit_price", "单价"))
                if data.get(name) in (None, "")
            ]
            if missing:
                raise ValidationError("请填写" + "、".join(missing) + "。")
        elif not data.get("existing"):
            raise ValidationError("请填写一个项目,或选择已添加的增项。")
        return data


class DeclineForm(OwnMessagesMixin, forms.Form):
    reason = forms.CharField(label="不采纳原因", max_length=200)
