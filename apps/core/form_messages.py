"""Form errors in our own words, and uniqueness left to the database.

Django's default wording ("这个字段是必填项。", "确保该变量最多包含 11 个字符…", "输入一个有效的
日期。", "具有 VIN 的 车辆 已存在。") never reaches a user: every form of the app mixes in
`OwnMessagesMixin`, which gives each field a sentence naming its label for every error its
type or its validators can raise. ModelForms whose model has unique fields or constraints
also mix in `UniqueByDatabaseMixin`: the service's write is refused by the database and
the service names the other record (apps.core.integrity), instead of the form looking it
up first (a racy check, in Django's wording).
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import UniqueConstraint

# A typed identifier (phone, VIN, plate, ID number) may carry spaces, dashes or a country
# code: up to this many characters reach the normaliser, which decides (the longest
# canonical identifier is 18 characters; 40 leaves room for any separators).
TYPED_IDENTIFIER_LENGTH = 40


def _invalid_message(field: forms.Field, label: str) -> str:
    if isinstance(field, forms.DateTimeField):
        return f"{label}不是有效的日期时间,应为 2024-05-18 09:30 这样的格式。"
    if isinstance(field, forms.DateField):
        return f"{label}不是有效的日期,应为 2024-05-18 这样的格式。"
    if isinstance(field, forms.TimeField):
        return f"{label}不是有效的时间,应为 09:30 这样的格式。"
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField):
        return f"{label}应为整数。"
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return f"{label}应为数字。"
    if isinstance(field, forms.FileField):
        return f"{label}未能上传,请重新选择文件。"
    return f"{label}的格式不正确。"


def own_messages(field: forms.Field, label: str) -> dict[str, str]:
    """Our sentence for every error code `field` can raise (its own and its validators')."""
    choose = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField)
    messages = {
        "required": f"请选择{label}。" if choose else f"请填写{label}。",
        "invalid": _invalid_message(field, label),
        "max_length": f"{label}最多 %(limit_value)d 个字符,当前为 %(show_value)d 个。",
        "min_length": f"{label}至少 %(limit_value)d 个字符,当前为 %(show_value)d 个。",
        "min_value": f"{label}不能小于 %(limit_value)s。",
        "max_value": f"{label}不能大于 %(limit_value)s。",
        "step_size": f"{label}的数值不符合要求的间隔。",
        "max_digits": f"{label}数值过大。",
        "max_whole_digits": f"{label}数值过大。",
        "max_decimal_places": f"{label}最多 %(max)s 位小数。",
        "null_characters_not_allowed": f"{label}含有无法保存的字符,请重新输入。",
        "invalid_choice": f"{label}的选项无效,请重新选择。",
        "invalid_list": f"请选择{label}。",
        "invalid_pk_value": f"{label}的选项无效,请重新选择。",
    }
    if isinstance(field, forms.BooleanField):
        messages["required"] = f"请勾选{label}。"
    if isinstance(field, forms.FileField):
        messages |= {
            "missing": f"请选择{label}。",
            "empty": f"{label}是空文件。",
            "max_length": f"{label}的文件名最多 %(max)d 个字符,当前为 %(length)d 个。",
            "contradiction": f"请上传新的{label}或勾选清除,两者选其一。",
        }
    return messages


class OwnMessagesMixin:
    """Every field's errors in our own Chinese sentences, naming the field's label.

    `typed_identifiers` names fields whose value is typed with separators (phones, VINs,
    plates, ID numbers): they accept up to TYPED_IDENTIFIER_LENGTH characters, and their
    clean_<field> normaliser gives the canonical value or our own error.
    """

    typed_identifiers: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.typed_identifiers:
            field = self.fields.get(name)
            if field is None:  # left out of this form (the admin hides personal data)
                continue
            field.max_length = TYPED_IDENTIFIER_LENGTH
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ] + [MaxLengthValidator(TYPED_IDENTIFIER_LENGTH)]
            field.widget.attrs["maxlength"] = TYPED_IDENTIFIER_LENGTH
        for name, field in self.fields.items():
            label = str(field.label or name)
            field.error_messages = {**field.error_messages, **own_messages(field, label)}


class UniqueByDatabaseMixin:
    """A ModelForm that leaves unique fields and unique constraints to the database.

    The service saves inside a transaction and turns the violation into a sentence naming
    the other record; the form runs no lookup of its own (two clerks saving the same
    customer at once would both pass it).
    """

    def validate_unique(self):
        """Not here: the database refuses the write and the service explains it."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        model_meta = self._meta.model._meta
        for constraint in model_meta.constraints:
            if isinstance(constraint, UniqueConstraint):
                exclude.update(constraint.fields)
        exclude.update(f.name for f in model_meta.fields if f.unique and not f.primary_key)
        return exclude
