"""The printed A4 documents of a work order (issue 8 point 7): 接车登记表 (reception),
报价单 (estimate), 任务委托书 (work order) and 结算单 (settlement).

Each document is built in two steps:

1. `document_content` reads what the document shows into plain JSON data (text already
   formatted as printed: amounts "¥1,234.50", local times, labels) plus the binary
   resources it embeds (the dealership's logo, signature PNGs). The SHA-256 of the data's
   canonical JSON (resources enter by their own hash) is the document's `content_sha256`.
2. `_render_pdf` turns the data into HTML (templates/workorders/documents/) and the HTML
   into PDF with WeasyPrint, in "Noto Sans CJK SC" (Debian's fonts-noto-cjk, embedded as
   a subset). The URL fetcher serves our static files and this document's resources and
   refuses everything else: no network, no file outside static.

`document_issue` stores a rendered document as a new version only when its content
changed, so a reprint is the same file; `document_issue_later` does it in a Celery task
after the caller's transaction commits (rendering takes a second or two with a CJK font).
"""

import hashlib
import json
import mimetypes
import posixpath
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.staticfiles import finders
from django.core.exceptions import ObjectDoesNotExist, SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from apps.core.models import DealershipSettings
from apps.core.pii import mask_phone
from apps.core.settings import current_settings
from apps.core.uploads import sniff_image

from .models import (
    Approval,
    Inspection,
    LineStatus,
    Payer,
    WorkOrder,
    WorkOrderDocument,
    WorkOrderLine,
)
from .services import work_order_totals

Kind = WorkOrderDocument.Kind
TEMPLATES = {kind: f"workorders/documents/{kind}.html" for kind in Kind.values}
STYLESHEET = "dms:static/css/documents.css"
FONT = "Noto Sans CJK SC"  # named in documents.css; scripts/ensure-pdf.sh installs it

# The stored by-payer totals of WorkOrder, in the order a statement lists them.
PAYER_FIELDS = (
    (Payer.CUSTOMER, "customer_paid_amount"),
    (Payer.WARRANTY, "warranty_amount"),
    (Payer.INSURANCE, "insurance_amount"),
    (Payer.INTERNAL, "internal_amount"),
    (Payer.CAMPAIGN, "campaign_amount"),
)
LINE_SECTIONS = (
    (WorkOrderLine.Kind.LABOUR, "工时项目"),
    (WorkOrderLine.Kind.PART, "配件"),
    (WorkOrderLine.Kind.MATERIAL, "辅料"),
)
# Inspection.fluids keys as the reception page writes them; an unknown key prints as is.
FLUID_LABELS = {
    "engine_oil": "机油",
    "coolant": "冷却液",
    "brake_fluid": "制动液",
    "washer": "玻璃水",
    "power_steering": "转向助力油",
    "transmission": "变速箱油",
}
# The car outline (templates/workorders/partials/car_outline.html, the drawing the tablet
# shows too) is drawn in a viewBox of 400 × 200; DamageMark.x / .y are percent of the
# drawing, so a mark tapped on the tablet prints on the same spot of the sheet.
OUTLINE_WIDTH, OUTLINE_HEIGHT = 400, 200

MESSAGES = {
    "kind": "没有这种打印文件。",
    "no_inspection": "该工单没有接车登记表,不能打印。",
    "no_lines": "工单还没有维修项目,不能打印报价单。",
    "no_approved": "工单尚无客户确认的维修项目,不能打印任务委托书。",
    "not_settled": "工单尚未结算,不能打印结算单。",
}


class DocumentRenderError(Exception):
    """The document could not be rendered (a resource the template names was refused or
    is missing): a bug in a template, never the user's doing."""


# --- formatting ---------------------------------------------------------------------------


def money(value) -> str:
    """¥1,234.50: yuan with 2 decimals and thousands separators."""
    amount = Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def number(value) -> str:
    """A quantity without trailing zeros: 1, 4.5, 1.25."""
    text = f"{Decimal(value or 0).normalize():f}"
    return text


