"""Reception (接车) pages: find the car, open the order, the pre-inspection sheet.

HTTP, permissions and forms only: every write is a service of services.py (the contract in
docs/WORK_ORDERS.md), every read a selector.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, image_response, require_perm
from apps.customers import licence_scans
from apps.customers import services as customer_services
from apps.customers import views_licence as licence_pages
from apps.customers.models import LicenceScan, Vehicle
from apps.customers.search import normalize_query

from . import selectors, selectors_reception, services
from .forms_reception import (
    DamageMarkForm,
    InspectionForm,
    InspectionPhotoForm,
    InspectionSignForm,
    ReceptionSearchForm,
    ScanCustomerForm,
    ScanVehicleForm,
    WalkInCustomerForm,
    WalkInVehicleForm,
    WorkOrderOpenForm,
)
from .models import DamageMark, InspectionPhoto, Recommendation, WorkOrder

EDIT = "workorders.change_workorder"
VIEW = "workorders.view_workorder"


# Photos and signatures: kept by the browser only (never by a shared proxy), for an hour.
PRIVATE_CACHE = "private, max-age=3600"

# --- find the car, open the order ------------------------------------------------------------


@require_perm("workorders.add_workorder")
def reception(request):
    """One search box (plate, VIN, phone), then the car with its owner, last mileage, open
    recommendations and open order, and the open form. ?vehicle= preselects the car (the
    "接车开单" buttons of the customer card and the vehicle page); a search that finds one
    car by its whole plate or VIN selects it at once."""
    search_form = ReceptionSearchForm(request.GET if "q" in request.GET else None)
    context = {
        "search_form": search_form,
        "search": None,
        "vehicle": None,
        "ocr_ready": licence_pages.ocr_ready(),
    }
    if search_form.is_bound and search_form.is_valid():
        search = selectors_reception.reception_search(search_form.cleaned_data["q"])
        if search.exact is not None:
            return redirect(f"{reverse('workorders:reception')}?vehicle={search.exact.pk}")
        context["search"] = search
    vehicle_id = request.POST.get("vehicle") or request.GET.get("vehicle")
    if vehicle_id:
        try:
            vehicle = selectors_reception.reception_vehicle(vehicle_id=int(vehicle_id))
        except (ValueError, Vehicle.DoesNotExist):
            raise Http404("车辆不存在") from None
        context |= _open_form(request, vehicle)
        if isinstance(context.get("created"), WorkOrder):
            order = context["created"]
            messages.success(request, f"已开单 {order.number},请完成接车登记表。")
            return redirect("workorders:inspection", pk=order.pk)
    return render(request, "workorders/reception.html", context)


def _open_form(request, vehicle: Vehicle) -> dict:
    """The open form of `vehicle` (POST: work_order_open); "created" holds the new order."""
    form = WorkOrderOpenForm(
        request.POST if request.method == "POST" else None, vehicle=vehicle, now=timezone.now()
    )
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.work_order_open(
                vehicle=vehicle,
                by=request.user,
                kind=data["kind"],
                mileage=data["mileage"],
                promised_at=data["promised_at"],
                customer_words=data["customer_words"],
                mileage_lower_reason=data["mileage_lower_reason"],
                insurer=data["insurer"],
                insurer_claim_number=data["insurer_claim_number"],
                advisor=request.user,
                customer_waiting=data["customer_waiting"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
    return {
        "vehicle": vehicle,
        "open_form": form,
        "open_order": selectors_reception.open_work_order(vehicle=vehicle),
        "recommendations": list(selectors.open_recommendations(vehicle=vehicle)),
        "created": created,
    }


@require_perm("workorders.add_workorder")
@require_perm("customers.add_customer")
@require_perm("customers.add_vehicle")
def reception_walk_in(request):
    """新车新客户: the customer and the car created on the spot (the archive's services,
    both or neither), then back to reception with the car selected."""
    post = request.POST if request.method == "POST" else None
    customer_form = WalkInCustomerForm(post, prefix="customer")
    vehicle_form = WalkInVehicleForm(
        post, prefix="vehicle", user=request.user, initial=_prefill(request.GET.get("q", ""))
    )
    if post is not None and customer_form.is_valid() and vehicle_form.is_valid():
        try:
            with transaction.atomic():
                customer = customer_services.customer_create(
                    customer=customer_form.save(commit=False)
                )
                vehicle = customer_services.vehicle_register(
                    vehicle=vehicle_form.save(commit=False),
                    owner=customer,
                    by=request.user,
                    vin_exception_reason=vehicle_form.cleaned_data.get("vin_exception_reason", ""),
                )
        except ValidationError as error:
            # Which form the error belongs to: the vehicle's fields, else the customer's.
            vehicle_fields = set(getattr(error, "error_dict", {})) & set(vehicle_form.fields)
            add_service_errors(vehicle_form if vehicle_fields else customer_form, error)
        else:
            messages.success(request, f"已建档:{customer.name} · {vehicle}。")
            return redirect(f"{reverse('workorders:reception')}?vehicle={vehicle.pk}")
    return render(
        request,
        "workorders/reception_walk_in.html",
        {"customer_form": customer_form, "vehicle_form": vehicle_form},
    )


# --- by photo: the 行驶证 (or the VIN plate) fills the car in --------------------------------


@require_POST
@require_perm("workorders.add_workorder")
@require_perm("customers.add_customer")
@require_perm("customers.add_vehicle")
def reception_scan(request):
    """拍行驶证 on reception: the photo is stored and read in the background; the advisor
    waits on the confirm page."""
    scan = licence_pages.upload_scan(request)
    if scan is None:
        return redirect("workorders:reception")
    return redirect("workorders:reception_scan_confirm", pk=scan.pk)


@require_perm("workorders.add_workorder")
@require_perm("customers.add_customer")
@require_perm("customers.add_vehicle")
def reception_scan_confirm(request, pk):
    """Waits for the reading (htmx polling), then shows the car and its owner as read, each
    field highlighted with what was read, for the advisor to confirm.

    A car the archive already has (by VIN or plate) is opened on reception, with the photo
    kept with it, instead of being registered twice; otherwise 新车新客户: the owner named
    on the licence becomes the customer (the mobile is typed), the car is registered, and
    reception opens with it selected.
    """
    scan = licence_pages.scan_or_404(pk)
    if scan.vehicle_id is not None:
        messages.info(request, "这张行驶证照片已确认过,已打开对应车辆。")
        return redirect(f"{reverse('workorders:reception')}?vehicle={scan.vehicle_id}")
    context = licence_pages.scan_page(scan) | {
        "title": "拍照接车:核对行驶证",
        "confirm_url": reverse("workorders:reception_scan_confirm", args=[scan.pk]),
        "upload_url": reverse("workorders:reception_scan"),
        "manual_url": reverse("workorders:reception_walk_in"),
        "form_template": "workorders/partials/reception_scan_form.html",
        "open_label": "打开这辆车接车",
        "ocr_ready": licence_pages.ocr_ready(),
    }
    template = "customers/licence_scan_confirm.html"
    if scan.status != LicenceScan.Status.READ:
        return licence_pages.scan_response(request, template, context)
    post = request.POST if request.method == "POST" else None
    if post is not None and post.get("action") == "existing":
        vehicle = licence_pages.attach_to_match(request, scan, context["matches"])
        if vehicle is not None:
            return redirect(f"{reverse('workorders:reception')}?vehicle={vehicle.pk}")
        post = None
    fills = context["fills"]
    customer_form = ScanCustomerForm(post, prefix="customer", fills=fills)
    vehicle_form = ScanVehicleForm(post, prefix="vehicle", user=request.user, fills=fills)
    if post is not None and customer_form.is_valid() and vehicle_form.is_valid():
        try:
            outcome = licence_scans.licence_scan_register(
                scan=scan,
                by=request.user,
                vehicle=vehicle_form.save(commit=False),
                owner=customer_form.save(commit=False),
                vin_exception_reason=vehicle_form.cleaned_data.get("vin_exception_reason", ""),
            )
        except ValidationError as error:
            vehicle_fields = set(getattr(error, "error_dict", {})) & set(vehicle_form.fields)
            add_service_errors(vehicle_form if vehicle_fields else customer_form, error)
        else:
            licence_pages.outcome_message(request, outcome, vin=vehicle_form.cleaned_data["vin"])
            return redirect(f"{reverse('workorders:reception')}?vehicle={outcome.vehicle.pk}")
    context |= {"customer_form": customer_form, "vehicle_form": vehicle_form}
    context["form_folded"] &= post is None
    status = 422 if post is not None else 200
    return licence_pages.scan_response(request, template, context, status=status)


def _prefill(query: str) -> dict:
    """What a search that found nothing already says about the new car."""
    q = normalize_query(query)
    if len(q) == 17 and q.isalnum():
        return {"vin": q}
    if 2 <= len(q) <= 8 and not q.isdigit():
        return {"plate": q}
    return {}


# --- the inspection sheet ----------------------------------------------------------------------


def _sheet(pk: int) -> WorkOrder:
    try:
        order = selectors_reception.inspection_sheet(work_order_id=pk)
    except WorkOrder.DoesNotExist:
        raise Http404("工单不存在") from None
    try:
        order.inspection  # noqa: B018 (raises when the order has no sheet)
    except ObjectDoesNotExist:
        raise Http404("该工单没有接车登记表") from None
    return order


def _may_edit(request, order: WorkOrder) -> bool:
    """Changes need the desk's permission, an order still open, and no signature yet: the
    customer signed the sheet as it was."""
    return (
        request.user.has_perm(EDIT)
        and not order.is_read_only
        and order.inspection.signature_id is None
    )


def _edit_sheet(request, pk: int) -> WorkOrder:
    if not request.user.has_perm(EDIT):
        raise PermissionDenied(EDIT)
    order = _sheet(pk)
    if not _may_edit(request, order):
        raise PermissionDenied("接车登记表已签字或工单已关闭,不能再修改。")
    return order


@require_perm(VIEW)
def inspection(request, pk):
    """The pre-inspection sheet (接车登记表) on the tablet; POST saves its checks."""
    order = _sheet(pk)
    sheet = order.inspection
    form = InspectionForm(request.POST if request.method == "POST" else None, inspection=sheet)
    if request.method == "POST":
        order = _edit_sheet(request, pk)
        if form.is_valid():
            try:
                services.inspection_save(
                    work_order=order, by=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "接车检查已保存。")
                return redirect("workorders:inspection", pk=order.pk)
    return _render_sheet(request, order, form=form)


def _render_sheet(request, order, *, form=None, photo_form=None, sign_form=None, status=200):
    sheet = order.inspection
    may_edit = _may_edit(request, order)
    return render(
        request,
        "workorders/reception_inspection.html",
        {
            "order": order,
            "sheet": sheet,
            "may_edit": may_edit,
            "form": form or InspectionForm(inspection=sheet),
            "photo_form": photo_form or InspectionPhotoForm(inspection=sheet),
            "sign_form": sign_form
            or InspectionSignForm(initial={"signer_name": order.customer.name}),
            "marks": _numbered(sheet.marks.all()),
            "mark_form": DamageMarkForm(),
            "mark_kinds": DamageMark.Kind.choices,
            "recommendations": list(selectors.open_recommendations(vehicle=order.vehicle))
            if may_edit
            else [],
        },
        status=status,
    )


def _numbered(marks) -> list[DamageMark]:
    marks = list(marks)
    for number, mark in enumerate(marks, start=1):
        mark.number = number
    return marks


def _marks_answer(request, order: WorkOrder, *, error: str = ""):
    """htmx: the outline block again, with the error if any (status 200: htmx swaps only
    successful answers); otherwise back to the sheet."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("workorders:inspection", pk=order.pk)
    order = _sheet(order.pk)
    return render(
        request,
        "workorders/partials/reception_outline.html",
        {
            "order": order,
            "may_edit": _may_edit(request, order),
            "marks": _numbered(order.inspection.marks.all()),
            "mark_kinds": DamageMark.Kind.choices,
            "mark_error": error,
        },
    )


