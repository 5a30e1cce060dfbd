"""Forms of reception (接车): they validate and normalise input; the services in
services.py (work_order_open, inspection_save, …) hold the rules and do the writes."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.form_messages import TYPED_IDENTIFIER_LENGTH, OwnMessagesMixin, own_messages
from apps.core.text import normalize_text
from apps.customers.forms import CustomerForm, LicenceFilledMixin, VehicleForm

from .models import DamageMark, Inspection, WorkOrder

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
# The promised delivery time proposed at reception: two hours from now, rounded up to the
# next half hour (a time the advisor can say aloud: "十一点半").
PROMISE_AFTER = dt.timedelta(hours=2)
PROMISE_ROUNDING_MINUTES = 30
PHOTO_FIELD_LABEL = "照片"
HUNDREDTH = Decimal("0.01")


def default_promised_at(now: dt.datetime) -> dt.datetime:
    """Two hours after `now` (aware), rounded up to the next half hour, local time."""
    at = timezone.localtime(now + PROMISE_AFTER).replace(second=0, microsecond=0)
    extra = -at.minute % PROMISE_ROUNDING_MINUTES
    return at + dt.timedelta(minutes=extra)


class ReceptionSearchForm(OwnMessagesMixin, forms.Form):
    q = forms.CharField(label="车牌、VIN 或手机号", max_length=TYPED_IDENTIFIER_LENGTH * 2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].error_messages["required"] = "请输入车牌、VIN 或手机号。"

    def clean_q(self):
        # Full-width characters and odd spaces of a paste become plain text (the search
        # itself drops the spaces and upper-cases).
        value = normalize_text(self.cleaned_data["q"])
        if not value:
            raise ValidationError("请输入车牌、VIN 或手机号。")
        return value


class WorkOrderOpenForm(OwnMessagesMixin, forms.Form):
    kind = forms.ChoiceField(
        label="工单类型",
        choices=WorkOrder.Kind.choices,
        initial=WorkOrder.Kind.MAINTENANCE,
        widget=forms.RadioSelect,
    )
    mileage = forms.IntegerField(
        label="进厂里程(公里)",
        min_value=0,
        max_value=2_000_000,  # no car reaches two million km; a typo with an extra digit does
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    mileage_lower_reason = forms.CharField(
        label="里程低于上次记录的原因",
        max_length=200,
        required=False,
        help_text="如:更换过仪表、上次记录有误。",
    )
    promised_at = forms.DateTimeField(
        label="承诺交车时间",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    customer_waiting = forms.BooleanField(
        label="客户在店等候",
        required=False,
        help_text="客户在休息区等车:派工时优先安排。",
    )
    customer_words = forms.CharField(
        label="客户描述(原话)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="照客户的原话记录,不要改写。",
    )
    insurer = forms.CharField(label="保险公司", max_length=50, required=False)
    insurer_claim_number = forms.CharField(label="保险报案号", max_length=40, required=False)

    def __init__(self, *args, vehicle, now: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.vehicle = vehicle
        self.fields["mileage"].widget.attrs["data-last-mileage"] = vehicle.mileage
        self.initial.setdefault("promised_at", default_promised_at(now))
        if vehicle.insurance_company:
            self.initial.setdefault("insurer", vehicle.insurance_company)

    def clean_insurer(self):
        return normalize_text(self.cleaned_data["insurer"])

    def clean_insurer_claim_number(self):
        return normalize_text(self.cleaned_data["insurer_claim_number"]).replace(" ", "")

    def clean_mileage_lower_reason(self):
        return normalize_text(self.cleaned_data["mileage_lower_reason"])

    @property
    def mileage_is_lower(self) -> bool:
        """The typed mileage is below the vehicle's last one: the reason field shows."""
        try:
            typed = int(self.data.get(self.add_prefix("mileage"), ""))
        except ValueError:
            return False
        return typed < self.vehicle.mileage

    @property
    def is_accident(self) -> bool:
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        return kind == WorkOrder.Kind.ACCIDENT


class WalkInCustomerForm(CustomerForm):
    """A new customer at the reception desk: the fields the desk needs now; the rest of the
    archive fields are filled on the customer card later."""

    class Meta(CustomerForm.Meta):
        fields = ["kind", "name", "mobile", "preferred_contact_time"]


class WalkInVehicleForm(VehicleForm):
    class Meta(VehicleForm.Meta):
        fields = ["plate", "vin", "brand", "model_name", "colour", "mileage"]


class ScanCustomerForm(LicenceFilledMixin, WalkInCustomerForm):
    """新车新客户 from a licence photo: the owner's name (and address) as read; the mobile
    is still typed (the 行驶证 has none)."""

    class Meta(WalkInCustomerForm.Meta):
        fields = ["kind", "name", "mobile", "address", "preferred_contact_time"]


class ScanVehicleForm(LicenceFilledMixin, WalkInVehicleForm):
    class Meta(WalkInVehicleForm.Meta):
        fields = [
            "plate",
            "vin",
            "brand",
            "model_name",
            "engine_number",
            "sale_date",
            "colour",
            "mileage",
        ]


