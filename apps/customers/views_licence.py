"""Pages of the licence photos (行驶证, issue 12): the camera button's upload, the page that
waits for the reading (htmx polling) and then shows the fields read for the advisor to
confirm, and the photo itself. HTTP, permissions and forms only: the writes are
licence_scans.py's services.

The new-vehicle form of a customer uses these pages; reception (apps/workorders/
views_reception.py) uses the same helpers (upload_scan, scan_page, scan_response) with its
own confirm form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.http import add_service_errors, image_response, require_perm

from . import licence_scans, ocr, selectors
from .forms import LICENCE_SHOWN_ONLY, LicenceUploadForm, VehicleScanForm, licence_fills
from .licence import LicenceReading
from .models import Customer, LicenceScan

# htmx stops polling an element when the answer's status is 286 (htmx docs: "Polling").
HTMX_STOP_POLLING = 286
# The photo: kept by the browser only (never by a shared proxy), for an hour.
PRIVATE_CACHE = "private, max-age=3600"
NOT_INSTALLED = "本系统未安装行驶证识别组件,请手工填写。"


def ocr_ready() -> bool:
    """The camera button is offered only where the OCR extra is installed."""
    return ocr.ocr_available()


def upload_scan(request) -> LicenceScan | None:
    """The photo of the camera button, stored and queued (licence_scan_upload); None with
    the reason as a message when it is refused."""
    if not ocr_ready():
        messages.error(request, NOT_INSTALLED)
        return None
    form = LicenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["image"]))
        return None
    try:
        return licence_scans.licence_scan_upload(upload=form.cleaned_data["image"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None


def scan_or_404(pk: int) -> LicenceScan:
    try:
        return selectors.licence_scan(scan_id=pk)
    except LicenceScan.DoesNotExist:
        raise Http404("照片不存在或已删除") from None


def scan_page(scan: LicenceScan) -> dict:
    """What the waiting / confirm page shows of a scan: the reading, what it fills, what
    is only shown, and the archive's cars it names (one query when read)."""
    context = {"scan": scan, "reading": None, "fills": {}, "shown_only": [], "matches": []}
    if scan.status != LicenceScan.Status.READ:
        return context
    reading = LicenceReading.from_json(scan.reading)
    fills = licence_fills(reading)
    vin, plate = fills.get("vin"), fills.get("plate")
    vins = [vin.value, *vin.candidates] if vin else []
    context |= {
        "reading": reading,
        "fills": fills,
        "nothing_read": not reading.filled(),
        "shown_only": [
            (label, reading.fields[name].read)
            for name, label in LICENCE_SHOWN_ONLY.items()
            if reading.fields[name].read
        ],
        "matches": selectors.vehicles_for_reading(vins=vins, plate=plate.value if plate else ""),
    }
    # A car on file with the VIN read is almost surely this one: the form to file it again
    # folds away (opened by a tap, or when a submitted form shows its errors).
    context["form_folded"] = any(match.matched_by == "vin" for match in context["matches"])
    return context


def scan_response(request, template: str, context: dict, *, status: int = 200):
    """The page, or for htmx's poll its panel only; the poll stops (286) once the scan is no
    longer 识别中."""
    if request.htmx:
        scan = context["scan"]
        response = render(request, "customers/partials/licence_scan_panel.html", context)
        if scan.status != LicenceScan.Status.PENDING:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, template, context, status=status)


def outcome_message(request, outcome, *, vin: str, owner: Customer | None = None) -> None:
    """What the advisor is told after confirming: created, or found in the archive (and
    what in the archive differs from the licence: the VIN of a car found by its plate, the
    owner of a car registered for another customer)."""
    vehicle = outcome.vehicle
    if outcome.created:
        messages.success(request, f"已建档:{vehicle.owner.name} · {vehicle},行驶证照片已存档。")
        return
    how = "VIN" if outcome.matched_by == "vin" else "车牌"
    messages.info(
        request,
        f"档案中已有这辆车({how}相同):{vehicle} · {vehicle.owner.name},"
        "已打开该车,行驶证照片已存到该车,没有重复建档。",
    )
    if vin and vehicle.vin != vin:
        messages.warning(
            request, f"档案中该车的 VIN 为 {vehicle.vin},与确认的 {vin} 不同,请核对车辆档案。"
        )
    if owner is not None and owner.pk != vehicle.owner_id:
        messages.warning(
            request,
            f"档案中该车的车主是 {vehicle.owner.name},不是 {owner.name};"
            f"如果车辆已转给 {owner.name},请在车辆页面办理过户。",
        )


