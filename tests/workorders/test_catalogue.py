"""The service catalogue's services and selectors: labour operations saved in canonical
form, canned-job lines checked by kind (the formset), the price preview at the current
labour rate, the add-line search with the vehicle's model first, and the demo catalogue."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.parts.models import Part
from apps.workorders.catalogue import (
    Fit,
    canned_job_preview,
    canned_job_save,
    canned_job_with_lines,
    catalogue_search,
    labour_operation_save,
)
from apps.workorders.catalogue_forms import CannedJobLineFormSet
from apps.workorders.demo_catalogue import seed_catalogue
from apps.workorders.models import (
    CannedJob,
    CannedJobLine,
    LabourOperation,
    MaintenanceInterval,
    ServiceSettings,
)
from tests.factories.parts import PartFactory
from tests.factories.workorders import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
)

pytestmark = pytest.mark.django_db

SAGITAR = "速腾 2023款 300TSI"
MAGOTAN = "迈腾 2024款 330TSI"


def _rate(value: str) -> None:
    row = current_settings(ServiceSettings)
    row.labour_rate = Decimal(value)
    area_settings_save(rows=[row], by=None)


# --- labour operations -------------------------------------------------------------------------


def test_labour_operation_save_normalises_code_name_and_models():
    operation = labour_operation_save(
        operation=LabourOperation(
            code=" ｌｂ-0101 ",
            name=" 更换机油机滤 ",
            standard_hours=Decimal("0.5"),
            fits_models=f"{SAGITAR}, {MAGOTAN}",
        )
    )

    operation.refresh_from_db()
    assert (operation.code, operation.name) == ("LB-0101", "更换机油机滤")
    assert operation.fits_models == f"{SAGITAR}、{MAGOTAN}"


def test_labour_operation_save_refuses_a_code_in_use_and_zero_hours():
    LabourOperationFactory(code="LB-0101")

    with pytest.raises(ValidationError) as duplicate:
        labour_operation_save(
            operation=LabourOperation(code="lb-0101", name="x", standard_hours=Decimal(1))
        )
    with pytest.raises(ValidationError) as zero:
        labour_operation_save(
            operation=LabourOperation(code="LB-0999", name="x", standard_hours=Decimal(0))
        )

    assert "工时代码 LB-0101 已登记为" in duplicate.value.message_dict["code"][0]
    assert zero.value.message_dict == {"standard_hours": ["标准工时应大于 0。"]}
    assert LabourOperation.objects.count() == 1


# --- the canned-job line formset ------------------------------------------------------------


def _formset(rows: list[dict]) -> CannedJobLineFormSet:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        defaults = {"quantity": "1", "payer": "customer"}
        for name, value in (defaults | row).items():
            data[f"lines-{index}-{name}"] = value
    return CannedJobLineFormSet(data, prefix="lines")


def test_the_formset_resolves_codes_typed_messily_into_lines_in_order():
    operation = LabourOperationFactory(code="LB-0101")
    part = PartFactory(number="5QD115561")
    formset = _formset(
        [
            {"kind": "labour", "code": " lb-0101"},
            {"kind": "part", "code": "５ｑｄ１１５５６１", "quantity": "1"},
            {"kind": "material", "description": " 清洗剂 ", "unit_price": "25"},
            {"kind": "labour", "code": "", "quantity": "1", "DELETE": "on"},
        ]
    )

    assert formset.is_valid(), formset.errors
    lines = formset.lines()
    assert [(line.kind, line.labour_operation, line.part, line.description) for line in lines] == [
        ("labour", operation, None, ""),
        ("part", None, part, ""),
        ("material", None, None, "清洗剂"),
    ]


@pytest.mark.parametrize(
    ("row", "errors"),
    [
        # (a row left as it was offered is not a line: here the quantity was typed)
        (
            {"kind": "labour", "code": "", "quantity": "2"},
            {"code": ["工时明细须选择工时项目(填写工时代码)。"]},
        ),
        ({"kind": "labour", "code": "LB-404"}, {"code": ["没有工时代码为 LB-404 的工时项目。"]}),
        ({"kind": "part", "code": ""}, {"code": ["配件明细须选择配件(填写配件编号)。"]}),
        ({"kind": "part", "code": "nope"}, {"code": ["没有配件编号为 NOPE 的配件。"]}),
        (
            {"kind": "material", "description": "", "unit_price": ""},
            {"description": ["辅料明细须填写名称。"], "unit_price": ["辅料明细须填写单价。"]},
        ),
        (
            {"kind": "material", "description": "清洗剂", "unit_price": "25", "quantity": "0"},
            {"quantity": ["数量/工时应大于 0。"]},
        ),
        (
            {"kind": "material", "description": "清洗剂", "unit_price": "abc"},
            {"unit_price": ["单价(空=目录价)应为数字。"]},
        ),
    ],
)
def test_the_formset_says_what_each_kind_of_line_needs(row, errors):
    formset = _formset([row])

    assert formset.is_valid() is False
    assert formset.errors == [errors]


def test_a_job_without_lines_is_refused():
    formset = _formset([])

    assert formset.is_valid() is False
    assert formset.non_form_errors() == ["套餐至少要有一条明细。"]


# --- saving and pricing a canned job -----------------------------------------------------------


def test_canned_job_save_replaces_the_lines_in_the_forms_order():
    job = CannedJobLineFactory().canned_job
    operation = LabourOperationFactory(standard_hours=Decimal("1.0"))
    part = PartFactory(price=Decimal("68.00"))

    canned_job_save(
        canned_job=job,
        lines=[
            CannedJobLine(kind="part", part=part, quantity=Decimal(1)),
            CannedJobLine(kind="labour", labour_operation=operation, quantity=Decimal(1)),
        ],
    )

    saved = list(job.lines.order_by("position"))
    assert [(line.position, line.kind) for line in saved] == [(1, "part"), (2, "labour")]
    assert CannedJobLine.objects.count() == 2


def test_a_refused_line_leaves_the_job_as_it_was():
    line = CannedJobLineFactory()
    job = line.canned_job

    with pytest.raises(ValidationError):
        canned_job_save(canned_job=job, lines=[CannedJobLine(kind="material", quantity=Decimal(1))])

    assert list(job.lines.all()) == [line]


def test_the_preview_prices_labour_at_the_current_rate_and_keeps_overrides():
    _rate("200.00")
    job = CannedJobFactory()
    change_oil = LabourOperationFactory(standard_hours=Decimal("0.5"))
    alignment = LabourOperationFactory(standard_hours=Decimal("1.0"))
    oil = PartFactory(price=Decimal("438.00"))
    canned_job_save(
        canned_job=job,
        lines=[
            CannedJobLine(kind="labour", labour_operation=change_oil, quantity=Decimal(1)),
            # an override: the package's alignment costs 150 instead of 200
            CannedJobLine(
                kind="labour",
                labour_operation=alignment,
                quantity=Decimal(1),
                unit_price=Decimal("150.00"),
            ),
            CannedJobLine(kind="part", part=oil, quantity=Decimal("1.5")),
            CannedJobLine(
                kind="material",
                description="清洗剂",
                quantity=Decimal(2),
                unit_price=Decimal("25.00"),
            ),
        ],
    )

    preview = canned_job_preview(canned_job_with_lines(canned_job_id=job.pk).line_list)

    # labour 0.5 h × 200 = 100 + 150 (override); parts 1.5 × 438 = 657; materials 2 × 25
    assert [p.amount for p in preview.lines] == [
        Decimal("100.00"),
        Decimal("150.00"),
        Decimal("657.00"),
        Decimal("50.00"),
    ]
    assert (preview.labour, preview.parts, preview.materials, preview.total) == (
        Decimal("250.00"),
        Decimal("657.00"),
        Decimal("50.00"),
        Decimal("957.00"),
    )
    _rate("220.00")
    assert canned_job_preview(job.lines.all()).labour == Decimal("260.00")  # 110 + 150


# --- the add-line search ---------------------------------------------------------------------


def test_the_search_lists_what_fits_the_vehicles_model_first_then_every_model_then_others():
    LabourOperationFactory(code="LB-0101", name="更换机油机滤", fits_models=MAGOTAN)
    LabourOperationFactory(code="LB-0102", name="更换机油(通用)", fits_models="")
    LabourOperationFactory(
        code="LB-0103", name="更换机油(速腾)", fits_models=f"{MAGOTAN}、{SAGITAR}"
    )
    PartFactory(number="G052195M4", name="机油 5W-30 4L", fits_models="")
    PartFactory(number="3GD115561", name="机油滤清器", fits_models=MAGOTAN)
    PartFactory(number="5QD115561", name="机油滤清器", fits_models=SAGITAR)
    PartFactory(number="5QD115562", name="机油滤清器(停用)", fits_models=SAGITAR, active=False)
    CannedJobFactory(name="机油保养套餐", model_name=SAGITAR)
    CannedJobFactory(name="机油保养套餐", model_name=MAGOTAN)

    hits = catalogue_search(query="机油", model_name=SAGITAR)

    assert [(hit.fit, hit.source, hit.code) for hit in hits] == [
        (Fit.MODEL, "canned", "10000 公里"),
        (Fit.MODEL, "labour", "LB-0103"),
        (Fit.MODEL, "part", "5QD115561"),
        (Fit.EVERY, "labour", "LB-0102"),
        (Fit.EVERY, "part", "G052195M4"),
        (Fit.OTHER, "canned", "10000 公里"),
        (Fit.OTHER, "labour", "LB-0101"),
        (Fit.OTHER, "part", "3GD115561"),
    ]
    assert hits[0].name == "机油保养套餐" and hits[0].fits is True
    assert hits[-1].fits is False


def test_the_search_matches_a_code_prefix_typed_in_lower_case_and_prices_labour():
    _rate("200.00")
    operation = LabourOperationFactory(
        code="LB-0201", name="四轮定位", standard_hours=Decimal("1.0")
    )
    LabourOperationFactory(code="LB-0301", name="更换刹车片(前)")

    [hit] = catalogue_search(query="lb-02", model_name=SAGITAR)

    assert (hit.source, hit.source_id, hit.price) == ("labour", operation.pk, Decimal("200.00"))


def test_a_name_fragment_must_not_match_a_longer_model_name():
    """ "速腾" is listed; the vehicle is "速腾 2023款 300TSI": a different model name."""
    PartFactory(number="A1", name="机油滤清器", fits_models="速腾")

    [hit] = catalogue_search(query="机油", model_name=SAGITAR)

    assert hit.fit == Fit.OTHER


def test_the_search_stops_at_the_limit_and_an_empty_query_finds_nothing():
    for n in range(30):
        PartFactory(number=f"P{n:03d}", name="雨刮片")

    assert len(catalogue_search(query="雨刮", model_name=SAGITAR, limit=20)) == 20
    assert catalogue_search(query="  ", model_name=SAGITAR) == []


def test_the_search_finds_a_canned_job_by_its_mileage():
    job = CannedJobFactory(name="常规保养", mileage=20000)

    [hit] = catalogue_search(query="20000", model_name=SAGITAR)

    assert (hit.source, hit.source_id) == ("canned", job.pk)


def test_the_search_runs_three_queries(django_assert_num_queries, settings_row):
    PartFactory.create_batch(5, name="机油滤清器")
    LabourOperationFactory.create_batch(5, name="更换机油机滤")

    # labour operations, parts, canned jobs (the labour rate comes from the cache)
    with django_assert_num_queries(3):
        catalogue_search(query="机油", model_name=SAGITAR)


# --- the demo catalogue --------------------------------------------------------------------


def test_the_demo_catalogue_covers_every_demo_model_and_a_second_run_changes_nothing():
    first = seed_catalogue()
    counts = (
        LabourOperation.objects.count(),
        Part.objects.count(),
        CannedJob.objects.count(),
        CannedJobLine.objects.count(),
    )

    second = seed_catalogue()

    assert first == second
    assert counts == (
        LabourOperation.objects.count(),
        Part.objects.count(),
        CannedJob.objects.count(),
        CannedJobLine.objects.count(),
    )
    assert counts[0] >= 40 and counts[1] >= 80 and counts[2] == 40  # 10 models × 4 services
    assert MaintenanceInterval.objects.count() == 2  # the two electric models
    job = CannedJob.objects.get(model_name=SAGITAR, mileage=10000)
    preview = canned_job_preview(canned_job_with_lines(canned_job_id=job.pk).line_list)
    assert preview.total > 0
    assert {line.kind for line in job.lines.all()} == {"labour", "part", "material"}
    # a Sagitar finds its own oil filter first
    hits = catalogue_search(query="机油滤清器", model_name=SAGITAR)
    assert hits[0].code == "5QD115561"
