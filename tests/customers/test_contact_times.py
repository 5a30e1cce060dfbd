"""The preferred contact time is labelled with the settings' callback windows (issue 6
point 15): change a window and the form and the customer card say the new times."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.callbacks.models import CallbackSettings
from apps.core.selectors import settings_row_for_edit
from apps.core.services import area_settings_save
from apps.customers.contact_times import contact_time_choices
from apps.customers.models import Customer
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def windows_moved():
    """The administrator moved the callback windows to 09:30-11:30 and 14:00-17:30."""
    settings_row = settings_row_for_edit(CallbackSettings)
    settings_row.callback_window1_start = dt.time(9, 30)
    settings_row.callback_window1_end = dt.time(11, 30)
    settings_row.callback_window2_start = dt.time(14, 0)
    settings_row.callback_window2_end = dt.time(17, 30)
    area_settings_save(rows=[settings_row], by=None)


def test_the_default_windows_label_the_morning_and_afternoon():
    assert contact_time_choices() == [
        ("", "不限"),
        ("morning", "上午(10:00-12:00)"),
        ("afternoon", "下午(15:00-18:00)"),
        ("evening", "晚上(18:00-20:00)"),
        ("weekend", "仅周末"),
    ]


def test_the_customer_form_offers_the_windows_of_the_settings(windows_moved, role_client):
    body = role_client("advisor").get(reverse("customers:customer_create")).content.decode()

    assert '<option value="morning">上午(09:30-11:30)</option>' in body
    assert '<option value="afternoon">下午(14:00-17:30)</option>' in body
    assert "10:00-12:00" not in body


def test_the_customer_card_shows_the_chosen_window_with_the_times_of_the_settings(
    windows_moved, role_client
):
    customer = CustomerFactory(preferred_contact_time=Customer.ContactTime.AFTERNOON)

    body = (
        role_client("advisor")
        .get(reverse("customers:customer_detail", args=[customer.pk]))
        .content.decode()
    )

    assert '<dd class="col-8">下午(14:00-17:30)</dd>' in body


def test_a_customer_without_a_preference_shows_any_time(role_client):
    customer = CustomerFactory(preferred_contact_time=Customer.ContactTime.ANY)

    body = (
        role_client("advisor")
        .get(reverse("customers:customer_detail", args=[customer.pk]))
        .content.decode()
    )

    assert '<dd class="col-8">不限</dd>' in body