def attach_to_match(request, scan: LicenceScan, matches: list):
    """POST action=existing: the advisor picked a car of the archive the reading named.
    Returns the vehicle, or None with the reason as a message."""
    try:
        chosen = int(request.POST.get("vehicle", ""))
    except ValueError:
        chosen = None
    vehicle = next((match for match in matches if match.pk == chosen), None)
    if vehicle is None:
        messages.error(request, "请选择识别结果对应的车辆。")
        return None
    try:
        licence_scans.licence_scan_attach(scan=scan, vehicle=vehicle, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    messages.info(request, f"已打开档案中的车辆 {vehicle},行驶证照片已存到该车。")
    return vehicle


# --- the new-vehicle form of a customer ---------------------------------------------------------


@require_POST
@require_perm("customers.add_vehicle")
def vehicle_scan(request, customer_pk):
    """拍行驶证 on the new-vehicle form: the photo is stored and read in the background."""
    owner = get_object_or_404(Customer, pk=customer_pk)
    scan = upload_scan(request)
    if scan is None:
        return redirect("customers:vehicle_create", customer_pk=owner.pk)
    return redirect("customers:vehicle_scan_confirm", customer_pk=owner.pk, pk=scan.pk)


@require_perm("customers.add_vehicle")
def vehicle_scan_confirm(request, customer_pk, pk):
    """Waits for the reading, then the new-vehicle form filled from it; a car the archive
    already has (by VIN or plate) is opened instead of registered twice."""
    owner = get_object_or_404(Customer, pk=customer_pk)
    scan = scan_or_404(pk)
    if scan.vehicle_id is not None:
        messages.info(request, "这张行驶证照片已确认过,已打开对应车辆。")
        return redirect("customers:vehicle_detail", pk=scan.vehicle_id)
    context = scan_page(scan) | {
        "owner": owner,
        "title": f"为 {owner.name} 登记车辆:核对行驶证",
        "confirm_url": reverse("customers:vehicle_scan_confirm", args=[owner.pk, scan.pk]),
        "upload_url": reverse("customers:vehicle_scan", args=[owner.pk]),
        "manual_url": reverse("customers:vehicle_create", args=[owner.pk]),
        "form_template": "customers/partials/licence_vehicle_form.html",
        "open_label": "打开车辆档案",
        "ocr_ready": ocr_ready(),
    }
    if scan.status != LicenceScan.Status.READ:
        return scan_response(request, "customers/licence_scan_confirm.html", context)
    post = request.POST if request.method == "POST" else None
    if post is not None and post.get("action") == "existing":
        vehicle = attach_to_match(request, scan, context["matches"])
        if vehicle is not None:
            return redirect("customers:vehicle_detail", pk=vehicle.pk)
        post = None
    form = VehicleScanForm(post, user=request.user, fills=context["fills"])
    if post is not None and form.is_valid():
        try:
            outcome = licence_scans.licence_scan_register(
                scan=scan,
                by=request.user,
                vehicle=form.save(commit=False),
                owner=owner,
                vin_exception_reason=form.cleaned_data.get("vin_exception_reason", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            outcome_message(request, outcome, vin=form.cleaned_data["vin"], owner=owner)
            return redirect("customers:vehicle_detail", pk=outcome.vehicle.pk)
    context["form"] = form
    context["form_folded"] &= post is None
    status = 422 if post is not None else 200
    return scan_response(request, "customers/licence_scan_confirm.html", context, status=status)


@require_perm("customers.view_licence_photo")
def licence_scan_photo(request, pk):
    """The photo of a 行驶证 (personal data), streamed from private storage to the roles
    that may see it, as the image its content says it is."""
    scan = get_object_or_404(LicenceScan, pk=pk)
    return image_response(scan.image, name=f"licence-{pk}", cache_control=PRIVATE_CACHE)
