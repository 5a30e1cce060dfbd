"""The service catalogue: labour operations, canned jobs and maintenance intervals.

Writes (each owns its transaction) and the reads the catalogue pages and the work-order
page's "add line" box use. The work-order services (services.py) turn catalogue entries
into lines; this module only keeps the catalogue.

Prices of a canned job's line (CannedJobLine.unit_price empty = the catalogue's price):
a labour line costs quantity × standard hours × the labour rate (quantity counts the
operation, normally 1), a part line quantity × the part's price, a material line
quantity × its own price (a material has no catalogue entry, so its price is required).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.html import format_html

from apps.core.integrity import violated_constraint
from apps.core.pagination import KeysetPage, keyset_page
from apps.core.settings import current_settings
from apps.core.text import normalize_text
from apps.parts.models import Part
from apps.parts.services import MODEL_SEPARATOR, normalize_model_names, normalize_part_number

from .models import (
    CannedJob,
    CannedJobLine,
    LabourOperation,
    MaintenanceInterval,
    ServiceSettings,
    WorkOrderLine,
)

CENT = Decimal("0.01")
LABOUR_LIST_ORDER = ("code",)  # unique: pages on its own, served by the code's index
# Canned jobs are few (a handful per model): one page, by model, mileage and name.
CANNED_JOB_LIST_LIMIT = 500


def normalize_code(value) -> str:
    """A labour-operation code as stored: half-width, upper case, no spaces."""
    return normalize_part_number(value)


# --- labour operations ----------------------------------------------------------------------


def labour_operation_save(*, operation: LabourOperation) -> LabourOperation:
    """Create or update a labour operation.

    1. Code, name and the models it fits in canonical form.
    2. The database decides uniqueness of the code; the refusal names the other one.
    """
    operation.code = normalize_code(operation.code)
    operation.name = normalize_text(operation.name)
    operation.fits_models = normalize_model_names(operation.fits_models)
    if not operation.code:
        raise ValidationError({"code": "请填写工时代码。"})
    if operation.standard_hours is None or operation.standard_hours <= 0:
        raise ValidationError({"standard_hours": "标准工时应大于 0。"})
    try:
        with transaction.atomic():
            operation.save()
    except IntegrityError as error:
        if "code" not in (violated_constraint(error) or ""):
            raise
        other = LabourOperation.objects.filter(code=operation.code).first()
        message = (
            format_html(
                '工时代码 {} 已登记为 <a href="{}">{}</a>,请打开该项目修改。',
                other.code,
                reverse("catalogue:labour_update", args=[other.pk]),
                other.name,
            )
            if other
            else f"工时代码 {operation.code} 已被另一个工时项目使用。"
        )
        raise ValidationError({"code": message}) from error
    return operation


def labour_operation_list(
    *, query: str = "", include_inactive: bool = False, after=None, before=None
) -> KeysetPage:
    """One page of labour operations by code; ?q= is a code prefix or a name fragment:
    1 query."""
    operations = LabourOperation.objects.all()
    if not include_inactive:
        operations = operations.filter(active=True)
    if query.strip():
        operations = operations.filter(_code_or_name(query))
    return keyset_page(operations, order=LABOUR_LIST_ORDER, after=after, before=before)


def _code_or_name(query: str, *, code_field: str = "code") -> Q:
    """Code prefix (codes are stored upper case without spaces; the unique index's
    "_like" twin serves it) or name contains (GIN trigram on UPPER(name), 3+ characters)."""
    condition = Q(name__icontains=query.strip())
    code = normalize_code(query)
    if code:
        condition |= Q(**{f"{code_field}__startswith": code})
    return condition


# --- canned jobs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    """A canned job's line priced at today's catalogue and labour rate (the preview)."""

    line: CannedJobLine
    code: str
    description: str
    unit_price: Decimal
    amount: Decimal
    uses_catalogue_price: bool


@dataclass(frozen=True)
class CannedJobPreview:
    lines: list[PricedLine]
    labour: Decimal
    parts: Decimal
    materials: Decimal
    total: Decimal
    labour_rate: Decimal


def catalogue_unit_price(line: CannedJobLine, *, labour_rate: Decimal) -> Decimal | None:
    """The catalogue's price of one unit of `line` (None for a material: it has none)."""
    if line.kind == WorkOrderLine.Kind.LABOUR and line.labour_operation is not None:
        return (line.labour_operation.standard_hours * labour_rate).quantize(CENT, ROUND_HALF_UP)
    if line.kind == WorkOrderLine.Kind.PART and line.part is not None:
        return line.part.price
    return None


