"""Forms of the stock pages: they validate and normalise input; services write."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from apps.core.form_messages import OwnMessagesMixin
from apps.core.text import normalize_text
from apps.customers.selectors import customers_with_mobile
from apps.customers.validators import normalize_mobile
from apps.parts.models import Part
from apps.parts.services import normalize_part_number

from .services import parse_quantity

QUANTITY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def quantity_field(label: str, *, required: bool = False) -> forms.CharField:
    """A quantity typed on a tablet: parsed by services.parse_quantity (our sentences)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=12,
        widget=forms.TextInput(attrs={**QUANTITY_ATTRS, "class": "form-control text-end"}),
    )


def _quantity(value: str, label: str, *, allow_zero=True) -> Decimal | None:
    value = normalize_text(value)
    if not value:
        return None
    return parse_quantity(value, label=label, allow_zero=allow_zero)


class StockSearchForm(OwnMessagesMixin, forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    bin = forms.CharField(label="库位", required=False, max_length=20)
    below_minimum = forms.BooleanField(label="低于最低库存", required=False)

    def clean_q(self):
        return normalize_text(self.cleaned_data["q"])

    def clean_bin(self):
        return "".join(normalize_text(self.cleaned_data["bin"]).split()).upper()


class StockSettingsForm(OwnMessagesMixin, forms.Form):
    bin = forms.CharField(label="库位", required=False, max_length=20)
    minimum = forms.CharField(label="最低库存", max_length=12)

    def clean_minimum(self):
        return parse_quantity(self.cleaned_data["minimum"], label="最低库存", allow_zero=True)


class StockAtForm(OwnMessagesMixin, forms.Form):
    on = forms.DateField(label="查询日期", widget=forms.DateInput(attrs={"type": "date"}))


class PickDayForm(OwnMessagesMixin, forms.Form):
    date = forms.DateField(label="预约日期", widget=forms.DateInput(attrs={"type": "date"}))


def technicians():
    """The people who may sign for parts: active users of the technician role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name="technician")
        .order_by("display_name", "username")
        .distinct()
    )


class TechnicianChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return str(user)


class SlipForm(OwnMessagesMixin, forms.Form):
    """An issue (出库) or return (退料) of some of a work order's parts lines: a quantity
    per line (`q_<line id>`), the technician, and how it is signed."""

    technician = TechnicianChoice(label="领料技师", queryset=None, empty_label="请选择技师")
    png_data_url = forms.CharField(required=False, widget=forms.HiddenInput)
    points = forms.JSONField(required=False, widget=forms.HiddenInput)
    confirm_later = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label="退料原因", required=False, max_length=200)

    def __init__(self, *args, rows=(), prefix_label="出库数量", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians()
        self.rows = list(rows)  # selectors.PartsLine
        self.prefix_label = prefix_label
        for row in self.rows:
            self.fields[f"q_{row.line.pk}"] = quantity_field(
                f"{row.line.description} {prefix_label}"
            )

    def quantities(self) -> list[tuple]:
        """(work-order line, quantity) of every line with a quantity."""
        chosen = []
        for row in self.rows:
            quantity = self.cleaned_data.get(f"q_{row.line.pk}")
            if quantity:
                chosen.append((row.line, quantity))
        return chosen

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            name = f"q_{row.line.pk}"
            if name in cleaned:
                try:
                    cleaned[name] = _quantity(cleaned[name], self.prefix_label)
                except ValidationError as error:
                    self.add_error(name, error)
        if not self.errors and not self.quantities():
            raise ValidationError("请至少填写一行数量。")
        return cleaned

    def bound_rows(self):
        """(row, its quantity field) for the template."""
        return [(row, self[f"q_{row.line.pk}"]) for row in self.rows]


class LineRequestForm(OwnMessagesMixin, forms.Form):
    quantity = quantity_field("请购数量")
    expected_on = forms.DateField(
        label="预计到货", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def clean_quantity(self):
        return _quantity(self.cleaned_data["quantity"], "请购数量", allow_zero=False)


class PartRequestForm(LineRequestForm):
    part = forms.ModelChoiceField(
        label="配件", queryset=Part.objects.filter(active=True), widget=forms.HiddenInput
    )
    quantity = quantity_field("请购数量", required=True)


class ReasonForm(OwnMessagesMixin, forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class ReceiptForm(OwnMessagesMixin, forms.Form):
    supplier = forms.CharField(label="供应商", max_length=60)
    delivery_note = forms.CharField(label="送货单号", max_length=40)
    note = forms.CharField(label="备注", required=False, max_length=200)


class ReceiptLineForm(OwnMessagesMixin, forms.Form):
    part_number = forms.CharField(label="配件编号", required=False, max_length=40)
    quantity = quantity_field("数量")
    unit_cost = forms.CharField(
        label="进价(元)",
        required=False,
        max_length=14,
        widget=forms.TextInput(attrs={**QUANTITY_ATTRS, "class": "form-control text-end"}),
    )

    def clean(self):
        cleaned = super().clean()
        number = normalize_part_number(cleaned.get("part_number", ""))
        quantity, cost = cleaned.get("quantity", ""), normalize_text(cleaned.get("unit_cost", ""))
        if not number and not normalize_text(quantity) and not cost:
            cleaned["part"] = None  # an empty row
            return cleaned
        if not number:
            self.add_error("part_number", "请填写配件编号。")
        else:
            part = Part.objects.filter(number=number).first()
            if part is None:
                self.add_error("part_number", f"配件编号 {number} 不在配件目录中。")
            cleaned["part"] = part
        try:
            cleaned["quantity"] = _quantity(quantity, "数量", allow_zero=False)
            if cleaned["quantity"] is None:
                self.add_error("quantity", "请填写数量。")
        except ValidationError as error:
            self.add_error("quantity", error)
        try:
            cleaned["unit_cost"] = Decimal(cost) if cost else None
            if cleaned["unit_cost"] is None:
                self.add_error("unit_cost", "请填写进价。")
            elif not cleaned["unit_cost"].is_finite() or cleaned["unit_cost"] < 0:
                self.add_error("unit_cost", "进价须为不小于 0 的数字。")
        except ArithmeticError:
            self.add_error("unit_cost", "进价须为数字。")
        return cleaned


ReceiptLineFormSet = formset_factory(ReceiptLineForm, extra=0, max_num=50, absolute_max=50)
RECEIPT_ROWS = 6  # blank rows offered on the receiving page


class CountOpenForm(OwnMessagesMixin, forms.Form):
    bin_prefix = forms.CharField(label="库位范围(前缀,留空为全部)", required=False, max_length=20)
    note = forms.CharField(label="备注", required=False, max_length=200)


class CountEntryForm(OwnMessagesMixin, forms.Form):
    """The counted quantity (`c_<line id>`) and the reason (`r_<line id>`) of each line."""

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"c_{line.pk}"] = quantity_field(f"{line.part.number} 实盘数量")
            self.fields[f"r_{line.pk}"] = forms.CharField(
                label=f"{line.part.number} 差异原因", required=False, max_length=200
            )
            if not self.is_bound:
                self.initial[f"c_{line.pk}"] = "" if line.counted is None else line.counted
                self.initial[f"r_{line.pk}"] = line.reason

    def clean(self):
        cleaned = super().clean()
        for line in self.lines:
            name = f"c_{line.pk}"
            if name in cleaned:
                try:
                    cleaned[name] = _quantity(cleaned[name], "实盘数量")
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned

    def entries(self) -> list[tuple]:
        return [
            (line, self.cleaned_data.get(f"c_{line.pk}"), self.cleaned_data.get(f"r_{line.pk}", ""))
            for line in self.lines
        ]

    def bound_lines(self):
        return [(line, self[f"c_{line.pk}"], self[f"r_{line.pk}"]) for line in self.lines]


class CountMoveForm(OwnMessagesMixin, forms.Form):
    name = forms.CharField(widget=forms.HiddenInput, max_length=20)
    reason = forms.CharField(label="原因", required=False, max_length=200)


# --- accessories (精品): counter sales, sellers, the commission month ---------------------------


class SellerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class CounterSaleForm(OwnMessagesMixin, forms.Form):
    seller = SellerField(label="销售人", queryset=get_user_model().objects.none())
    customer_mobile = forms.CharField(
        label="客户手机(选填,建档客户)",
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    customer_name = forms.CharField(label="客户姓名(选填)", required=False, max_length=60)
    paid_amount = forms.CharField(
        label="实收金额(元,留空为应收金额)",
        required=False,
        max_length=14,
        widget=forms.TextInput(attrs={**QUANTITY_ATTRS, "class": "form-control text-end"}),
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, sellers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sellers is not None:
            self.fields["seller"].queryset = sellers

    def clean_customer_name(self):
        return normalize_text(self.cleaned_data["customer_name"])

    def clean_customer_mobile(self):
        text = normalize_text(self.cleaned_data["customer_mobile"])
        return normalize_mobile(text) if text else ""

    def clean(self):
        """A mobile names the archive's customer (with the name, when a family shares the
        phone); without one the sale is a walk-in's (散客) under the name typed, if any."""
        cleaned = super().clean()
        mobile = cleaned.get("customer_mobile")
        cleaned["customer"] = None
        if not mobile:
            return cleaned
        name = cleaned.get("customer_name", "")
        found = customers_with_mobile(mobile, name=name)
        if not found:
            who = f"手机号 {mobile}、姓名 {name}" if name else f"手机号 {mobile}"
            self.add_error("customer_mobile", f"没有{who}的客户档案;散客请只填姓名,不填手机。")
        elif len(found) > 1:
            names = "、".join(customer.name for customer in found)
            self.add_error("customer_name", f"该手机号有多位客户({names}),请填写客户姓名以区分。")
        else:
            cleaned["customer"] = found[0]
        return cleaned

    def clean_paid_amount(self):
        text = normalize_text(self.cleaned_data["paid_amount"])
        if not text:
            return None
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise ValidationError("实收金额须为数字。") from None
        if not value.is_finite() or value < 0:
            raise ValidationError("实收金额须为不小于 0 的数字。")
        return value


