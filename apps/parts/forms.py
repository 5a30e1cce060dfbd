"""Forms of the parts catalogue: they validate and normalise input, services write."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.form_messages import OwnMessagesMixin, UniqueByDatabaseMixin
from apps.core.text import normalize_text

from .models import Part
from .services import normalize_model_names, normalize_part_number

FITS_MODELS_HELP = "多个车型用“、”或逗号分隔,须与车辆档案中的车型名称一致;留空表示通用。"


class PartForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    class Meta:
        model = Part
        fields = ["number", "name", "unit", "price", "fits_models", "is_accessory", "active"]
        widgets = {"fits_models": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "number": "全角字符、空格会自动转换,字母统一为大写。",
            "fits_models": FITS_MODELS_HELP,
        }

    def clean_number(self):
        number = normalize_part_number(self.cleaned_data["number"])
        if not number:
            raise ValidationError("请填写配件编号。")
        return number

    def clean_name(self):
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise ValidationError("请填写配件名称。")
        return name

    def clean_unit(self):
        unit = normalize_text(self.cleaned_data["unit"])
        if not unit:
            raise ValidationError("请填写单位。")
        return unit

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise ValidationError("销售单价不能为负数。")
        return price

    def clean_fits_models(self):
        value = normalize_model_names(self.cleaned_data["fits_models"])
        if len(value) > Part._meta.get_field("fits_models").max_length:
            raise ValidationError("适用车型太多,最多 500 个字符。")
        return value


class CatalogueSearchForm(OwnMessagesMixin, forms.Form):
    """The search box of a catalogue list (GET)."""

    q = forms.CharField(label="搜索", required=False, max_length=100)
    inactive = forms.BooleanField(label="含停用", required=False)

    def clean_q(self):
        return normalize_text(self.cleaned_data["q"])