def canned_job_preview(
    lines: list[CannedJobLine], *, labour_rate: Decimal | None = None
) -> CannedJobPreview:
    """What the job's lines cost today: the override where there is one, else the
    catalogue's price (labour at the settings' current rate). Reads no rows itself: the
    lines come with their operation and part (canned_job_with_lines)."""
    rate = labour_rate if labour_rate is not None else current_settings(ServiceSettings).labour_rate
    sums = dict.fromkeys(WorkOrderLine.Kind.values, Decimal(0))
    priced = []
    for line in lines:
        catalogue_price = catalogue_unit_price(line, labour_rate=rate)
        unit_price = line.unit_price if line.unit_price is not None else catalogue_price
        unit_price = unit_price if unit_price is not None else Decimal(0)
        amount = (line.quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
        sums[line.kind] += amount
        source = line.labour_operation or line.part
        priced.append(
            PricedLine(
                line=line,
                code=getattr(source, "code", None) or getattr(source, "number", ""),
                description=line.description or (source.name if source else ""),
                unit_price=unit_price,
                amount=amount,
                uses_catalogue_price=line.unit_price is None,
            )
        )
    return CannedJobPreview(
        lines=priced,
        labour=sums[WorkOrderLine.Kind.LABOUR],
        parts=sums[WorkOrderLine.Kind.PART],
        materials=sums[WorkOrderLine.Kind.MATERIAL],
        total=sum(sums.values(), Decimal(0)),
        labour_rate=rate,
    )


def canned_job_with_lines(*, canned_job_id: int) -> CannedJob:
    """A canned job with `line_list` (its lines with operation and part): 2 queries."""
    job = CannedJob.objects.get(pk=canned_job_id)
    job.line_list = list(
        CannedJobLine.objects.filter(canned_job=job).select_related("labour_operation", "part")
    )
    return job


def canned_job_list(*, query: str = "", include_inactive: bool = False) -> list[CannedJob]:
    """The canned jobs (a few per model), with how many lines each has: 1 query."""
    jobs = CannedJob.objects.annotate(line_count=Count("lines"))
    if not include_inactive:
        jobs = jobs.filter(active=True)
    query = query.strip()
    if query:
        jobs = jobs.filter(Q(name__icontains=query) | Q(model_name__icontains=query))
    return list(jobs.order_by("model_name", "mileage", "name", "id")[:CANNED_JOB_LIST_LIMIT])


def canned_job_save(*, canned_job: CannedJob, lines: list[CannedJobLine]) -> CannedJob:
    """Save a canned job and replace its lines with `lines`, in their order.

    1. Name and model in canonical form; a job needs at least one line.
    2. Each line is checked by its kind (check_canned_job_line): a labour line names an
       operation, a part line a part, a material line a description and a price.
    3. The old lines are deleted and the new ones inserted in one transaction, numbered
       by position: the form's order is the job's order.
    """
    canned_job.name = normalize_text(canned_job.name)
    canned_job.model_name = normalize_text(canned_job.model_name)
    if not canned_job.name:
        raise ValidationError({"name": "请填写套餐名称。"})
    if not lines:
        raise ValidationError("套餐至少要有一条明细。")
    for line in lines:
        check_canned_job_line(line)
    with transaction.atomic():
        canned_job.save()
        CannedJobLine.objects.filter(canned_job=canned_job).delete()
        for position, line in enumerate(lines, start=1):
            line.pk = None
            line.canned_job = canned_job
            line.position = position
        CannedJobLine.objects.bulk_create(lines)
    return canned_job


def check_canned_job_line(line: CannedJobLine) -> None:
    """The rules of one line by its kind, as ValidationErrors per field; links that do
    not belong to the kind are dropped (a part line keeps no labour operation)."""
    line.description = normalize_text(line.description)
    errors = {}
    if line.kind == WorkOrderLine.Kind.LABOUR:
        line.part = None
        if line.labour_operation is None:
            errors["code"] = "工时明细须选择工时项目(填写工时代码)。"
    elif line.kind == WorkOrderLine.Kind.PART:
        line.labour_operation = None
        if line.part is None:
            errors["code"] = "配件明细须选择配件(填写配件编号)。"
    elif line.kind == WorkOrderLine.Kind.MATERIAL:
        line.labour_operation = line.part = None
        if not line.description:
            errors["description"] = "辅料明细须填写名称。"
        if line.unit_price is None:
            errors["unit_price"] = "辅料明细须填写单价。"
    else:
        errors["kind"] = "请选择类别。"
    if line.quantity is None or line.quantity <= 0:
        errors["quantity"] = "数量/工时应大于 0。"
    if line.unit_price is not None and line.unit_price < 0:
        errors["unit_price"] = "单价不能为负数。"
    if errors:
        raise ValidationError(errors)


# --- maintenance intervals --------------------------------------------------------------------


def maintenance_interval_save(*, interval: MaintenanceInterval) -> MaintenanceInterval:
    """Create or update one model's next-maintenance defaults; one row per model (the
    database's unique model_name decides)."""
    interval.model_name = normalize_text(interval.model_name)
    if not interval.model_name:
        raise ValidationError({"model_name": "请填写车型。"})
    try:
        with transaction.atomic():
            interval.save()
    except IntegrityError as error:
        if "model_name" not in (violated_constraint(error) or ""):
            raise
        raise ValidationError(
            {"model_name": f"车型“{interval.model_name}”已设置保养间隔,请在列表中修改。"}
        ) from error
    return interval


# --- the work order's "add line" box ----------------------------------------------------------

SEARCH_LIMIT = 20  # results in the box: one tablet screen


class Fit:
    """How an entry fits the vehicle's model, best first (the search's order)."""

    MODEL = 0  # lists the vehicle's model
    EVERY = 1  # fits every model (nothing listed)
    OTHER = 2  # lists other models only


@dataclass(frozen=True)
class CatalogueHit:
    """One result of catalogue_search: `source` is labour / part / canned and `source_id`
    the row's pk (what the add-line form posts back)."""

    source: str
    source_id: int
    code: str
    name: str
    detail: str  # "1.20 工时" / "个" / "5 项明细"
    price: Decimal | None  # unit price (labour: hours × rate); canned jobs: None
    fit: int

    @property
    def fits(self) -> bool:
        return self.fit != Fit.OTHER

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


SOURCE_LABELS = {"canned": "套餐", "labour": "工时", "part": "配件"}


def _listed_fit(model_name: str) -> Case:
    """Fit of a row whose fits_models lists model names joined by "、" (annotated as
    `fits_list`, framed by separators, so that "速腾" does not match "速腾 2023款")."""
    whens = [When(fits_models="", then=Value(Fit.EVERY))]
    if model_name:
        framed = f"{MODEL_SEPARATOR}{model_name}{MODEL_SEPARATOR}"
        whens.append(When(fits_list__contains=framed, then=Value(Fit.MODEL)))
    return Case(*whens, default=Value(Fit.OTHER), output_field=IntegerField())


def _job_fit(model_name: str) -> Case:
    """Fit of a canned job: made for the model, for every model, or for another."""
    whens = [When(model_name="", then=Value(Fit.EVERY))]
    if model_name:
        whens.append(When(model_name=model_name, then=Value(Fit.MODEL)))
    return Case(*whens, default=Value(Fit.OTHER), output_field=IntegerField())


def _framed_fits() -> Concat:
    return Concat(Value(MODEL_SEPARATOR), "fits_models", Value(MODEL_SEPARATOR))


def catalogue_search(
    *, query: str, model_name: str, limit: int = SEARCH_LIMIT
) -> list[CatalogueHit]:
    """Active labour operations, parts and canned jobs matching `query` (code or part
    number prefix, or name contains; a canned job by name, or its mileage when the query
    is a number), those that fit `model_name` first, then those for every model, then the
    rest; within a fit canned jobs, labour, parts, each by code. 3 queries, each limited.
    """
    query = normalize_text(query)
    if not query:
        return []
    model_name = normalize_text(model_name)
    labour_rate = current_settings(ServiceSettings).labour_rate
    hits: list[CatalogueHit] = []
    operations = (
        LabourOperation.objects.filter(active=True)
        .filter(_code_or_name(query))
        .annotate(fits_list=_framed_fits())
        .annotate(fit=_listed_fit(model_name))
        .order_by("fit", "code")[:limit]
    )
    for operation in operations:
        hits.append(
            CatalogueHit(
                source="labour",
                source_id=operation.pk,
                code=operation.code,
                name=operation.name,
                detail=f"{operation.standard_hours} 工时",
                price=(operation.standard_hours * labour_rate).quantize(CENT, ROUND_HALF_UP),
                fit=operation.fit,
            )
        )
    parts = (
        Part.objects.filter(active=True)
        .filter(_code_or_name(query, code_field="number"))
        .annotate(fits_list=_framed_fits())
        .annotate(fit=_listed_fit(model_name))
        .order_by("fit", "number")[:limit]
    )
    for part in parts:
        hits.append(
            CatalogueHit(
                source="part",
                source_id=part.pk,
                code=part.number,
                name=part.name,
                detail=part.unit,
                price=part.price,
                fit=part.fit,
            )
        )
    job_match = Q(name__icontains=query)
    if query.isdigit():
        job_match |= Q(mileage=int(query))
    jobs = (
        CannedJob.objects.filter(active=True)
        .filter(job_match)
        .annotate(fit=_job_fit(model_name), line_count=Count("lines"))
        .order_by("fit", "mileage", "name", "id")[:limit]
    )
    for job in jobs:
        hits.append(
            CatalogueHit(
                source="canned",
                source_id=job.pk,
                code=f"{job.mileage} 公里" if job.mileage else "",
                name=job.name,
                detail=f"{job.line_count} 项明细"
                + (f" · {job.model_name}" if job.model_name else ""),
                price=None,
                fit=job.fit,
            )
        )
    source_order = {"canned": 0, "labour": 1, "part": 2}
    # sorted() is stable: within a fit and a source the queries' own order stays.
    return sorted(hits, key=lambda hit: (hit.fit, source_order[hit.source]))[:limit]
