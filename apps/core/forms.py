from django import forms

from .models import DealershipSettings


class DealershipSettingsForm(forms.ModelForm):
    class Meta:
        model = DealershipSettings
        fields = [f.name for f in DealershipSettings._meta.fields if f.editable and f.name != "id"]
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in (
                "business_opens_at",
                "business_closes_at",
                "callback_window1_start",
                "callback_window1_end",
                "callback_window2_start",
                "callback_window2_end",
            )
        }


# The sections of the settings page, by field-name prefix, in DOMAIN.md order.
SECTIONS = (
    (
        "经销商信息与营业时间",
        ("name", "short_name", "address", "phone", "logo", "plate_prefix", "business_"),
    ),
    ("客户档案", ("sales_documents", "segment_", "search_")),
    ("维修业务", ("appointment_", "maintenance_")),
    ("三包索赔", ("warranty_",)),
    ("回访", ("callback_", "contact_")),
    ("投诉", ("complaint_",)),
    ("提醒与关怀", ("reminder_",)),
    ("客户流失", ("churn_",)),
)


def sectioned(form):
    """[(title, [bound fields])] for the settings page, every field in exactly one section."""
    placed = set()
    sections = []
    for title, prefixes in SECTIONS:
        fields = [
            form[name]
            for name in form.fields
            if name not in placed and any(name.startswith(p) for p in prefixes)
        ]
        placed.update(field.name for field in fields)
        sections.append((title, fields))
    rest = [form[name] for name in form.fields if name not in placed]
    if rest:
        sections.append(("其他", rest))
    return sections
