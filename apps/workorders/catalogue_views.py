"""Pages of the service catalogue (namespace `catalogue`): HTTP, permissions and forms
only; writes and reads are in catalogue.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.settings import current_settings
from apps.parts.forms import CatalogueSearchForm

from . import catalogue
from .catalogue_forms import (
    CannedJobForm,
    CannedJobLineFormSet,
    LabourOperationForm,
    MaintenanceIntervalForm,
    canned_job_line_initial,
)
from .models import CannedJob, LabourOperation, MaintenanceInterval, ServiceSettings, WorkOrder


def _search(request) -> tuple[CatalogueSearchForm, str, bool]:
    search = CatalogueSearchForm(request.GET or None)
    if search.is_valid():
        return search, search.cleaned_data["q"], search.cleaned_data["inactive"]
    return search, "", False


# --- labour operations ----------------------------------------------------------------------


@require_perm("workorders.view_labouroperation")
def labour_list(request):
    search, query, inactive = _search(request)
    page = catalogue.labour_operation_list(
        query=query,
        include_inactive=inactive,
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    return render(
        request,
        "workorders/catalogue/labouroperation_list.html",
        {"search": search, "page": page, "query": query},
    )


def _labour_form_page(request, *, operation: LabourOperation, title: str, done: str):
    form = LabourOperationForm(request.POST or None, instance=operation)
    if request.method == "POST" and form.is_valid():
        try:
            saved = catalogue.labour_operation_save(operation=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{done}:{saved.code} {saved.name}")
            return redirect("catalogue:labour_list")
    return render(
        request, "workorders/catalogue/labouroperation_form.html", {"form": form, "title": title}
    )


@require_perm("workorders.add_labouroperation")
def labour_create(request):
    return _labour_form_page(
        request, operation=LabourOperation(), title="新建工时项目", done="已新建工时项目"
    )


@require_perm("workorders.change_labouroperation")
def labour_update(request, pk):
    operation = get_object_or_404(LabourOperation, pk=pk)
    return _labour_form_page(
        request, operation=operation, title=f"编辑工时项目:{operation.code}", done="工时项目已保存"
    )


# --- canned jobs ------------------------------------------------------------------------------


@require_perm("workorders.view_cannedjob")
def cannedjob_list(request):
    search, query, inactive = _search(request)
    jobs = catalogue.canned_job_list(query=query, include_inactive=inactive)
    return render(
        request,
        "workorders/catalogue/cannedjob_list.html",
        {"search": search, "jobs": jobs, "query": query},
    )


def _canned_job_or_404(pk) -> CannedJob:
    try:
        return catalogue.canned_job_with_lines(canned_job_id=pk)
    except CannedJob.DoesNotExist:
        raise Http404("套餐不存在") from None


@require_perm("workorders.view_cannedjob")
def cannedjob_detail(request, pk):
    """The job's lines priced today: overrides, else the catalogue at the current rate."""
    job = _canned_job_or_404(pk)
    return render(
        request,
        "workorders/catalogue/cannedjob_detail.html",
        {"job": job, "preview": catalogue.canned_job_preview(job.line_list)},
    )


def _canned_job_form_page(request, *, job: CannedJob, title: str, done: str):
    initial = canned_job_line_initial(getattr(job, "line_list", []))
    form = CannedJobForm(request.POST or None, instance=job)
    formset = CannedJobLineFormSet(request.POST or None, initial=initial, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = catalogue.canned_job_save(
                canned_job=form.save(commit=False), lines=formset.lines()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{done}:{saved.name}")
            return redirect("catalogue:cannedjob_detail", pk=saved.pk)
    preview = catalogue.canned_job_preview(job.line_list) if job.pk else None
    return render(
        request,
        "workorders/catalogue/cannedjob_form.html",
        {"form": form, "formset": formset, "title": title, "job": job, "preview": preview},
    )


@require_perm("workorders.add_cannedjob")
def cannedjob_create(request):
    return _canned_job_form_page(
        request, job=CannedJob(), title="新建维修套餐", done="已新建维修套餐"
    )


@require_perm("workorders.change_cannedjob")
def cannedjob_update(request, pk):
    job = _canned_job_or_404(pk)
    return _canned_job_form_page(
        request, job=job, title=f"编辑维修套餐:{job.name}", done="维修套餐已保存"
    )


# --- maintenance intervals ----------------------------------------------------------------------


@require_perm("workorders.edit_catalogue")
def interval_list(request):
    """Every model's intervals, and a form to add one (the rest use the settings)."""
    form = MaintenanceIntervalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = catalogue.maintenance_interval_save(interval=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已设置 {saved.model_name} 的保养间隔。")
            return redirect("catalogue:interval_list")
    return render(
        request,
        "workorders/catalogue/maintenanceinterval_list.html",
        {
            "intervals": list(MaintenanceInterval.objects.order_by("model_name")),
            "form": form,
            "defaults": current_settings(ServiceSettings),
        },
    )


@require_perm("workorders.edit_catalogue")
def interval_update(request, pk):
    interval = get_object_or_404(MaintenanceInterval, pk=pk)
    form = MaintenanceIntervalForm(request.POST or None, instance=interval)
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.maintenance_interval_save(interval=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{interval.model_name} 的保养间隔已保存。")
            return redirect("catalogue:interval_list")
    return render(
        request,
        "workorders/catalogue/maintenanceinterval_form.html",
        {"form": form, "title": f"编辑保养间隔:{interval.model_name}"},
    )


# --- the work order's "add line" box (htmx) ----------------------------------------------------


@require_perm("workorders.change_workorder")
def line_search(request):
    """The results of the work-order page's "add line" box (htmx partial, GET
    ?q=<text>&work_order=<id>): catalogue_search for the order's vehicle model.

    Renders workorders/catalogue/partials/line_search.html with:
    - ``work_order``: the WorkOrder (its vehicle loaded);
    - ``query``: the text searched, as typed;
    - ``hits``: list of catalogue.CatalogueHit (source "labour" | "part" | "canned",
      source_id, code, name, detail, price, fit, fits), those fitting the model first;
    - ``add_url``: the URL each result's form POSTs to (``source``, ``source_id`` and the
      CSRF token as fields): `workorders:add_catalogue_line`.
    An order that does not exist answers 404; an empty query renders no results.
    """
    try:
        order_id = int(request.GET.get("work_order", ""))
    except ValueError:
        raise Http404("工单不存在") from None
    work_order = get_object_or_404(WorkOrder.objects.select_related("vehicle"), pk=order_id)
    query = request.GET.get("q", "")
    hits = catalogue.catalogue_search(query=query, model_name=work_order.vehicle.model_name)
    return render(
        request,
        "workorders/catalogue/partials/line_search.html",
        {
            "work_order": work_order,
            "query": query,
            "hits": hits,
            "add_url": reverse("workorders:add_catalogue_line", args=[work_order.pk]),
        },
    )
