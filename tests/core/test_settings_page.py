"""The settings page (经销商设置): one section per area, built from the areas' models; one
save validates every area and records what changed."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.callbacks.models import CallbackSettings
from apps.care.models import ReminderSettings
from apps.core.forms import area_settings_form
from apps.core.models import DealershipSettings
from apps.core.selectors import settings_row_for_edit
from apps.core.settings import areas, current_settings
from apps.customers.models import ArchiveSettings

pytestmark = pytest.mark.django_db


def _settings_form_data(**changes) -> dict:
    """Every field of the settings page as the browser posts it (the form names carry each
    area's prefix), with `changes` (by field name) applied."""
    data = {}
    for model in areas():
        form = area_settings_form(model, settings_row_for_edit(model))
        for field in form:
            value = changes.get(field.name, field.value())
            if field.name == "logo" or value is None:
                continue
            data[field.html_name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    return data


def _html(response) -> str:
    return response.content.decode()


def test_the_page_shows_one_section_per_area_with_its_fields_in_model_order(role_client):
    response = role_client("admin").get(reverse("core:settings_edit"))

    sections = response.context["sections"]
    assert [title for title, _form in sections] == [
        "经销商信息与营业时间",
        "客户档案规则",
        "维修业务规则",
        "预约对象规则",
        "配件库存规则",
        "三包索赔规则",
        "回访规则",
        "投诉规则",
        "提醒与关怀规则",
        "客户流失规则",
    ]
    for model, (_title, form) in zip(areas(), sections, strict=True):
        editable = [f.name for f in model._meta.fields if f.editable and not f.primary_key]
        assert list(form.fields) == editable
    body = _html(response)
    assert body.index("客户档案规则") < body.index("搜索结果每页条数") < body.index("维修业务规则")
    assert 'name="customers-archivesettings-search_result_limit"' in body
    assert reverse("core:calendar_list") in body


def test_the_administrator_saves_rules_of_several_areas_at_once_and_history_records_them(
    role_client, user_with_role, client
):
    admin = user_with_role("admin")
    client.force_login(admin)

    response = client.post(
        reverse("core:settings_edit"),
        _settings_form_data(
            name="深圳粤B汽车4S店", search_result_limit=80, callback_window1_start="09:30"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:settings_edit")
    assert current_settings(DealershipSettings).name == "深圳粤B汽车4S店"
    assert current_settings(ArchiveSettings).search_result_limit == 80
    assert current_settings(CallbackSettings).callback_window1_start == dt.time(9, 30)
    for model in (DealershipSettings, ArchiveSettings, CallbackSettings):
        change = model.history.latest()
        assert (change.history_type, change.history_user) == ("~", admin)
    # Areas nobody changed get no history row for this save.
    assert not ReminderSettings.history.filter(history_type="~").exists()
    assert "经销商设置已保存,新值立即生效。" in _html(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"callback_window1_start": "12:00", "callback_window1_end": "11:00"},
            "callback_window1_end",
            "回访时段一的结束时间必须晚于开始时间。",
        ),
        ({"business_opens_at": "19:00"}, "business_closes_at", "营业结束时间必须晚于开始时间。"),
        (
            {"reminder_insurance_days_second": "30"},
            "reminder_insurance_days_second",
            "第二次续保提醒须晚于第一次(天数更少)。",
        ),
        ({"search_result_limit": "5"}, "search_result_limit", "不能小于 10。"),
        ({"search_result_limit": "五十"}, "search_result_limit", "请填写整数。"),
        ({"search_result_limit": ""}, "search_result_limit", "请填写此项。"),
        ({"callback_level3_amount": "两万"}, "callback_level3_amount", "请填写数字。"),
        (
            {"callback_window2_end": "25:00"},
            "callback_window2_end",
            "请按 时:分 填写时间,如 08:30。",
        ),
        ({"churn_dormant_months": "6"}, "churn_dormant_months", "休眠月数必须大于活跃月数。"),
    ],
)
def test_a_wrong_rule_shows_its_chinese_error_in_its_section_and_nothing_is_saved(
    role_client, changes, field, message
):
    client = role_client("admin")
    before = _settings_form_data()
    history_before = sum(model.history.count() for model in areas())

    response = client.post(
        reverse("core:settings_edit"), _settings_form_data(name="不应保存的名称", **changes)
    )

    assert response.status_code == 200
    errors = {title: form.errors for title, form in response.context["sections"] if form.errors}
    assert list(errors.values()) == [{field: [message]}]
    body = _html(response)
    assert message in body
    assert "确保" not in body and "输入一个" not in body  # no Django default wording
    assert "设置未保存:请按红色提示修改。" in body
    assert _settings_form_data() == before
    assert current_settings(DealershipSettings).name == "示例汽车4S店"
    assert sum(model.history.count() for model in areas()) == history_before


def test_a_manager_cannot_save_the_rules_and_they_stay_as_they_were(role_client):
    before = _settings_form_data()

    response = role_client("manager").post(
        reverse("core:settings_edit"), _settings_form_data(search_result_limit=80)
    )

    assert response.status_code == 403
    assert _settings_form_data() == before
    assert not ArchiveSettings.history.filter(history_type="~").exists()
