"""The business rules by area: each app's settings row, its validation, its history and the
one cached accessor (apps/core/settings.py) that every reader uses."""

import datetime as dt
import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.appointments.models import AppointmentSettings
from apps.callbacks.models import CallbackSettings, ChurnSettings
from apps.care.models import ReminderSettings
from apps.complaints.models import ComplaintSettings
from apps.core.models import DealershipSettings
from apps.core.services import area_settings_save
from apps.core.settings import _cache_key, areas, current_settings, settings_at
from apps.customers.models import ArchiveSettings
from apps.stock.models import StockSettings
from apps.warranty.models import WarrantySettings
from apps.workorders.models import ServiceSettings
from tests.factories.core import rules_in_cache

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_every_area_has_its_own_row_in_domain_order():
    assert areas() == [
        DealershipSettings,
        ArchiveSettings,
        ServiceSettings,
        AppointmentSettings,
        StockSettings,
        WarrantySettings,
        CallbackSettings,
        ComplaintSettings,
        ReminderSettings,
        ChurnSettings,
    ]
    assert [model._meta.app_label for model in areas()] == [
        "core",
        "customers",
        "workorders",
        "appointments",
        "stock",
        "warranty",
        "callbacks",
        "complaints",
        "care",
        "callbacks",
    ]


def test_each_area_starts_with_the_domain_defaults():
    assert current_settings(DealershipSettings).name == "示例汽车4S店"
    assert current_settings(ArchiveSettings).sales_documents_due_working_days == 2
    assert current_settings(ArchiveSettings).search_result_limit == 25
    assert current_settings(ServiceSettings).maintenance_interval_km == 5000
    assert current_settings(AppointmentSettings).target_maintenance_days == 14
    assert current_settings(StockSettings).purchase_lead_days == 3
    assert current_settings(WarrantySettings).warranty_claim_deadline_days == 7
    assert current_settings(CallbackSettings).callback_3dc_open_day == 3
    assert current_settings(CallbackSettings).contact_limit_per_week == 2
    assert current_settings(CallbackSettings).callback_window1_start == dt.time(10, 0)
    assert current_settings(ComplaintSettings).complaint_serious_resolve_days == 1
    assert current_settings(ReminderSettings).reminder_birthday_days == 3
    assert current_settings(ChurnSettings).churn_overdue_days == 30
    for model in areas():
        assert model.objects.get().pk == model.SINGLETON_PK


# --- validation -----------------------------------------------------------------------------

INVALID = [
    (
        DealershipSettings,
        {"business_opens_at": dt.time(19, 0)},
        "business_closes_at",
        "营业结束时间必须晚于开始时间。",
    ),
    (ArchiveSettings, {"search_result_limit": 5}, "search_result_limit", "不能小于 10。"),
    (
        ArchiveSettings,
        {"segment_major_spend": Decimal("30000")},
        "segment_major_spend",
        "分级消费门槛须满足 VIP ≥ 重要 ≥ 普通。",
    ),
    (
        ServiceSettings,
        {"maintenance_interval_km": 100},
        "maintenance_interval_km",
        "不能小于 500。",
    ),
    (
        WarrantySettings,
        {"warranty_return_years": 4},
        "warranty_return_years",
        "三包有效期不能长于包修期。",
    ),
    (
        CallbackSettings,
        {"callback_window1_end": dt.time(9, 0)},
        "callback_window1_end",
        "回访时段一的结束时间必须晚于开始时间。",
    ),
    (
        CallbackSettings,
        {"callback_level2_sample_percent": Decimal("101")},
        "callback_level2_sample_percent",
        "不能大于 100。",
    ),
    (ComplaintSettings, {"complaint_resolve_days": 0}, "complaint_resolve_days", "不能小于 1。"),
    (
        ReminderSettings,
        {"reminder_insurance_days_second": 30},
        "reminder_insurance_days_second",
        "第二次续保提醒须晚于第一次(天数更少)。",
    ),
    (
        ChurnSettings,
        {"churn_dormant_months": 6},
        "churn_dormant_months",
        "休眠月数必须大于活跃月数。",
    ),
]


@pytest.mark.parametrize(
    ("model", "changes", "field", "message"),
    INVALID,
    ids=[f"{case[0].__name__}-{case[2]}" for case in INVALID],
)
def test_each_area_refuses_a_wrong_rule_in_chinese_and_keeps_the_old_one(
    model, changes, field, message, user_with_role
):
    row = current_settings(model)
    before = {name: getattr(row, name) for name in changes}
    history_before = model.history.count()
    for name, value in changes.items():
        setattr(row, name, value)

    with pytest.raises(ValidationError) as error:
        area_settings_save(rows=[row], by=user_with_role("admin"))

    assert error.value.message_dict == {field: [message]}
    stored = model.objects.get()
    assert {name: getattr(stored, name) for name in changes} == before
    assert {name: getattr(current_settings(model), name) for name in changes} == before
    assert model.history.count() == history_before


def test_one_wrong_area_saves_no_area_at_all(user_with_role):
    archive, complaints = current_settings(ArchiveSettings), current_settings(ComplaintSettings)
    archive.search_result_limit = 80
    complaints.complaint_resolve_days = 0

    with pytest.raises(ValidationError):
        area_settings_save(rows=[archive, complaints], by=user_with_role("admin"))

    assert ArchiveSettings.objects.get().search_result_limit == 25
    assert current_settings(ArchiveSettings).search_result_limit == 25