class CounterSaleLineForm(OwnMessagesMixin, forms.Form):
    part_number = forms.CharField(label="精品编号", required=False, max_length=40)
    quantity = quantity_field("数量")
    discount_percent = forms.CharField(
        label="折扣(%)",
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={**QUANTITY_ATTRS, "class": "form-control text-end"}),
    )

    def clean(self):
        cleaned = super().clean()
        number = normalize_part_number(cleaned.get("part_number", ""))
        quantity = normalize_text(cleaned.get("quantity", ""))
        discount = normalize_text(cleaned.get("discount_percent", ""))
        cleaned["part"] = None
        if not number and not quantity and not discount:
            return cleaned  # an empty row
        if not number:
            self.add_error("part_number", "请填写精品编号。")
        else:
            part = Part.objects.filter(number=number).first()
            if part is None:
                self.add_error("part_number", f"配件编号 {number} 不在配件目录中。")
            elif not part.is_accessory:
                self.add_error("part_number", f"{part.name}({number})不是精品。")
            else:
                cleaned["part"] = part
        try:
            cleaned["quantity"] = _quantity(quantity, "数量", allow_zero=False)
            if cleaned["quantity"] is None:
                self.add_error("quantity", "请填写数量。")
        except ValidationError as error:
            self.add_error("quantity", error)
        try:
            cleaned["discount_percent"] = Decimal(discount or "0")
            if not cleaned["discount_percent"].is_finite():
                raise ArithmeticError
        except ArithmeticError:
            self.add_error("discount_percent", "折扣须为数字。")
        return cleaned


CounterSaleLineFormSet = formset_factory(CounterSaleLineForm, extra=0, max_num=30, absolute_max=30)
COUNTER_SALE_ROWS = 4  # blank rows offered on the counter-sale page


class AccessorySellerForm(OwnMessagesMixin, forms.Form):
    seller = SellerField(label="精品销售人", queryset=get_user_model().objects.none())

    def __init__(self, *args, sellers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sellers is not None:
            self.fields["seller"].queryset = sellers
