"""The catalogue pages: managers edit labour operations, canned jobs (with their lines)
and maintenance intervals; advisors read; refused writes change nothing; lists run a
fixed number of queries; the add-line search box renders one small form per result."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.workorders.models import CannedJob, LabourOperation, MaintenanceInterval
from tests.factories.parts import PartFactory
from tests.factories.workorders import (
    CannedJobLineFactory,
    LabourOperationFactory,
    MaintenanceIntervalFactory,
    WorkOrderFactory,
)
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]

SAGITAR = "速腾 2023款 300TSI"


def _job_data(lines: list[dict], **job) -> dict:
    data = {
        "name": "10000 公里保养",
        "model_name": SAGITAR,
        "mileage": "10000",
        "kind": "maintenance",
        "active": "on",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    } | job
    for index, line in enumerate(lines):
        for name, value in ({"quantity": "1", "payer": "customer"} | line).items():
            data[f"lines-{index}-{name}"] = value
    return data


def test_a_manager_creates_a_canned_job_with_three_lines_and_sees_its_price(role_client):
    LabourOperationFactory(code="LB-0101", standard_hours=Decimal("0.5"))
    PartFactory(number="5QD115561", price=Decimal("68.00"))
    client = role_client("manager")

    response = client.post(
        reverse("catalogue:cannedjob_create"),
        _job_data(
            [
                {"kind": "labour", "code": "lb-0101"},
                {"kind": "part", "code": "5qd115561"},
                {"kind": "material", "description": "清洗剂", "unit_price": "25"},
            ]
        ),
    )

    job = CannedJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:cannedjob_detail", args=[job.pk])
    detail = client.get(response["Location"])
    # 0.5 h × 200 + 68 + 25 at the default rate of 200 元/h
    assert '<td class="text-end" id="preview-total">193.00</td>' in html(detail)


def test_a_line_error_is_shown_on_its_row_and_nothing_is_saved(role_client):
    client = role_client("manager")

    response = client.post(
        reverse("catalogue:cannedjob_create"),
        _job_data([{"kind": "part", "code": "NOPE"}]),
    )

    assert response.status_code == 200
    assert "没有配件编号为 NOPE 的配件。" in response.content.decode()
    assert CannedJob.objects.exists() is False


def test_the_edit_page_offers_the_saved_lines_and_saves_the_changes(role_client):
    line = CannedJobLineFactory(labour_operation__code="LB-0101")
    job = line.canned_job
    client = role_client("manager")

    page = client.get(reverse("catalogue:cannedjob_update", args=[job.pk]))
    assert page.context["formset"].initial[0]["code"] == "LB-0101"
    response = client.post(
        reverse("catalogue:cannedjob_update", args=[job.pk]),
        _job_data([{"kind": "labour", "code": "LB-0101", "quantity": "2"}], name="大保养"),
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.name == "大保养"
    assert [line.quantity for line in job.lines.all()] == [Decimal("2.00")]


def test_an_advisor_cannot_create_a_canned_job_or_change_a_labour_operation(role_client):
    operation = LabourOperationFactory(standard_hours=Decimal("0.50"))
    client = role_client("advisor")

    create = client.post(reverse("catalogue:cannedjob_create"), _job_data([]))
    update = client.post(
        reverse("catalogue:labour_update", args=[operation.pk]),
        {"code": operation.code, "name": "改", "standard_hours": "9"},
    )

    assert (create.status_code, update.status_code) == (403, 403)
    assert CannedJob.objects.exists() is False
    operation.refresh_from_db()
    assert operation.standard_hours == Decimal("0.50")


def test_a_manager_creates_a_labour_operation_typed_messily(role_client):
    client = role_client("manager")

    response = client.post(
        reverse("catalogue:labour_create"),
        {
            "code": "ｌｂ 0201",
            "name": " 四轮定位 ",
            "standard_hours": "1",
            "active": "on",
            "fits_models": "速腾，迈腾",
        },
    )

    assert response.status_code == 302
    operation = LabourOperation.objects.get()
    assert (operation.code, operation.name, operation.fits_models) == (
        "LB0201",
        "四轮定位",
        "速腾、迈腾",
    )


def test_the_labour_list_runs_the_same_queries_for_3_operations_and_for_40(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    url = reverse("catalogue:labour_list")
    LabourOperationFactory.create_batch(3)
    with django_assert_num_queries(PAGE_QUERIES + 1):  # one page of operations
        client.get(url)
    LabourOperationFactory.create_batch(40)

    with django_assert_num_queries(PAGE_QUERIES + 1):
        first = client.get(url, {"q": "LB"})
    with django_assert_num_queries(PAGE_QUERIES + 1):
        second = client.get(url, {"q": "LB", "after": first.context["page"].next})

    assert len(first.context["page"].rows) == 25
    assert len(second.context["page"].rows) == 18


def test_the_canned_job_list_and_page_run_a_fixed_number_of_queries(
    role_client, django_assert_num_queries
):
    client = role_client("advisor")
    CannedJobLineFactory.create_batch(3)
    job = CannedJobLineFactory().canned_job
    CannedJobLineFactory.create_batch(
        5, canned_job=job, kind="part", labour_operation=None, part=PartFactory()
    )

    with django_assert_num_queries(PAGE_QUERIES + 1):  # the jobs with their line counts
        listed = client.get(reverse("catalogue:cannedjob_list"))
    with django_assert_num_queries(PAGE_QUERIES + 2):  # the job; its lines with their entries
        detail = client.get(reverse("catalogue:cannedjob_detail", args=[job.pk]))

    assert [j.line_count for j in listed.context["jobs"]] == [1, 1, 1, 6]
    assert len(detail.context["preview"].lines) == 6


def test_a_manager_sets_a_models_interval_and_a_second_row_for_it_is_refused(role_client):
    MaintenanceIntervalFactory(model_name="ID.4 CROZZ 2024款 PRO")
    client = role_client("manager")

    added = client.post(
        reverse("catalogue:interval_list"),
        {"model_name": " 汉 EV 2023款 ", "months": "12", "km": "10000"},
    )
    twice = client.post(
        reverse("catalogue:interval_list"),
        {"model_name": "ID.4 CROZZ 2024款 PRO", "months": "6", "km": "5000"},
    )

    assert added.status_code == 302
    assert "车型“ID.4 CROZZ 2024款 PRO”已设置保养间隔" in twice.content.decode()
    assert list(MaintenanceInterval.objects.values_list("model_name", "km")) == [
        ("ID.4 CROZZ 2024款 PRO", 10000),
        ("汉 EV 2023款", 10000),
    ]


# --- the add-line search box -------------------------------------------------------------------


def test_the_line_search_renders_a_small_form_per_result_for_the_orders_model(role_client):
    order = WorkOrderFactory(vehicle__model_name=SAGITAR, status="draft")
    fits = PartFactory(number="5QD115561", name="机油滤清器", fits_models=SAGITAR)
    other = PartFactory(number="3GD115561", name="机油滤清器", fits_models="迈腾 2024款 330TSI")
    client = role_client("advisor")

    response = client.get(reverse("catalogue:line_search"), {"q": "机油", "work_order": order.pk})

    assert response.status_code == 200
    forms = html(response).split("<form")[1:]
    assert [
        re.search(r'data-source="(\w+)" data-source-id="(\d+)"', f).groups() for f in forms
    ] == [
        ("part", str(fits.pk)),
        ("part", str(other.pk)),
    ]
    for form, part in zip(forms, [fits, other], strict=True):
        assert '<input type="hidden" name="source" value="part">' in form
        assert f'<input type="hidden" name="source_id" value="{part.pk}">' in form
        assert "csrfmiddlewaretoken" in form
    assert "非本车型" in forms[1] and "非本车型" not in forms[0]
    add_url = reverse("workorders:add_catalogue_line", args=[order.pk])
    assert all(f'action="{add_url}"' in form for form in forms)
    assert not any('type="submit" disabled' in form for form in forms)


def test_the_line_search_of_an_unknown_order_is_not_found(role_client):
    client = role_client("advisor")

    assert client.get(reverse("catalogue:line_search"), {"q": "机油"}).status_code == 404
    missing = client.get(reverse("catalogue:line_search"), {"q": "机油", "work_order": 999999})
    assert missing.status_code == 404
