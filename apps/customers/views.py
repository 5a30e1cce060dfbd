"""Pages of the customer archive: HTTP, permissions and forms only; work is in services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.core.pii import PiiField
from apps.core.settings import current_settings
from apps.workorders.models import WorkOrder

from . import importing, ocr, selectors, services, tasks
from .forms import (
    CustomerFilter,
    CustomerForm,
    CustomerMergeForm,
    ImportForm,
    OwnerChangeForm,
    PiiRevealFilter,
    PlateFreeForm,
    SalesDocumentsForm,
    SalesFileForm,
    VehicleFilter,
    VehicleForm,
)
from .models import ArchiveSettings, Customer, ImportBatch, PiiReveal, SalesFile, Vehicle
from .search import SEARCH_SECTIONS, normalize_query, search_archive
from .templatetags.archive import pii_value_context

# htmx stops polling an element when the answer's status is 286 (htmx docs: "Polling").
HTMX_STOP_POLLING = 286


@require_perm("customers.view_customer")
def search(request):
    """The search box: a page of each kind of result with its count, each section paged on
    its own (?in=…&after=…); one record found by a whole key opens directly; an empty query
    is not run."""
    query = request.GET.get("q", "")
    context = {"search_query": query, "result": None}
    if normalize_query(query):
        only = request.GET.get("in")
        result = search_archive(
            query,
            page_size=current_settings(ArchiveSettings).search_result_limit,
            only=only if only in SEARCH_SECTIONS else None,
            after=cursor_param(request, "after"),
            before=cursor_param(request, "before"),
        )
        if result.exact is not None:
            messages.info(request, f"“{query.strip()}”只找到这一条记录,已直接打开。")
            return redirect(_record_url(result.exact))
        context["result"] = result
    return render(request, "customers/search.html", context)


def _record_url(record) -> str:
    if isinstance(record, WorkOrder):
        return record.get_absolute_url()  # the visit on its vehicle's page
    if isinstance(record, Vehicle):
        return reverse("customers:vehicle_detail", args=[record.pk])
    return reverse("customers:customer_detail", args=[record.pk])


def _filtered_page(request, filter_class, model, selector) -> dict:
    """One keyset page of a filtered list: the context every archive list renders."""
    filterset = filter_class(request.GET, queryset=model.objects.all())
    base = filterset.qs if filterset.is_valid() else model.objects.none()
    page = selector(
        base=base, after=cursor_param(request, "after"), before=cursor_param(request, "before")
    )
    return {"filter": filterset, "page": page}


@require_perm("customers.view_customer")
def customer_list(request):
    context = _filtered_page(request, CustomerFilter, Customer, selectors.customer_list)
    return render(request, "customers/customer_list.html", context)


@require_perm("customers.view_customer")
def customer_detail(request, pk):
    try:
        customer = selectors.customer_card(customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404("客户不存在") from None
    visits = list(customer.work_orders.all())
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "ownerships": list(customer.ownerships.all()),
            "visits": visits,
            "summary": selectors.visit_summary(visits),
            "can_view_pii": request.user.has_perm("customers.view_pii"),
        },
    )


@require_POST
@require_perm("customers.view_pii")
def customer_reveal(request, pk, field):
    """显示 (htmx): the whole phone or ID number in place of the masked one, logged first."""
    if field not in PiiField.values:
        raise Http404("没有这一项")
    customer = get_object_or_404(Customer, pk=pk)
    if not getattr(customer, field):
        raise Http404("该客户没有登记这一项")
    services.customer_reveal_pii(
        customer=customer,
        field=field,
        by=request.user,
        # The page the button was on (htmx sends it; same-origin paths only).
        page=request.htmx.current_url_abs_path or "",
    )
    context = pii_value_context(customer, field, revealed=True, can_reveal=False)
    return render(request, "customers/partials/pii_value.html", context)


@require_perm("customers.view_piireveal")
def pii_reveal_list(request):
    """The reveal log for managers: who looked at which number, when, from which page."""
    context = _filtered_page(request, PiiRevealFilter, PiiReveal, selectors.pii_reveals)
    return render(request, "customers/piireveal_list.html", context)


@require_perm("customers.add_customer")
def customer_create(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(customer=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已新建客户档案:{customer.name}")
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "title": "新建客户"})


@require_perm("customers.change_customer")
def customer_update(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_save(customer=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "客户档案已保存。")
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "title": f"编辑客户:{customer.name}", "customer": customer},
    )


@require_perm("customers.merge_customer")
def customer_merge(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    candidates = selectors.merge_candidates(customer=customer)
    form = CustomerMergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        try:
            services.customers_merge(
                keep=customer,
                duplicate=duplicate,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"已将 {duplicate.name}(客户编号 {duplicate.pk})合并到本档案。"
            )
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_merge.html",
        {
            "form": form,
            "customer": customer,
            "candidates": list(candidates),
            "merges": selectors.customer_merges(customer=customer),
            "title": f"合并重复档案:{customer.name}",
            "can_view_pii": request.user.has_perm("customers.view_pii"),
        },
    )


@require_perm("customers.view_vehicle")
def vehicle_list(request):
    context = _filtered_page(request, VehicleFilter, Vehicle, selectors.vehicle_list)
    return render(request, "customers/vehicle_list.html", context)


@require_perm("customers.view_vehicle")
def vehicle_detail(request, pk):
    try:
        vehicle = selectors.vehicle_detail(vehicle_id=pk)
    except Vehicle.DoesNotExist:
        raise Http404("车辆不存在") from None
    return render(
        request,
        "customers/vehicle_detail.html",
        {
            "vehicle": vehicle,
            "visits": list(vehicle.work_orders.all()),
            "plate_changes": selectors.plate_changes(vehicle=vehicle),
            "can_view_pii": request.user.has_perm("customers.view_pii"),
        },
    )


@require_perm("customers.add_vehicle")
def vehicle_create(request, customer_pk):
    owner = get_object_or_404(Customer, pk=customer_pk)
    form = VehicleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        vehicle = form.save(commit=False)
        try:
            services.vehicle_register(
                vehicle=vehicle,
                owner=owner,
                by=request.user,
                vin_exception_reason=form.cleaned_data.get("vin_exception_reason", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已登记车辆 {vehicle}。")
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return render(
        request,
        "customers/vehicle_form.html",
        {
            "form": form,
            "title": f"为 {owner.name} 登记车辆",
            "owner": owner,
            "ocr_ready": ocr.ocr_available(),
        },
    )


@require_perm("customers.change_vehicle")
def vehicle_update(request, pk):
    vehicle = get_object_or_404(Vehicle.objects.select_related("owner"), pk=pk)
    form = VehicleForm(request.POST or None, instance=vehicle, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_save(
                vehicle=form.save(commit=False),
                by=request.user,
                vin_exception_reason=form.cleaned_data.get("vin_exception_reason", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "车辆信息已保存。")
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return render(
        request,
        "customers/vehicle_form.html",
        {"form": form, "title": f"编辑车辆:{vehicle}", "owner": vehicle.owner},
    )


@require_perm("customers.change_vehicle")
def vehicle_free_plate(request, pk):
    vehicle = get_object_or_404(Vehicle.objects.select_related("owner"), pk=pk)
    if not vehicle.plate:
        messages.info(request, "本车没有登记车牌。")
        return redirect("customers:vehicle_detail", pk=vehicle.pk)
    form = PlateFreeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        plate = vehicle.plate
        try:
            services.vehicle_free_plate(
                vehicle=vehicle, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已释放车牌 {plate},该车牌现在可以登记到其他车辆。")
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return render(
        request,
        "customers/vehicle_free_plate.html",
        {"form": form, "vehicle": vehicle, "title": f"释放车牌:{vehicle.plate}"},
    )


@require_perm("customers.change_vehicleownership")
def vehicle_change_owner(request, pk):
    vehicle = get_object_or_404(Vehicle.objects.select_related("owner"), pk=pk)
    initial = {"on": timezone.localdate()}
    to = request.GET.get("to", "")
    if to.isdigit():
        # From the duplicate-VIN message: the customer the vehicle was being registered for.
        new_owner = Customer.objects.filter(pk=int(to)).only("mobile", "name").first()
        if new_owner is not None:
            initial |= {"new_owner_mobile": new_owner.mobile, "new_owner_name": new_owner.name}
    form = OwnerChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_change_owner(
                vehicle=vehicle,
                new_owner=form.cleaned_data["new_owner"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{vehicle} 已过户给 {vehicle.owner.name}。")
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return render(
        request,
        "customers/owner_change_form.html",
        {"form": form, "vehicle": vehicle, "title": f"车辆过户:{vehicle}"},
    )


@require_perm("customers.view_salesfile")
def salesfile_list(request):
    state = request.GET.get("state", "late")
    if state not in selectors.SALES_FILE_ORDER:
        state = "late"
    today = timezone.localdate()
    page = selectors.sales_file_page(
        state=state,
        on=today,
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    total = (
        selectors.sales_files_count(state=state, on=today)
        if state in selectors.SALES_FILE_STATES_COUNTED
        else None
    )
    return render(
        request,
        "customers/salesfile_list.html",
        {
            "page": page,
            "state": state,
            "total": total,
            "document_total": len(SalesFile.Document.choices),
            "today": today,
        },
    )


@require_perm("customers.add_salesfile")
def salesfile_create(request, vehicle_pk):
    vehicle = get_object_or_404(Vehicle, pk=vehicle_pk)
    if hasattr(vehicle, "sales_file"):
        return redirect("customers:salesfile_detail", pk=vehicle.sales_file.pk)
    form = SalesFileForm(request.POST or None, initial={"delivered_on": vehicle.sale_date})
    if request.method == "POST" and form.is_valid():
        sales_file = form.save(commit=False)
        sales_file.vehicle = vehicle
        try:
            services.sales_file_save(sales_file=sales_file)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"已建立销售档案,资料应于 {sales_file.documents_due_on} 前交齐。"
            )
            return redirect("customers:salesfile_detail", pk=sales_file.pk)
    return render(
        request,
        "customers/salesfile_form.html",
        {"form": form, "vehicle": vehicle, "title": f"建立销售档案:{vehicle}"},
    )


@require_perm("customers.view_salesfile")
def salesfile_detail(request, pk):
    sales_file = get_object_or_404(
        SalesFile.objects.select_related("vehicle", "vehicle__owner"), pk=pk
    )
    received = {doc.kind: doc for doc in sales_file.documents.select_related("received_by")}
    checklist = [
        {"kind": kind, "label": label, "document": received.get(kind)}
        for kind, label in SalesFile.Document.choices
    ]
    form = SalesDocumentsForm(
        initial={"received_on": timezone.localdate()},
    )
    form.fields["kinds"].choices = [
        (kind, label) for kind, label in SalesFile.Document.choices if kind not in received
    ]
    return render(
        request,
        "customers/salesfile_detail.html",
        {
            "sales_file": sales_file,
            "archive_settings": current_settings(ArchiveSettings),
            "checklist": checklist,
            "form": form,
            "today": timezone.localdate(),
            "can_change": request.user.has_perm("customers.change_salesfile"),
        },
    )


@require_POST
@require_perm("customers.change_salesfile")
def salesfile_receive(request, pk):
    sales_file = get_object_or_404(SalesFile, pk=pk)
    form = SalesDocumentsForm(request.POST)
    if form.is_valid():
        services.sales_file_receive_documents(
            sales_file=sales_file,
            kinds=form.cleaned_data["kinds"],
            on=form.cleaned_data["received_on"],
            by=request.user,
        )
        messages.success(request, f"已登记收到 {len(form.cleaned_data['kinds'])} 份资料。")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("customers:salesfile_detail", pk=pk)


@require_POST
@require_perm("customers.change_salesfile")
def salesfile_unreceive(request, pk, kind):
    sales_file = get_object_or_404(SalesFile, pk=pk)
    services.sales_file_remove_document(sales_file=sales_file, kind=kind)
    messages.info(request, "已撤销该资料的收到记录。")
    return redirect("customers:salesfile_detail", pk=pk)


@require_perm("customers.import_archive")
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                file=upload,
                original_name=upload.name[:200],
                created_by=request.user,
                accept_invalid_vin=form.cleaned_data.get("accept_invalid_vin", False),
                invalid_vin_reason=form.cleaned_data.get("invalid_vin_reason", ""),
            )
            transaction.on_commit(lambda: tasks.import_archive.delay(batch.pk))
        messages.info(request, "文件已上传,正在后台校验和导入。")
        return redirect("customers:import_detail", pk=batch.pk)
    batches = selectors.import_batches(limit=20)
    return render(request, "customers/import_list.html", {"form": form, "batches": batches})


@require_perm("customers.import_archive")
def import_detail(request, pk):
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by"), pk=pk)
    if request.htmx:
        response = render(request, "customers/partials/import_status.html", {"batch": batch})
        if batch.is_final:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "customers/import_detail.html", {"batch": batch})


@require_perm("customers.import_archive")
def import_template(request):
    return FileResponse(
        importing.template_workbook(),
        as_attachment=True,
        filename="客户档案导入模板.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
