"""No Django default wording reaches a user: every field of the archive's forms has our
own message for every error it can raise, and typed identifiers reach their normaliser."""

import datetime as dt

import pytest
import time_machine
from django import forms
from django.urls import reverse
from django.utils import translation

from apps.customers import forms as archive_forms
from apps.customers.models import Customer, SalesFile, Vehicle
from tests.factories.customers import VehicleFactory, valid_vin

pytestmark = pytest.mark.django_db


def _django_defaults(field: forms.Field) -> set[str]:
    """Django's own messages for `field`'s type (and its validators), in Chinese."""
    with translation.override("zh-hans"):
        messages = set()
        for cls in type(field).__mro__:
            messages |= {str(m) for m in getattr(cls, "default_error_messages", {}).values()}
        messages |= {str(v.message) for v in field.validators if hasattr(v, "message")}
        return messages


def _forms(user):
    return [
        archive_forms.CustomerForm(),
        archive_forms.VehicleForm(user=user),
        archive_forms.OwnerChangeForm(),
        archive_forms.SalesFileForm(),
        archive_forms.SalesDocumentsForm(),
        archive_forms.ImportForm(user=user),
        archive_forms.CustomerMergeForm(candidates=Customer.objects.none()),
        archive_forms.PlateFreeForm(),
    ]


def test_no_field_of_the_archive_forms_keeps_a_django_default_message(user_with_role):
    manager = user_with_role("manager")
    for form in _forms(manager):
        for name, field in form.fields.items():
            with translation.override("zh-hans"):
                shown = {str(m) for m in field.error_messages.values()}
            leftover = shown & _django_defaults(field)
            assert not leftover, f"{type(form).__name__}.{name}: {leftover}"
            # Every validator's code has our message (they replace the validator's own).
            for validator in field.validators:
                code = getattr(validator, "code", None)
                assert code in field.error_messages, f"{type(form).__name__}.{name}: {code}"


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
def test_the_sales_file_form_speaks_our_words_for_length_date_and_required(role_client):
    vehicle = VehicleFactory()
    client = role_client("manager")

    response = client.post(
        reverse("customers:salesfile_create", args=[vehicle.pk]),
        {"delivered_on": "2026-13-40", "salesperson": "李" * 31, "outlet_name": ""},
    )
    body = response.content.decode()

    assert "交车日期不是有效的日期,应为 2024-05-18 这样的格式。" in body
    assert "销售顾问最多 30 个字符,当前为 31 个。" in body
    assert "确保该变量" not in body
    assert "输入一个有效的日期" not in body
    assert not SalesFile.objects.exists()

    response = client.post(
        reverse("customers:salesfile_create", args=[vehicle.pk]), {"salesperson": "李思琪"}
    )

    assert "请填写交车日期。" in response.content.decode()
    assert "这个字段是必填项" not in response.content.decode()


def test_a_mobile_typed_with_country_code_and_spaces_is_stored_as_eleven_digits(role_client):
    client = role_client("advisor")

    response = client.post(
        reverse("customers:customer_create"),
        {
            "kind": "person",
            "name": "王建国",
            "mobile": "+86 138 1234 5678",
            "phone_other": "0755-2600 1234",
            "id_number": "4403 0519 8506 1500 11",
            "source": "service_only",
        },
    )

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.mobile, customer.phone_other, customer.id_number) == (
        "13812345678",
        "075526001234",
        "440305198506150011",
    )


def test_a_vin_and_plate_pasted_with_spaces_are_stored_clean(role_client):
    client = role_client("advisor")
    owner = VehicleFactory().owner
    vin = valid_vin(5)

    response = client.post(
        reverse("customers:vehicle_create", args=[owner.pk]),
        {
            "vin": f"\u00a0{vin[:4]} {vin[4:10]} {vin[10:]}\u3000",  # 21 characters typed
            "plate": " 粤b 6789 0 ",
            "brand": "大众",
            "model_name": "速腾",
            "mileage": 0,
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    stored = Vehicle.objects.get(vin=vin)
    assert stored.plate == "粤B67890"