@require_POST
@require_perm(EDIT)
def damage_mark_add(request, pk):
    order = _edit_sheet(request, pk)
    form = DamageMarkForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        return _marks_answer(request, order, error=error)
    try:
        services.damage_mark_add(work_order=order, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _marks_answer(request, order, error=" ".join(error.messages))
    return _marks_answer(request, order)


@require_POST
@require_perm(EDIT)
def damage_mark_remove(request, pk, mark_pk):
    order = _edit_sheet(request, pk)
    mark = get_object_or_404(DamageMark, pk=mark_pk, inspection__work_order=order)
    try:
        services.damage_mark_remove(mark=mark, by=request.user)
    except ValidationError as error:
        return _marks_answer(request, order, error=" ".join(error.messages))
    return _marks_answer(request, order)


@require_POST
@require_perm(EDIT)
def inspection_photo_add(request, pk):
    order = _edit_sheet(request, pk)
    form = InspectionPhotoForm(request.POST, request.FILES, inspection=order.inspection)
    if form.is_valid():
        try:
            services.inspection_photo_add(
                work_order=order,
                by=request.user,
                upload=form.cleaned_data["upload"],
                mark=form.cleaned_data["mark"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "照片已上传。")
            return redirect(f"{reverse('workorders:inspection', args=[order.pk])}#photos")
    return _render_sheet(request, order, photo_form=form, status=422)


@require_perm(VIEW)
def inspection_photo(request, pk, size):
    """A photo of a sheet (size "thumb" or "full"), streamed from private storage with the
    content type of its content."""
    photo = get_object_or_404(InspectionPhoto, pk=pk)
    if size not in ("thumb", "full"):
        raise Http404("没有这种尺寸")
    return image_response(
        photo.thumbnail if size == "thumb" else photo.image,
        name=f"photo-{pk}",
        cache_control=PRIVATE_CACHE,
    )


@require_perm(VIEW)
def inspection_signature(request, pk):
    """The customer's signature on the sheet of order `pk` (a PNG in private storage)."""
    order = get_object_or_404(WorkOrder.objects.select_related("inspection__signature"), pk=pk)
    signature = getattr(getattr(order, "inspection", None), "signature", None)
    if signature is None:
        raise Http404("接车登记表尚未签字")
    return image_response(signature.png, name=f"signature-{pk}", cache_control=PRIVATE_CACHE)


@require_POST
@require_perm(EDIT)
def inspection_sign(request, pk):
    order = _edit_sheet(request, pk)
    form = InspectionSignForm(request.POST)
    if form.is_valid():
        try:
            services.inspection_sign(work_order=order, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "客户已在接车登记表上签字。")
            return redirect(f"{reverse('workorders:inspection', args=[order.pk])}#signature")
    return _render_sheet(request, order, sign_form=form, status=422)


@require_POST
@require_perm(EDIT)
def recommendation_add(request, pk, recommendation_pk):
    """加入本单: an open recommendation of the car becomes a proposed line, in one tap."""
    order = _edit_sheet(request, pk)
    recommendation = get_object_or_404(
        Recommendation, pk=recommendation_pk, vehicle_id=order.vehicle_id
    )
    try:
        services.recommendation_accept(
            recommendation=recommendation, work_order=order, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已将“{recommendation.description}”加入本单。")
    return redirect(f"{reverse('workorders:inspection', args=[order.pk])}#recommendations")