def check_field(label: str) -> forms.ChoiceField:
    """正常 / 需注意 / 缺失 as three big buttons."""
    return forms.ChoiceField(
        label=label, choices=Inspection.Check.choices, widget=forms.RadioSelect
    )


FLUIDS = (
    ("engine_oil", "机油"),
    ("coolant", "冷却液"),
    ("brake_fluid", "制动液"),
    ("washer", "玻璃水"),
)


class InspectionForm(OwnMessagesMixin, forms.Form):
    """The checks of the pre-inspection sheet; the fluids are one field each here and one
    JSON object on the Inspection ({"engine_oil": "ok", …})."""

    fuel_level = forms.TypedChoiceField(
        label="燃油", choices=Inspection.Fuel.choices, coerce=int, widget=forms.RadioSelect
    )
    spare_tyre = check_field("备胎")
    tools = check_field("随车工具")
    interior = check_field("内饰")
    electrics = check_field("电器")
    valuables = forms.CharField(
        label="车内贵重物品",
        max_length=200,
        required=False,
        help_text="如:行车记录仪、现金、证件;没有请留空。",
    )
    notes = forms.CharField(
        label="其他检查说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, inspection: Inspection, **kwargs):
        initial = {
            "fuel_level": inspection.fuel_level,
            "spare_tyre": inspection.spare_tyre,
            "tools": inspection.tools,
            "interior": inspection.interior,
            "electrics": inspection.electrics,
            "valuables": inspection.valuables,
            "notes": inspection.notes,
        }
        for name, _label in FLUIDS:
            initial[f"fluid_{name}"] = (inspection.fluids or {}).get(name, Inspection.Check.OK)
        super().__init__(*args, initial=initial, **kwargs)
        for name, label in FLUIDS:
            field = check_field(label)
            field.error_messages = {**field.error_messages, **own_messages(field, label)}
            self.fields[f"fluid_{name}"] = field

    def fluid_fields(self):
        return [self[f"fluid_{name}"] for name, _label in FLUIDS]

    def item_fields(self):
        return [self[name] for name in ("spare_tyre", "tools", "interior", "electrics")]

    def clean_valuables(self):
        return normalize_text(self.cleaned_data["valuables"])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "fuel_level": data["fuel_level"],
            "fluids": {name: data[f"fluid_{name}"] for name, _label in FLUIDS},
            "spare_tyre": data["spare_tyre"],
            "tools": data["tools"],
            "interior": data["interior"],
            "electrics": data["electrics"],
            "valuables": data["valuables"],
            "notes": data["notes"].strip(),
        }


class DamageMarkForm(OwnMessagesMixin, forms.Form):
    """A tap on the car outline: where (percent of the drawing) and what."""

    # Any precision the browser sends; kept to 2 decimals (the model's).
    x = forms.DecimalField(label="横向位置", min_value=0, max_value=100)
    y = forms.DecimalField(label="纵向位置", min_value=0, max_value=100)
    kind = forms.ChoiceField(label="损伤类型", choices=DamageMark.Kind.choices)
    note = forms.CharField(label="说明", max_length=100, required=False)

    def clean_x(self):
        return self.cleaned_data["x"].quantize(HUNDREDTH, rounding=ROUND_HALF_UP)

    def clean_y(self):
        return self.cleaned_data["y"].quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


class InspectionPhotoForm(OwnMessagesMixin, forms.Form):
    """The type and size are checked by the service, by the file's content."""

    upload = forms.FileField(
        label=PHOTO_FIELD_LABEL,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    mark = forms.ModelChoiceField(
        label="对应损伤", queryset=DamageMark.objects.none(), required=False, empty_label="(不对应)"
    )

    def __init__(self, *args, inspection: Inspection, **kwargs):
        super().__init__(*args, **kwargs)
        marks = inspection.marks.all()
        self.fields["mark"].queryset = marks
        # Named by the number its dot shows on the outline (1, 2, … in id order).
        numbers = {mark.pk: number for number, mark in enumerate(marks, start=1)}
        self.fields["mark"].label_from_instance = lambda mark: (
            f"{numbers.get(mark.pk, '')}号 {mark.get_kind_display()}"
        )


class InspectionSignForm(OwnMessagesMixin, forms.Form):
    signer_name = forms.CharField(label="签字人", max_length=50)
    png_data_url = forms.CharField(label="签字", widget=forms.HiddenInput)
    points = forms.JSONField(label="签字笔迹", widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The pad is a canvas: an empty one says "please sign", not "fill in 签字".
        for name in ("png_data_url", "points"):
            self.fields[name].error_messages["required"] = "请客户在签字框内签字后再提交。"
        self.fields["points"].error_messages["invalid"] = "签字笔迹无法读取,请清除后重新签字。"

    def clean_signer_name(self):
        name = normalize_text(self.cleaned_data["signer_name"])
        if not name:
            raise ValidationError("请填写签字人。")
        return name

    def clean_points(self):
        points = self.cleaned_data["points"]
        if not isinstance(points, list) or not points:
            raise ValidationError("请客户在签字框内签字后再提交。")
        return points