# --- history --------------------------------------------------------------------------------


def test_a_save_writes_history_and_settings_at_answers_the_rule_in_force_at_a_past_date(
    user_with_role,
):
    admin = user_with_role("admin")
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        row = current_settings(ArchiveSettings)  # created with the default of 25
        row.search_result_limit = 80
        area_settings_save(rows=[row], by=admin)
    with time_machine.travel(dt.datetime(2026, 6, 1, 15, 0, tzinfo=SHANGHAI), tick=False):
        row = current_settings(ArchiveSettings)
        row.search_result_limit = 100
        area_settings_save(rows=[row], by=admin)

    changes = list(ArchiveSettings.history.order_by("history_date", "history_id"))
    assert [(c.history_type, c.search_result_limit) for c in changes] == [
        ("+", 25),
        ("~", 80),
        ("~", 100),
    ]
    assert [c.history_user for c in changes[1:]] == [admin, admin]
    assert settings_at(ArchiveSettings, dt.date(2026, 4, 30)).search_result_limit == 80
    assert settings_at(ArchiveSettings, dt.date(2026, 5, 31)).search_result_limit == 80
    assert settings_at(ArchiveSettings, dt.date(2026, 6, 1)).search_result_limit == 100
    at_noon = dt.datetime(2026, 6, 1, 12, 0, tzinfo=SHANGHAI)
    assert settings_at(ArchiveSettings, at_noon).search_result_limit == 80
    # Before anything was recorded, the first recorded row is the best answer.
    assert settings_at(ArchiveSettings, dt.date(2025, 12, 31)).search_result_limit == 25
    assert current_settings(ArchiveSettings).search_result_limit == 100


def test_settings_at_of_an_area_never_saved_answers_the_current_row():
    assert ChurnSettings.history.count() == 0

    assert settings_at(ChurnSettings, dt.date(2026, 1, 1)).churn_active_months == 6


# --- the cache ------------------------------------------------------------------------------


def test_the_rules_cache_is_redis_shared_by_every_process():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_a_second_read_costs_no_query(django_assert_num_queries):
    ArchiveSettings.objects.create(pk=1, search_result_limit=70)

    with django_assert_num_queries(1):  # the row, read once and cached
        first = current_settings(ArchiveSettings)
    with django_assert_num_queries(0):
        second = current_settings(ArchiveSettings)

    assert first.search_result_limit == second.search_result_limit == 70


def test_a_page_reads_its_rules_without_a_query(role_client):
    rules_in_cache()
    client = role_client("advisor")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:search"), {"q": "王"})

    assert response.status_code == 200
    assert "示例4S店" in response.content.decode()  # the header, from the dealership row
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "settings" not in read


def test_a_save_is_seen_at_once_by_this_process_and_by_another(
    user_with_role, django_capture_on_commit_callbacks
):
    rules_in_cache()
    other_process = caches.create_connection("default")  # its own Redis client
    row = current_settings(ArchiveSettings)
    row.search_result_limit = 120

    with django_capture_on_commit_callbacks(execute=True):
        area_settings_save(rows=[row], by=user_with_role("admin"))

    # The other process reads the shared cache, which the commit filled with the new row.
    assert other_process.get(_cache_key(ArchiveSettings)).search_result_limit == 120
    assert current_settings(ArchiveSettings).search_result_limit == 120


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_that_loaded_the_old_row_before_a_save_committed_cannot_cache_it():
    """A real race: another request misses the cache and reads the old row; the save
    commits; only then does that request put its row in the cache. It must not win."""
    ArchiveSettings.objects.create(pk=1)  # committed: 50 results
    loaded, saved, seen = threading.Event(), threading.Event(), {}

    def pause_after_reading_the_row(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and "customers_archivesettings" in sql:
            loaded.set()
            saved.wait(10)
        return result

    def other_request():
        try:
            with connection.execute_wrapper(pause_after_reading_the_row):
                seen["row"] = current_settings(ArchiveSettings)
        finally:
            connection.close()

    reader = threading.Thread(target=other_request)
    reader.start()
    assert loaded.wait(10)
    row = ArchiveSettings.objects.get()
    row.search_result_limit = 120
    area_settings_save(rows=[row], by=None)  # commits; the cache gets the new row
    saved.set()
    reader.join(10)

    assert seen["row"].search_result_limit == 25  # it read before the commit ...
    assert current_settings(ArchiveSettings).search_result_limit == 120  # ... and lost


# --- readers --------------------------------------------------------------------------------


def test_templates_read_only_fields_the_dealership_row_still_has():
    """The dealership row lost its rule fields to the areas; a template reading one would
    silently render nothing, so every `dealership.<field>` in a template must exist."""
    fields = {field.name for field in DealershipSettings._meta.fields}
    used = set()
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        used |= set(re.findall(r"\bdealership\.(\w+)", template.read_text()))

    assert used, "the templates read the dealership row"
    assert used <= fields, f"not on DealershipSettings: {sorted(used - fields)}"