def local(value, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(pattern) if value else ""


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")  # within a group of four digits
_GROUPS = ("", "万", "亿", "万亿")  # groups of four digits; 万亿 covers any invoice


def amount_in_words(value) -> str:
    """The Chinese capital amount (大写) of a sum in yuan, as written on invoices:
    1234.50 → 壹仟贰佰叁拾肆元伍角整, 100.05 → 壹佰元零伍分, 0 → 零元整.

    Rules (中国人民银行《支付结算办法》附件一): a zero between non-zero digits is written once
    as 零; 整 closes an amount without 分.
    """
    amount = Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    words = f"{_integer_words(yuan)}元" if yuan or not (jiao or fen) else ""
    if jiao:
        words += f"{_DIGITS[jiao]}角"
    elif yuan and fen:
        words += "零"
    if fen:
        words += f"{_DIGITS[fen]}分"
    else:
        words += "整"
    return sign + words


def _integer_words(value: int) -> str:
    if value == 0:
        return "零"
    groups = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    words, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(words)  # a whole group of zeros between non-zero groups
            continue
        if words and (gap or group < 1000):
            words += "零"
        words += _group_words(group) + _GROUPS[index]
        gap = False
    return words


def _group_words(group: int) -> str:
    words, zero = "", False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _PLACES[place]
    return words


# --- what each document shows ----------------------------------------------------------------


def _user_name(user) -> str:
    return str(user) if user else ""


def _header(work_order: WorkOrder, resources: dict) -> dict:
    dealership = current_settings(DealershipSettings)
    logo = _logo_bytes(dealership)
    if logo is not None:
        resources["logo"] = logo
    vehicle, customer = work_order.vehicle, work_order.customer
    return {
        "dealership": {
            "name": dealership.name,
            "address": dealership.address,
            "phone": dealership.phone,
            # The logo enters the hash by its bytes: a new logo makes a new version.
            "logo": hashlib.sha256(logo).hexdigest() if logo else "",
        },
        "order": {
            "number": work_order.number,
            "kind": work_order.get_kind_display(),
            "opened_at": local(work_order.opened_at),
            "promised_at": local(work_order.promised_at),
            "advisor": _user_name(work_order.advisor),
            "mileage": f"{work_order.mileage:,} 公里",
            "customer_words": work_order.customer_words,
            "insurer": work_order.insurer,
            "insurer_claim_number": work_order.insurer_claim_number,
        },
        "customer": {
            "name": customer.name,
            # Masked (apps.core.pii): the stored file is read by roles without the right
            # to see whole phone numbers, and the customer knows their own number.
            "mobile": mask_phone(customer.mobile),
        },
        "vehicle": {
            "plate": vehicle.plate or "未上牌",
            "vin": vehicle.vin,
            "model": f"{vehicle.brand} {vehicle.model_name}".strip(),
            "colour": vehicle.colour,
        },
    }


def _logo_bytes(dealership) -> bytes | None:
    """The logo's bytes when it is one of the accepted image formats (apps.core.uploads)."""
    if not dealership.logo:
        return None
    try:
        with dealership.logo.open("rb") as file:
            content = file.read()
    except OSError:  # a logo row whose file is gone: print without it
        return None
    return content if sniff_image(content[:12]) else None


def _signature(signature, key: str, resources: dict) -> dict | None:
    if signature is None:
        return None
    with signature.png.open("rb") as file:
        resources[key] = file.read()
    return {
        "image": f"dms:{key}",
        "name": signature.signer_name,
        "signed_at": local(signature.signed_at),
        "sha256": signature.sha256,
    }


def _line(line: WorkOrderLine, serial: int) -> dict:
    return {
        "serial": serial,
        "kind": line.get_kind_display(),
        "code": line.code,
        "description": line.description,
        "quantity": number(line.quantity),
        "unit_price": money(line.unit_price),
        "discount": f"{number(line.discount_percent)}%" if line.discount_percent else "",
        "amount": money(line.amount),
        "payer": line.get_payer_display(),
        "status": line.get_status_display(),
        "declined": line.status == LineStatus.DECLINED,
        "added": line.is_added,
        "decline_reason": line.decline_reason,
    }


def _sections(lines: list[WorkOrderLine]) -> list[dict]:
    """The lines by kind (labour, parts, materials), numbered through the document."""
    sections, serial = [], 0
    for kind, title in LINE_SECTIONS:
        rows = []
        for line in lines:
            if line.kind == kind:
                serial += 1
                rows.append(_line(line, serial))
        if rows:
            sections.append({"title": title, "lines": rows})
    return sections


def _stored_totals(work_order: WorkOrder) -> dict:
    """The order's stored totals (the cache work_order_recompute_totals writes): labour,
    parts and materials before discounts, the discount taken off, the total after it."""
    return {
        "labour": money(work_order.labour_amount),
        "parts": money(work_order.parts_amount),
        "materials": money(work_order.materials_amount),
        "discount": money(-work_order.discount_amount),
        "total": money(work_order.total_amount),
        "by_payer": [
            {"payer": payer.label, "amount": money(getattr(work_order, field))}
            for payer, field in PAYER_FIELDS
            if getattr(work_order, field)
        ],
        "customer": money(work_order.customer_paid_amount),
    }


def _approvals(work_order: WorkOrder, resources: dict) -> list[dict]:
    approvals = (
        Approval.objects.filter(work_order=work_order)
        .select_related("signature", "taken_by")
        .prefetch_related("lines")
        .order_by("approved_at", "id")
    )
    rows = []
    for approval in approvals:
        decided = list(approval.lines.all())
        row = {
            "kind": approval.get_kind_display(),
            "method": approval.get_method_display(),
            "customer_name": approval.customer_name,
            "approved_at": local(approval.approved_at),
            "taken_by": _user_name(approval.taken_by),
            "approved": sum(line.status == LineStatus.APPROVED for line in decided),
            "declined": sum(line.status == LineStatus.DECLINED for line in decided),
            "phone": mask_phone(approval.phone_number) if approval.phone_number else "",
            "phone_note": approval.phone_note,
            "sha256": approval.sha256,
            "signature": _signature(approval.signature, f"signature/{approval.pk}", resources),
        }
        rows.append(row)
    return rows


def _reception(work_order: WorkOrder, lines: list, data: dict, resources: dict) -> None:
    inspection = (
        Inspection.objects.filter(work_order=work_order)
        .select_related("signature")
        .prefetch_related("marks", "photos")
        .get()
    )
    check = dict(Inspection.Check.choices)
    marks = [
        {
            "serial": serial,
            "kind": mark.get_kind_display(),
            "note": mark.note,
            "x": f"{mark.x:.2f}",
            "y": f"{mark.y:.2f}",
            # The dot on the outline, in the SVG's own units.
            "cx": f"{mark.x * OUTLINE_WIDTH / 100:.1f}",
            "cy": f"{mark.y * OUTLINE_HEIGHT / 100:.1f}",
        }
        for serial, mark in enumerate(inspection.marks.all(), start=1)
    ]
    data["inspection"] = {
        "fuel": inspection.get_fuel_level_display(),
        "fuel_quarters": inspection.fuel_level,
        "fluids": [
            {"name": FLUID_LABELS.get(key, key), "state": check.get(value, value)}
            for key, value in sorted(inspection.fluids.items())
        ],
        "checks": [
            {"name": "备胎", "state": inspection.get_spare_tyre_display()},
            {"name": "随车工具", "state": inspection.get_tools_display()},
            {"name": "内饰", "state": inspection.get_interior_display()},
            {"name": "电器", "state": inspection.get_electrics_display()},
        ],
        "valuables": inspection.valuables,
        "notes": inspection.notes,
        "marks": marks,
        "photos": len(inspection.photos.all()),
        "signature": _signature(inspection.signature, "signature/reception", resources),
    }


def _approved(lines: list[WorkOrderLine]) -> list[WorkOrderLine]:
    return [line for line in lines if line.status == LineStatus.APPROVED]


def _estimate(work_order: WorkOrder, lines: list, data: dict, resources: dict) -> None:
    data["sections"] = _sections(lines)
    data["totals"] = _stored_totals(work_order)
    data["approvals"] = _approvals(work_order, resources)


def _work_order(work_order: WorkOrder, lines: list, data: dict, resources: dict) -> None:
    approved = _approved(lines)
    data["sections"] = _sections(approved)
    # The approved lines only (the stored totals also count lines still proposed).
    data["approved_total"] = money(work_order_totals(approved).total)
    data["approvals"] = _approvals(work_order, resources)


def _settlement(work_order: WorkOrder, lines: list, data: dict, resources: dict) -> None:
    data["sections"] = _sections(_approved(lines))
    data["totals"] = _stored_totals(work_order)
    data["customer_in_words"] = amount_in_words(work_order.customer_paid_amount)
    payments = list(work_order.payments.select_related("received_by").order_by("id"))
    data["payments"] = [
        {
            "method": payment.get_method_display(),
            "amount": money(payment.amount),
            "reference": payment.reference,
            "received_at": local(payment.received_at),
            "received_by": _user_name(payment.received_by),
        }
        for payment in payments
    ]
    data["paid"] = money(sum((payment.amount for payment in payments), Decimal(0)))
    data["receivables"] = [
        {
            "party": receivable.party,
            "payer": receivable.get_payer_display(),
            "amount": money(receivable.amount),
            "status": receivable.get_status_display(),
        }
        for receivable in work_order.receivables.order_by("id")
    ]
    data["settlement"] = {
        "delivered_at": local(work_order.delivered_at),
        "settled_at": local(work_order.settled_at),
        "settled_by": _user_name(work_order.settled_by),
        "old_parts": work_order.get_old_parts_display() if work_order.old_parts else "",
        "next_maintenance_on": local_date(work_order.next_maintenance_on),
        "next_maintenance_km": (
            f"{work_order.next_maintenance_km:,} 公里" if work_order.next_maintenance_km else ""
        ),
        "callback_told": work_order.callback_told,
    }


def local_date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


BUILDERS = {
    Kind.RECEPTION: _reception,
    Kind.ESTIMATE: _estimate,
    Kind.WORK_ORDER: _work_order,
    Kind.SETTLEMENT: _settlement,
}


def _check_kind(kind: str) -> None:
    if kind not in BUILDERS:
        raise ValidationError(MESSAGES["kind"], code="kind")


def has_inspection(work_order: WorkOrder) -> bool:
    try:
        work_order.inspection  # noqa: B018 (raises when the order has no sheet)
    except ObjectDoesNotExist:
        return False
    return True


def document_refusal(work_order: WorkOrder, kind: str, lines: list[WorkOrderLine]) -> str:
    """Why the order has nothing to print for `kind` now (a key of MESSAGES), or "": the one
    rule behind both the refusal of document_content and the page's 打印 buttons.
    `lines`: the order's lines, loaded by the caller."""
    if kind == Kind.RECEPTION and not has_inspection(work_order):
        return "no_inspection"
    if kind == Kind.ESTIMATE and not lines:
        return "no_lines"
    if kind == Kind.WORK_ORDER and not _approved(lines):
        return "no_approved"
    if kind == Kind.SETTLEMENT and work_order.settled_at is None:
        return "not_settled"
    return ""


def printable_kinds(work_order: WorkOrder, lines: list[WorkOrderLine]) -> list[str]:
    """The documents the order can have now, in the order of Kind (load `inspection` with
    the order, or this reads it)."""
    return [kind for kind in Kind.values if not document_refusal(work_order, kind, lines)]


def document_content(*, work_order: WorkOrder, kind: str) -> tuple[dict, dict[str, bytes]]:
    """(the data the document shows, the resources it embeds by name).

    Raises ValidationError (Chinese) when the order has nothing to print for `kind`.
    """
    _check_kind(kind)
    work_order = WorkOrder.objects.select_related(
        "vehicle", "customer", "advisor", "settled_by", "inspection"
    ).get(pk=work_order.pk)
    lines = list(work_order.lines.order_by("id"))
    refusal = document_refusal(work_order, kind, lines)
    if refusal:
        raise ValidationError(MESSAGES[refusal], code=refusal)
    resources: dict[str, bytes] = {}
    data = {"kind": kind, "title": Kind(kind).label, **_header(work_order, resources)}
    BUILDERS[kind](work_order, lines, data, resources)
    return data, resources


def canonical_json(data: dict) -> bytes:
    """The one byte form of the data: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_sha256(data: dict) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


# --- rendering ----------------------------------------------------------------------------


class DocumentFetcher(URLFetcher):
    """WeasyPrint's URL fetcher for our documents: `dms:static/<path>` is one of our
    static files (found by Django's staticfiles finders, so no path outside them), and
    `dms:<name>` one of the resources of the document being rendered (logo, signatures).
    Any other URL (http, file, data, a path escaping static) is refused, and a refused or
    missing resource stops the rendering (fail_on_errors): a document never goes out
    silently missing its signature."""

    def __init__(self, resources: dict[str, bytes]):
        super().__init__(allowed_protocols=("dms",), fail_on_errors=True)
        self.resources = resources

    def fetch(self, url, headers=None):
        scheme, _, name = url.partition(":")
        if scheme != "dms":
            raise ValueError(f"documents fetch no external resource: {url}")
        if name.startswith("static/"):
            return URLFetcherResponse(
                url, body=_static_bytes(name.removeprefix("static/")), headers=_type(name)
            )
        if name in self.resources:
            return URLFetcherResponse(url, body=self.resources[name], headers=_type(name))
        raise ValueError(f"no such document resource: {url}")


def _type(name: str) -> dict:
    content_type = mimetypes.guess_type(name)[0]
    return {"Content-Type": content_type} if content_type else {}


def _static_bytes(path: str) -> bytes:
    """A static file's bytes, only for a plain relative path inside the static folders."""
    if not path or path != posixpath.normpath(path) or path.startswith(("/", "..")):
        raise ValueError(f"not a static path: {path}")
    try:
        found = finders.find(path)
    except SuspiciousFileOperation as error:
        raise ValueError(f"not a static path: {path}") from error
    if not found:
        raise ValueError(f"no such static file: {path}")
    with open(found, "rb") as file:
        return file.read()


def _render_pdf(*, data: dict, resources: dict[str, bytes], footer: str = "") -> bytes:
    html = render_to_string(
        TEMPLATES[data["kind"]], {"doc": data, "stylesheet": STYLESHEET, "footer": footer}
    )
    try:
        return HTML(string=html, url_fetcher=DocumentFetcher(resources)).write_pdf()
    except FatalURLFetchingError as error:  # a BaseException in WeasyPrint: made ordinary
        raise DocumentRenderError(str(error)) from error


def document_render(*, work_order: WorkOrder, kind: str) -> bytes:
    """The PDF of `kind` for the order as it is now (not stored)."""
    data, resources = document_content(work_order=work_order, kind=kind)
    footer = f"{work_order.number} · 预览,未存档"
    return _render_pdf(data=data, resources=resources, footer=footer)


def document_issue(*, work_order: WorkOrder, kind: str, by) -> WorkOrderDocument:
    """Store the document of `kind` for the order, unless the latest version already shows
    the same content.

    1. Lock the order's row (select_for_update): two issues of one order run one after
       the other, so the second sees the first's version and never makes a duplicate (the
       unique constraint on order + kind + version is the backstop).
    2. Read the data the document shows and hash its canonical JSON.
    3. The latest version of `kind` has that hash: return it unchanged (a reprint is the
       same file).
    4. Otherwise render, store the PDF in private storage with its SHA-256, and create
       version latest + 1. The file is deleted again if the row cannot be written.
    Raises ValidationError (Chinese) when the order has nothing to print for `kind`.
    """
    _check_kind(kind)
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        data, resources = document_content(work_order=locked, kind=kind)
        digest = content_sha256(data)
        latest = (
            WorkOrderDocument.objects.filter(work_order=locked, kind=kind)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.content_sha256 == digest:
            return latest
        version = latest.version + 1 if latest else 1
        now = timezone.now()
        pdf = _render_pdf(
            data=data,
            resources=resources,
            footer=f"{locked.number} · 第 {version} 版 · {local(now)} 生成",
        )
        document = WorkOrderDocument(
            work_order=locked,
            kind=kind,
            version=version,
            sha256=hashlib.sha256(pdf).hexdigest(),
            content_sha256=digest,
            created_at=now,
            created_by=by,
        )
        document.file.save(f"{locked.number}-{kind}-v{version}.pdf", ContentFile(pdf), save=False)
        try:
            with transaction.atomic():
                document.save()
        except Exception:
            document.file.delete(save=False)
            raise
        return document


def document_issue_later(*, work_order: WorkOrder, kind: str, by) -> None:
    """Issue the document in a Celery task once the caller's transaction has committed
    (the task reads the committed order; nothing is queued if the caller rolls back).
    Inside `documents_not_queued()` nothing is queued (the demo's history)."""
    from .tasks import issue_document  # tasks imports this module

    _check_kind(kind)
    skipped = _not_queued.get()
    if skipped is not None:
        skipped.append((work_order.pk, kind))
        return
    issue_document.delay_on_commit(work_order.pk, kind, by.pk if by else None)


_not_queued: ContextVar[list | None] = ContextVar("documents_not_queued", default=None)


@contextmanager
def documents_not_queued():
    """Queue no document inside the block; yields the list of (order id, kind) skipped.
    For the demo's history (apps/workorders/demo.py): hundreds of orders built through the
    services in one go would queue a render each; their documents are printed on demand
    from the order page (workorders:document_issue), as for any order without one."""
    skipped = []
    token = _not_queued.set(skipped)
    try:
        yield skipped
    finally:
        _not_queued.reset(token)


def document_filename(document: WorkOrderDocument) -> str:
    """The name a download gets: WO202611200001-结算单-v2.pdf."""
    return f"{document.work_order.number}-{document.get_kind_display()}-v{document.version}.pdf"
