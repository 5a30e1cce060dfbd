"""The dealership settings page (经销商设置): valid saves, Chinese field errors, sections."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.forms import DealershipSettingsForm
from apps.core.selectors import dealership_settings
from tests.pages import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]


def _settings_form_data(**changes) -> dict:
    """Every field of the settings page as the browser posts it, with `changes` applied."""
    form = DealershipSettingsForm(instance=dealership_settings())
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "logo" or value is None:
            continue
        data[name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    data.update(changes)
    return data


def test_the_administrator_saves_valid_settings(role_client):
    client = role_client("admin")

    response = client.post(
        reverse("core:settings_edit"),
        _settings_form_data(
            name="深圳粤B汽车4S店", search_result_limit=80, callback_window1_start="09:30"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:settings_edit")
    saved = dealership_settings()
    assert saved.name == "深圳粤B汽车4S店"
    assert saved.search_result_limit == 80
    assert saved.callback_window1_start == dt.time(9, 30)
    assert "经销商设置已保存,新值立即生效。" in html(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"callback_window1_start": "12:00", "callback_window1_end": "11:00"},
            "callback_window1_end",
            "回访时段一的结束时间必须晚于开始时间。",
        ),
        (
            {"business_opens_at": "19:00"},
            "business_closes_at",
            "营业结束时间必须晚于开始时间。",
        ),
        (
            {"reminder_insurance_days_second": "30"},
            "reminder_insurance_days_second",
            "第二次续保提醒须晚于第一次(天数更少)。",
        ),
        ({"search_result_limit": "5"}, "search_result_limit", "确保该值大于或等于10。"),
    ],
)
def test_invalid_settings_show_chinese_field_errors_and_nothing_is_saved(
    role_client, changes, field, message
):
    client = role_client("admin")
    before = _settings_form_data()

    response = client.post(
        reverse("core:settings_edit"), _settings_form_data(name="不应保存的名称", **changes)
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    body = html(response)
    assert message in body
    assert "设置未保存:请按红色提示修改。" in body
    assert _settings_form_data() == before


def test_the_settings_page_shows_every_field_in_a_section(role_client):
    response = role_client("admin").get(reverse("core:settings_edit"))

    placed = [field.name for _title, fields in response.context["sections"] for field in fields]
    assert sorted(placed) == sorted(response.context["form"].fields)
    assert len(placed) == len(set(placed))
    assert [title for title, _fields in response.context["sections"]][0] == "经销商信息与营业时间"
