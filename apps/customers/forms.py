"""Forms of the archive: they validate and normalise input, services do the writes."""

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.core.calendar import day_start
from apps.core.form_messages import OwnMessagesMixin, UniqueByDatabaseMixin
from apps.core.pii import PiiField
from apps.core.text import normalize_text
from apps.core.xlsx_reader import WorkbookError, XlsxWorkbook

from .contact_times import contact_time_choices
from .importing import limits as import_limits
from .licence import LicenceReading
from .models import Customer, PiiReveal, SalesFile, Vehicle
from .selectors import vin_already_accepted
from .validators import (
    VIN_CHECK_DIGIT_CODE,
    normalize_credit_code,
    normalize_id_number,
    normalize_mobile,
    normalize_phone_other,
    normalize_plate,
    normalize_vin,
    validate_delivered_on,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class CustomerRulesForm(OwnMessagesMixin, forms.ModelForm):
    """The customer rules of a form (normalising, person/company fields); CustomerForm
    adds that uniqueness is the database's, and the Django admin uses this one as is."""

    typed_identifiers = ("mobile", "phone_other", "id_number", "credit_code")

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "mobile",
            "phone_other",
            "id_number",
            "credit_code",
            "birthday",
            "sex",
            "address",
            "preferred_contact_time",
            "marketing_consent",
            "do_not_call",
            "club_member_number",
            "club_joined_on",
            "source",
            "note",
        ]
        widgets = {
            "birthday": DATE_INPUT,
            "club_joined_on": DATE_INPUT,
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "id_number": "填写后自动带出生日和性别。",
            "marketing_consent": "依《个人信息保护法》仅对同意的客户发短信;回复“退订”即取消。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The labels name the callback windows of the settings (contact_times.py).
        self.fields["preferred_contact_time"].choices = contact_time_choices()

    def clean_name(self):
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise ValidationError("请填写姓名或单位名称。")
        return name

    def clean_mobile(self):
        return normalize_mobile(self.cleaned_data["mobile"])

    def clean_phone_other(self):
        # Stored as digits, the form the search box looks up (0755-26001234 → 075526001234).
        return normalize_phone_other(self.cleaned_data["phone_other"])

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return normalize_id_number(value) if value else ""

    def clean_credit_code(self):
        value = self.cleaned_data["credit_code"]
        return normalize_credit_code(value) if value else ""

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Customer.Kind.PERSON and data.get("credit_code"):
            self.add_error("credit_code", "个人客户不填统一社会信用代码。")
        if kind == Customer.Kind.COMPANY and data.get("id_number"):
            self.add_error("id_number", "单位客户不填身份证号,请填统一社会信用代码。")
        if data.get("club_joined_on") and not data.get("club_member_number"):
            self.add_error("club_member_number", "填写入会日期时必须填写会员号。")
        return data


class CustomerForm(UniqueByDatabaseMixin, CustomerRulesForm):
    pass


class VehicleForm(OwnMessagesMixin, UniqueByDatabaseMixin, forms.ModelForm):
    typed_identifiers = ("vin", "plate")

    vin_exception_reason = forms.CharField(
        label="VIN校验位例外原因",
        required=False,
        max_length=200,
        help_text="仅当 VIN 只是校验位不符(如旧车、进口车)时由售后经理填写,车辆将保持标记。",
    )

    class Meta:
        model = Vehicle
        fields = [
            "vin",
            "plate",
            "brand",
            "model_name",
            "colour",
            "engine_number",
            "sale_date",
            "warranty_start",
            "warranty_end",
            "warranty_km_limit",
            "insurance_company",
            "insurance_expires_on",
            "inspection_due_on",
            "mileage",
        ]
        widgets = dict.fromkeys(
            (
                "sale_date",
                "warranty_start",
                "warranty_end",
                "insurance_expires_on",
                "inspection_due_on",
            ),
            DATE_INPUT,
        )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_perm("customers.accept_invalid_vin"):
            del self.fields["vin_exception_reason"]
        elif self.instance.pk:
            self.initial.setdefault("vin_exception_reason", self.instance.vin_exception_reason)

    def clean_vin(self):
        raw = self.cleaned_data["vin"]
        try:
            return normalize_vin(raw)
        except ValidationError as error:
            if error.code == VIN_CHECK_DIGIT_CODE:
                vin = normalize_vin(raw, allow_bad_check_digit=True)
                if vin_already_accepted(vehicle_id=self.instance.pk, vin=vin):
                    # Kept earlier by a manager with a reason: anyone may edit the rest.
                    return vin
            may_keep = self.user.has_perm("customers.accept_invalid_vin")
            reason = (self.data.get(self.add_prefix("vin_exception_reason")) or "").strip()
            if error.code == VIN_CHECK_DIGIT_CODE and may_keep and reason:
                return normalize_vin(raw, allow_bad_check_digit=True)
            if error.code == VIN_CHECK_DIGIT_CODE and may_keep:
                raise ValidationError(
                    f"{error.message} 如确认无误,请在“VIN校验位例外原因”中说明后保存。"
                ) from None
            raise

    def clean_plate(self):
        value = self.cleaned_data["plate"]
        return normalize_plate(value) if value else ""

    def clean(self):
        data = super().clean()
        start, end = data.get("warranty_start"), data.get("warranty_end")
        if start and end and end <= start:
            self.add_error("warranty_end", "三包结束日期必须晚于开始日期。")
        return data


class OwnerChangeForm(OwnMessagesMixin, forms.Form):
    typed_identifiers = ("new_owner_mobile",)

    new_owner_mobile = forms.CharField(label="新车主手机号")
    new_owner_name = forms.CharField(label="新车主姓名", max_length=100)
    on = forms.DateField(label="过户日期", widget=DATE_INPUT)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def clean_new_owner_mobile(self):
        return normalize_mobile(self.cleaned_data["new_owner_mobile"])

    def clean_new_owner_name(self):
        return normalize_text(self.cleaned_data["new_owner_name"])

    def clean(self):
        data = super().clean()
        mobile, name = data.get("new_owner_mobile"), data.get("new_owner_name")
        if mobile and name:
            owner = Customer.objects.filter(mobile=mobile, name=name).first()
            if owner is None:
                raise ValidationError("找不到该手机号和姓名的客户,请先新建客户档案。")
            data["new_owner"] = owner
        return data


class SalesFileForm(OwnMessagesMixin, forms.ModelForm):
    class Meta:
        model = SalesFile
        fields = [
            "delivered_on",
            "invoiced_on",
            "salesperson",
            "via_secondary_outlet",
            "outlet_name",
        ]
        widgets = {"delivered_on": DATE_INPUT, "invoiced_on": DATE_INPUT}

    def clean(self):
        data = super().clean()
        if data.get("via_secondary_outlet") and not data.get("outlet_name"):
            self.add_error("outlet_name", "二级网点销售须填写网点名称。")
        delivered, invoiced = data.get("delivered_on"), data.get("invoiced_on")
        if delivered and invoiced and invoiced > delivered:
            self.add_error("invoiced_on", "开票日期不能晚于交车日期。")
        return data

    def clean_delivered_on(self):
        delivered = self.cleaned_data["delivered_on"]
        validate_delivered_on(delivered)
        return delivered


class SalesDocumentsForm(OwnMessagesMixin, forms.Form):
    kinds = forms.MultipleChoiceField(
        label="本次收到的资料",
        choices=SalesFile.Document.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    received_on = forms.DateField(label="收到日期", widget=DATE_INPUT)


class ImportForm(OwnMessagesMixin, forms.Form):
    file = forms.FileField(label="Excel 文件(.xlsx)")
    accept_invalid_vin = forms.BooleanField(
        label="保留仅校验位错误的 VIN(车辆将标记待核)", required=False
    )
    invalid_vin_reason = forms.CharField(label="保留原因", max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.has_perm("customers.accept_invalid_vin"):
            del self.fields["accept_invalid_vin"]
            del self.fields["invalid_vin_reason"]

    def clean_file(self):
        """Checked before anything is queued: the size cap, and the content (a real .xlsx
        with a workbook part), whatever the file's name or declared type says."""
        upload = self.cleaned_data["file"]
        try:
            XlsxWorkbook(upload, limits=import_limits(), structure_only=True).close()
        except WorkbookError as error:
            raise ValidationError(str(error)) from None
        upload.seek(0)
        return upload

    def clean(self):
        data = super().clean()
        if data.get("accept_invalid_vin") and not (data.get("invalid_vin_reason") or "").strip():
            self.add_error("invalid_vin_reason", "保留校验位错误的 VIN 必须填写原因。")
        return data


# --- licence photos (行驶证) ----------------------------------------------------------------


class LicenceUploadForm(OwnMessagesMixin, forms.Form):
    """The camera button: the tablet's camera opens (capture), the photo is uploaded as soon
    as it is taken (static/js/licence.js). Its content is checked by the service."""

    image = forms.FileField(
        label="行驶证照片",
        widget=forms.FileInput(
            attrs={"accept": "image/*", "capture": "environment", "class": "licence-input"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].error_messages["required"] = "请拍摄或选择行驶证(或 VIN 铭牌)照片。"


@dataclass(frozen=True)
class LicenceFill:
    """What the photo gave one form field: the value filled (empty: nothing trustworthy was
    read), the text as read (识别为…), the VIN's candidates and a note."""

    value: str
    read: str
    candidates: tuple[str, ...] = ()
    note: str = ""


# Read but not a field of the archive: shown beside the form for the advisor.
LICENCE_SHOWN_ONLY = {
    "vehicle_type": "车辆类型",
    "use_character": "使用性质",
    "issued_on": "发证日期",
}
_COMPANY_WORDS = ("公司", "集团", "厂", "中心", "学校", "医院", "局")


def _brand_and_model(text: str) -> tuple[str, str]:
    """品牌型号 "大众汽车牌FV7152FBDBG" → ("大众", "FV7152FBDBG"): the brand before 牌 (the
    word 汽车 dropped), the maker's model code after it."""
    brand, mark, model = text.partition("牌")
    if not mark:
        return "", text.strip()
    return brand.strip().removesuffix("汽车").strip(), model.strip()


def licence_fills(reading: LicenceReading) -> dict[str, LicenceFill]:
    """Form field name → what the reading gives it, for the customer fields (name, address,
    kind) and the vehicle fields (plate, vin, engine_number, brand, model_name, sale_date).

    A VIN is filled only when it passes its check digit (validators.normalize_vin): one
    failing it is never filled, whatever the reader says; its candidates are offered."""
    fields = reading.fields
    fills: dict[str, LicenceFill] = {}

    def put(name, source, value=None, note=None):
        if source.read:
            fills[name] = LicenceFill(
                value=source.value if value is None else value,
                read=source.read,
                candidates=source.candidates,
                note=source.note if note is None else note,
            )

    put("plate", fields["plate"])
    vin = fields["vin"]
    try:
        checked = normalize_vin(vin.value) if vin.value else ""
    except ValidationError:
        checked = ""
    put("vin", vin, value=checked)
    put("engine_number", fields["engine_number"])
    put("name", fields["owner"])
    put("address", fields["address"])
    owner = fields["owner"].value
    if owner and any(word in owner for word in _COMPANY_WORDS):
        fills["kind"] = LicenceFill(value=Customer.Kind.COMPANY, read=owner)
    model_text = fields["brand_model"]
    if model_text.read:
        brand, model = _brand_and_model(model_text.value or model_text.read)
        put("brand", model_text, value=brand)
        put("model_name", model_text, value=model)
    put("sale_date", fields["registered_on"], note="按行驶证注册日期填写,二手车请核对")
    return fills


class LicenceFilledMixin:
    """A form filled from a licence photo: `fills` (licence_fills) give the initial values;
    `licence_rows()` pairs each visible field with its fill for the template, which
    highlights what was filled and shows what was read."""

    def __init__(self, *args, fills: dict[str, LicenceFill], **kwargs):
        super().__init__(*args, **kwargs)
        self.fills = {name: fill for name, fill in fills.items() if name in self.fields}
        for name, fill in self.fills.items():
            if fill.value:
                self.initial[name] = fill.value

    def licence_rows(self) -> list[tuple]:
        return [(field, self.fills.get(field.name)) for field in self.visible_fields()]


class VehicleScanForm(LicenceFilledMixin, VehicleForm):
    """The new-vehicle form of a customer, filled from a licence photo."""


def created_from(queryset, name, value):
    """Rows created on or after the day `value` (local midnight: the created_at index serves)."""
    return queryset.filter(created_at__gte=day_start(value))


def created_to(queryset, name, value):
    """Rows created on or before the day `value`."""
    return queryset.filter(created_at__lt=day_start(value + dt.timedelta(days=1)))


class CustomerMergeForm(OwnMessagesMixin, forms.Form):
    duplicate = forms.ModelChoiceField(
        label="要并入本档案的重复档案",
        queryset=Customer.objects.none(),
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="合并原因",
        max_length=200,
        help_text="如:同一人重复建档、旧系统导入时姓名写法不同。合并后不能撤销,请核对后再提交。",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = candidates
        self.fields["duplicate"].label_from_instance = lambda c: f"{c.name}(客户编号 {c.pk})"


class PlateFreeForm(OwnMessagesMixin, forms.Form):
    reason = forms.CharField(
        label="释放原因",
        max_length=80,
        help_text="如:车辆已转籍、车牌录错在本车、车牌已换发到另一辆车。",
    )


class CustomerFilter(django_filters.FilterSet):
    created_from = django_filters.DateFilter(
        label="建档日期从", method=created_from, widget=DATE_INPUT
    )
    created_to = django_filters.DateFilter(label="至", method=created_to, widget=DATE_INPUT)
    segment = django_filters.ChoiceFilter(
        choices=Customer.Segment.choices, label="分级", empty_label="全部分级"
    )
    source = django_filters.ChoiceFilter(
        choices=Customer.Source.choices, label="来源", empty_label="全部来源"
    )
    club_member = django_filters.BooleanFilter(
        field_name="club_member_number",
        label="俱乐部会员",
        method="filter_club_member",
        widget=forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")]),
    )

    class Meta:
        model = Customer
        fields = ["segment", "source"]

    def filter_club_member(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.exclude(club_member_number="")
            if value
            else queryset.filter(club_member_number="")
        )


class VehicleFilter(django_filters.FilterSet):
    sale_from = django_filters.DateFilter(
        field_name="sale_date", lookup_expr="gte", label="销售日期从", widget=DATE_INPUT
    )
    sale_to = django_filters.DateFilter(
        field_name="sale_date", lookup_expr="lte", label="至", widget=DATE_INPUT
    )
    brand = django_filters.CharFilter(field_name="brand", label="品牌")
    flagged = django_filters.BooleanFilter(
        field_name="vin_check_digit_valid",
        label="VIN待核",
        method="filter_flagged",
        widget=forms.Select(choices=[("", "全部"), ("true", "仅待核")]),
    )

    class Meta:
        model = Vehicle
        fields = ["brand"]

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(vin_check_digit_valid=False) if value else queryset


class PiiRevealFilter(django_filters.FilterSet):
    revealed_by = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.order_by("username"),
        label="查看人",
        empty_label="全部人员",
    )
    field = django_filters.ChoiceFilter(
        choices=PiiField.choices, label="查看内容", empty_label="全部内容"
    )
    created_from = django_filters.DateFilter(label="日期从", method=created_from, widget=DATE_INPUT)
    created_to = django_filters.DateFilter(label="至", method=created_to, widget=DATE_INPUT)

    class Meta:
        model = PiiReveal
        fields = ["revealed_by", "field"]
