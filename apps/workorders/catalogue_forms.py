"""Forms of the service catalogue: they validate and normalise input; catalogue.py writes."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.form_messages import OwnMessagesMixin, UniqueByDatabaseMixin
from apps.core.text import normalize_text
from apps.parts.forms import FITS_MODELS_HELP
from apps.parts.models import Part
from apps.parts.services import normalize_model_names, normalize_part_number

from .catalogue import check_canned_job_line, normalize_code
from .models import (
    CannedJob,
    CannedJobLine,
    LabourOperation,
    MaintenanceInterval,
    Payer,
    WorkOrderLine,
)


class LabourOperationForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = LabourOperation
        fields = ["code", "name", "standard_hours", "fits_models", "active"]
        widgets = {"fits_models": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "code": "全角字符、空格会自动转换,字母统一为大写。",
            "standard_hours": "工时费 = 标准工时 × 工时单价(维修业务规则)。",
            "fits_models": FITS_MODELS_HELP,
        }

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if not code:
            raise ValidationError("请填写工时代码。")
        return code

    def clean_name(self):
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise ValidationError("请填写工时名称。")
        return name

    def clean_standard_hours(self):
        hours = self.cleaned_data["standard_hours"]
        if hours is not None and hours <= 0:
            raise ValidationError("标准工时应大于 0。")
        return hours

    def clean_fits_models(self):
        return normalize_model_names(self.cleaned_data["fits_models"])


class CannedJobForm(OwnMessagesMixin, forms.ModelForm):
    class Meta:
        model = CannedJob
        fields = ["name", "model_name", "mileage", "kind", "active"]
        help_texts = {
            "model_name": "与车辆档案中的车型名称一致;留空表示通用。",
            "mileage": "如 10000,接车时可按里程查找套餐。",
        }

    def clean_name(self):
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise ValidationError("请填写套餐名称。")
        return name

    def clean_model_name(self):
        return normalize_text(self.cleaned_data["model_name"])


class CannedJobLineForm(OwnMessagesMixin, forms.Form):
    """One line of a canned job: the operation or part is chosen by its code."""

    kind = forms.ChoiceField(
        label="类别", choices=WorkOrderLine.Kind.choices, initial=WorkOrderLine.Kind.LABOUR
    )
    code = forms.CharField(label="工时代码/配件编号", required=False, max_length=40)
    description = forms.CharField(label="名称(辅料必填)", required=False, max_length=200)
    quantity = forms.DecimalField(
        label="数量", max_digits=10, decimal_places=2, initial=1, min_value=0
    )
    unit_price = forms.DecimalField(
        label="单价(空=目录价)", max_digits=12, decimal_places=2, required=False, min_value=0
    )
    payer = forms.ChoiceField(label="付费方", choices=Payer.choices, initial=Payer.CUSTOMER)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        kind, code = data.get("kind"), data.get("code", "")
        line = CannedJobLine(
            kind=kind,
            description=data.get("description", ""),
            quantity=data.get("quantity"),
            unit_price=data.get("unit_price"),
            payer=data.get("payer"),
        )
        if kind == WorkOrderLine.Kind.LABOUR and code:
            code = normalize_code(code)
            line.labour_operation = LabourOperation.objects.filter(code=code).first()
            if line.labour_operation is None:
                self.add_error("code", f"没有工时代码为 {code} 的工时项目。")
                return data
        elif kind == WorkOrderLine.Kind.PART and code:
            code = normalize_part_number(code)
            line.part = Part.objects.filter(number=code).first()
            if line.part is None:
                self.add_error("code", f"没有配件编号为 {code} 的配件。")
                return data
        try:
            check_canned_job_line(line)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return data
        data["code"] = code
        self.line = line
        return data


class BaseCannedJobLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("套餐至少要有一条明细。")

    def lines(self) -> list[CannedJobLine]:
        """The valid, kept lines in the form's order (deleted and untouched rows left out)."""
        return [
            form.line
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form) and hasattr(form, "line")
        ]


CannedJobLineFormSet = forms.formset_factory(
    CannedJobLineForm,
    formset=BaseCannedJobLineFormSet,
    extra=2,  # two empty rows; "添加一行" (static/js/formset.js) adds more
    can_delete=True,
    max_num=100,  # a canned job of a hundred lines is a mistake, not a package
    validate_max=True,
)
# Django's formset-level messages in our words.
CannedJobLineFormSet.default_error_messages = {
    "missing_management_form": "表单数据不完整,请刷新页面后重试。",
    "too_many_forms": "明细最多 %(num)d 条。",
    "too_few_forms": "明细至少 %(num)d 条。",
}


def canned_job_line_initial(lines: list[CannedJobLine]) -> list[dict]:
    """The formset's rows for a saved job's lines (with operation and part loaded)."""
    return [
        {
            "kind": line.kind,
            "code": (
                line.labour_operation.code
                if line.labour_operation
                else line.part.number
                if line.part
                else ""
            ),
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "payer": line.payer,
        }
        for line in lines
    ]


class MaintenanceIntervalForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = MaintenanceInterval
        fields = ["model_name", "months", "km"]
        help_texts = {"model_name": "与车辆档案中的车型名称一致。"}

    def clean_model_name(self):
        name = normalize_text(self.cleaned_data["model_name"])
        if not name:
            raise ValidationError("请填写车型。")
        return name
