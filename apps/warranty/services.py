"""Writes of the warranty claims (DOMAIN.md §4). Each service owns its transaction;
errors are ValidationError with Chinese messages; `by` is the acting user.

Every write that changes what the 三包 rules count (a claim created, classified, deleted,
moved) refreshes the vehicle's `WarrantyWatch` row in the same transaction, so the home
pages list the vehicle from then on; the nightly job (tasks.refresh_warranty_watch)
catches what time alone changes (days of a car in the workshop, a period ending).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.settings import current_settings
from apps.customers.models import Vehicle
from apps.workorders.models import LineStatus, NumberSequence, Payer, WorkOrder, WorkOrderLine

from . import rights, selectors
from .models import (
    MAJOR_ASSEMBLIES,
    ClaimLine,
    ClaimStatusChange,
    DocumentBatch,
    MonthlyStatement,
    Replacement,
    SeriousFault,
    System,
    WarrantyClaim,
    WarrantySettings,
    WarrantyWatch,
)
from .transitions import TRANSITIONS, Transition, refusals

S = WarrantyClaim.Status
CLAIM_PREFIX = "CL"  # CL + yyyymm + 4-digit serial
BATCH_PREFIX = "SD"  # 索赔单据寄送批次: SD + yyyymm + 2-digit serial
NOW = object()  # a value of `_transition`'s extra fields: the moment of the move


def _next_number(prefix: str, day: dt.date, width: int) -> str:
    """The next number of `prefix` in `day`'s month (see workorders' numbers: the counter
    row's UPDATE holds its lock until the caller's transaction ends, so numbers have no
    gaps and no duplicates)."""
    key = f"{prefix}{day:%Y%m}"
    NumberSequence.objects.bulk_create([NumberSequence(key=key)], ignore_conflicts=True)
    NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    serial = NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()
    return f"{key}{serial:0{width}d}"


def _need(user, permission: str, what: str) -> None:
    if not user.has_perm(permission):
        raise ValidationError(f"您没有“{what}”的权限。")


def _to_fen(value, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"请填写{label}。"}) from None
    if amount <= 0:
        raise ValidationError({field: f"{label}须大于 0。"})
    return amount


# --- the warning's index --------------------------------------------------------------------


def warranty_watch_refresh(*, vehicle_ids, now: dt.datetime | None = None) -> int:
    """Recompute the WarrantyWatch rows of `vehicle_ids` (three queries for all of them,
    plus one upsert): their level, headline and end of the return-or-replace period.
    Idempotent. Returns how many rows it wrote."""
    now = now or timezone.now()
    vehicles = list(Vehicle.objects.filter(pk__in=set(vehicle_ids)).order_by("pk"))
    statuses = selectors.warranty_statuses(vehicles, now=now)
    rows = [
        WarrantyWatch(
            vehicle_id=pk,
            level=status.level,
            headline=status.headline,
            return_ends_on=status.return_ends_on,
            refreshed_at=now,
        )
        for pk, status in statuses.items()
    ]
    WarrantyWatch.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["vehicle"],
        update_fields=["level", "headline", "return_ends_on", "refreshed_at"],
    )
    return len(rows)


WATCH_CHUNK = 1000  # vehicles per refresh transaction (three queries and an upsert each)


def warranty_watch_refresh_recent(*, now: dt.datetime) -> int:
    """Refresh the watch rows time alone can change (the nightly job; the demo): every
    vehicle warned about now, with a claim made within the last return-or-replace period,
    or with a warranty repair in the workshop. Chunks of WATCH_CHUNK vehicles, each in its
    own transaction; idempotent. Returns how many vehicles it refreshed."""
    rules = current_settings(WarrantySettings)
    # The longest a claim can still count: the period in years, leap days included.
    since = now - dt.timedelta(days=366 * rules.warranty_return_years)
    ids = (
        set(
            WarrantyClaim.objects.filter(created_at__gte=since).values_list("vehicle_id", flat=True)
        )
        | set(WarrantyWatch.objects.filter(level__gt=0).values_list("vehicle_id", flat=True))
        | set(
            WorkOrder.objects.filter(
                status__in=selectors.IN_WORKSHOP, warranty_amount__gt=0
            ).values_list("vehicle_id", flat=True)
        )
    )
    ordered = sorted(ids)
    for start in range(0, len(ordered), WATCH_CHUNK):
        with transaction.atomic():
            warranty_watch_refresh(vehicle_ids=ordered[start : start + WATCH_CHUNK], now=now)
    return len(ordered)


# --- claims ------------------------------------------------------------------------------------


def _claimable(work_order: WorkOrder, lines: list[WorkOrderLine]) -> list[WorkOrderLine]:
    """The lines checked: of this order, paid by the maker, not declined, not claimed."""
    if not lines:
        raise ValidationError({"lines": "请选择要索赔的三包明细。"})
    for line in lines:
        if line.work_order_id != work_order.pk:
            raise ValidationError({"lines": f"“{line.description}”不是本工单的明细。"})
        if line.payer != Payer.WARRANTY:
            raise ValidationError(
                {"lines": f"“{line.description}”的付费方不是三包/索赔,不能索赔。"}
            )
        if line.status == LineStatus.DECLINED:
            raise ValidationError({"lines": f"客户未同意“{line.description}”,不能索赔。"})
    claimed = ClaimLine.objects.filter(line__in=lines).select_related("claim", "line")
    for taken in claimed:
        raise ValidationError(
            {"lines": f"“{taken.line.description}”已在索赔单 {taken.claim.number} 中。"}
        )
    return lines


def _amounts(lines: list[WorkOrderLine]) -> dict[str, Decimal]:
    labour = sum(
        (line.amount for line in lines if line.kind == WorkOrderLine.Kind.LABOUR), Decimal(0)
    )
    total = sum((line.amount for line in lines), Decimal(0))
    return {"labour_amount": labour, "parts_amount": total - labour, "claimed_amount": total}


def _tag_lines(claim: WarrantyClaim, lines: list[WorkOrderLine], faults=None) -> None:
    """The claim's lines; a part line's old part gets a tag: claim number and serial."""
    faults = faults or {}
    serial = 0
    rows = []
    for line in sorted(lines, key=lambda line: line.pk):
        tag = ""
        if line.kind == WorkOrderLine.Kind.PART:
            serial += 1
            tag = f"{claim.number}-{serial:02d}"
        rows.append(
            ClaimLine(
                claim=claim,
                line=line,
                tag_number=tag,
                old_part_fault=faults.get(line.pk, "").strip()[:200],
            )
        )
    ClaimLine.objects.bulk_create(rows)


def claim_create(
    *, work_order: WorkOrder, by, lines: list[WorkOrderLine] | None = None
) -> WarrantyClaim:
    """A draft claim for warranty lines of `work_order` (default: every warranty line not
    claimed yet).

    1. Under the order's row lock (two clerks pressing at once make one claim): the lines
       are checked (this order's, paid by the maker, not declined, not claimed before).
    2. The claim (number CL + yyyymm + serial; the fault described as the customer did),
       its lines with the old parts' tags, the claimed amounts.
    3. The vehicle's 三包 warning is refreshed.
    """
    _need(by, "warranty.add_warrantyclaim", "建立索赔单")
    if work_order.source == WorkOrder.Source.IMPORT:
        raise ValidationError("旧系统导入的工单只作为历史记录查看,不能索赔。")
    now = timezone.now()
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if locked.status == WorkOrder.Status.CANCELLED:
            raise ValidationError("工单已取消,不能索赔。")
        if lines is None:
            claimed = set(
                ClaimLine.objects.filter(line__work_order=locked).values_list("line_id", flat=True)
            )
            lines = [
                line
                for line in selectors.warranty_lines(locked, locked.lines.order_by("id"))
                if line.pk not in claimed
            ]
            if not lines:
                raise ValidationError("本工单没有尚未索赔的三包明细。")
        lines = _claimable(locked, list(lines))
        claim = WarrantyClaim.objects.create(
            number=_next_number(CLAIM_PREFIX, timezone.localdate(now), 4),
            work_order=locked,
            vehicle_id=locked.vehicle_id,
            fault_description=locked.customer_words,
            created_by=by,
            **_amounts(lines),
        )
        _tag_lines(claim, lines)
        warranty_watch_refresh(vehicle_ids=[locked.vehicle_id], now=now)
    return claim


CLASSIFICATION = ("system", "main_part", "fault_code", "serious_fault", "replacement")
TEXTS = ("fault_description", "cause", "repair_done", "service_order_number")


def _checked_classification(values: dict) -> dict:
    errors = {}
    system = values["system"]
    if system and system not in System.values:
        errors["system"] = "请选择故障系统。"
    if values["serious_fault"] and values["serious_fault"] not in SeriousFault.values:
        errors["serious_fault"] = "请选择严重安全性能故障的类别。"
    replacement = values["replacement"] or Replacement.NONE
    if replacement not in Replacement.values:
        errors["replacement"] = "请选择更换情况。"
    elif replacement == Replacement.ASSEMBLY and system not in MAJOR_ASSEMBLIES:
        errors["replacement"] = "只有发动机、变速器、动力蓄电池、行驶驱动电机记录总成更换。"
    elif replacement == Replacement.MAIN_PART and not values["main_part"]:
        errors["main_part"] = "更换主要零件时请填写是哪个零件。"
    if system and not (values["main_part"] or values["fault_code"]):
        errors["main_part"] = "请填写主要零件或故障代码(用于判断是否同一问题)。"
    if errors:
        raise ValidationError(errors)
    values["replacement"] = replacement
    values["problem_key"] = rights.problem_key(
        system=system, fault_code=values["fault_code"], main_part=values["main_part"]
    )
    return values


def claim_update(
    *,
    claim: WarrantyClaim,
    by,
    fault_description: str,
    cause: str,
    repair_done: str,
    service_order_number: str,
    outside_service_km: int,
    system: str,
    main_part: str,
    fault_code: str,
    serious_fault: str,
    replacement: str,
    old_part_faults: dict[int, str] | None = None,
) -> WarrantyClaim:
    """Fill in or correct a draft or rejected claim: the repair, the outside-service
    mileage, the service order number, what the 三包 rules count, and each old part's
    fault (by claim line id).

    1. The claim's row is locked; a claim that moved on (submitted meanwhile) is refused.
    2. The fields are saved; the problem's identity recomputed; the old parts' faults.
    3. The vehicle's 三包 warning is refreshed.
    """
    _need(by, "warranty.change_warrantyclaim", "修改索赔单")
    if outside_service_km is None or int(outside_service_km) < 0:
        raise ValidationError({"outside_service_km": "外出服务里程不能为负数。"})
    values = _checked_classification(
        {
            "system": system or "",
            "main_part": " ".join(main_part.split())[:60],
            "fault_code": "".join(fault_code.split()).upper()[:40],
            "serious_fault": serious_fault or "",
            "replacement": replacement,
        }
    )
    values.update(
        {
            name: value.strip()
            for name, value in zip(
                TEXTS, (fault_description, cause, repair_done, service_order_number), strict=True
            )
        }
    )
    values["service_order_number"] = values["service_order_number"][:40]
    values["outside_service_km"] = int(outside_service_km)
    with transaction.atomic():
        locked = WarrantyClaim.objects.select_for_update().get(pk=claim.pk)
        if not locked.is_editable:
            raise ValidationError(f"索赔单当前为“{locked.get_status_display()}”,不能修改。")
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        if old_part_faults:
            lines = {line.pk: line for line in ClaimLine.objects.filter(claim=locked)}
            changed = []
            for pk, fault in old_part_faults.items():
                if pk in lines:
                    lines[pk].old_part_fault = fault.strip()[:200]
                    changed.append(lines[pk])
            ClaimLine.objects.bulk_update(changed, ["old_part_fault"])
        warranty_watch_refresh(vehicle_ids=[locked.vehicle_id])
    for name, value in values.items():
        setattr(claim, name, value)
    claim.status = locked.status
    return claim


def claim_delete(*, claim: WarrantyClaim, by) -> None:
    """Delete a draft made by mistake (never submitted): its lines are free again."""
    _need(by, "warranty.delete_warrantyclaim", "删除索赔单")
    with transaction.atomic():
        locked = WarrantyClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != S.DRAFT:
            raise ValidationError("只有草稿状态的索赔单可以删除。")
        locked.delete()
        warranty_watch_refresh(vehicle_ids=[claim.vehicle_id])


# --- the states ------------------------------------------------------------------------------


def _transition(
    claim: WarrantyClaim, transition: Transition, *, by, reason: str, extra: dict
) -> ClaimStatusChange:
    """Claim one move and record it (inside the caller's transaction).

    1. The guards run on the claim as it is now (its lines, its work order: 2 queries).
    2. UPDATE … WHERE id = … AND status = <the status the user saw>: when another user
       moved the claim first, no row matches and nothing is written.
    3. The ClaimStatusChange row, in the same transaction as the claim.
    """
    from_status = claim.status
    if from_status not in transition.sources:
        raise ValidationError(f"索赔单当前为“{S(from_status).label}”,不能“{transition.label}”。")
    fresh = WarrantyClaim.objects.select_related("work_order").get(pk=claim.pk)
    blocked = refusals(transition, fresh)
    if blocked:
        raise ValidationError(blocked)
    now = timezone.now()
    values = {name: (now if value is NOW else value) for name, value in extra.items()}
    claimed = WarrantyClaim.objects.filter(pk=claim.pk, status=from_status).update(
        status=transition.target, updated_at=now, **values
    )
    if not claimed:
        current = WarrantyClaim.objects.filter(pk=claim.pk).values_list("status", flat=True).get()
        raise ValidationError(f"索赔单状态已被他人更新(当前:{S(current).label}),请刷新后再操作。")
    claim.status = transition.target
    for name, value in values.items():
        setattr(claim, name, value)
    return ClaimStatusChange.objects.create(
        claim=claim,
        transition=transition.name,
        from_status=from_status,
        to_status=transition.target,
        by=by,
        at=now,
        reason=reason,
    )


def _checked(claim: WarrantyClaim, name: str, by, reason: str) -> tuple[Transition, str]:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown claim transition {name!r}")
    if not by.has_perm(transition.permission):
        raise ValidationError(f"您没有“{transition.label}”的权限。")
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": f"“{transition.label}”必须填写原因。"})
    return transition, reason[:200]


def claim_transition(*, claim: WarrantyClaim, name: str, by, reason: str = "") -> ClaimStatusChange:
    """Move a claim along transitions.TRANSITIONS (submit, reject, resubmit): the one
    writer of `status`, from the status `claim` was loaded with (what the user saw).
    Approval and payment record amounts: `claim_approve`, `claim_pay`.

    Submitting stamps the first submission (the paper documents of its month); a
    rejection records the maker's reason and the decision's time.
    """
    transition, reason = _checked(claim, name, by, reason)
    if transition.via:
        raise ValidationError(f"“{transition.label}”请在对应的表单中办理。")
    extra: dict = {}
    if name == "submit":
        extra["submitted_at"] = NOW
    if name == "reject":
        extra.update(decided_at=NOW, rejection_reason=reason)
    with transaction.atomic():
        change = _transition(claim, transition, by=by, reason=reason, extra=extra)
        warranty_watch_refresh(vehicle_ids=[claim.vehicle_id], now=change.at)
    return change


def claim_approve(
    *, claim: WarrantyClaim, by, approved_amount, maker_reference: str = ""
) -> ClaimStatusChange:
    """The maker approved the claim: the amount it approved (at most the claimed amount)
    and its reference; the month of the approval puts the claim on that month's
    statement."""
    transition, _reason = _checked(claim, "approve", by, "")
    amount = _to_fen(approved_amount, "approved_amount", "批准金额")
    if amount > claim.claimed_amount:
        raise ValidationError(
            {"approved_amount": f"批准金额不能超过索赔金额 {claim.claimed_amount} 元。"}
        )
    extra = {
        "decided_at": NOW,
        "approved_amount": amount,
        "maker_reference": maker_reference.strip()[:60] or claim.maker_reference,
        "rejection_reason": "",
    }
    with transaction.atomic():
        return _transition(claim, transition, by=by, reason=f"批准金额 {amount} 元", extra=extra)


def claim_pay(
    *, claim: WarrantyClaim, by, paid_amount, maker_reference: str = ""
) -> ClaimStatusChange:
    """The maker paid the claim: the amount received (a difference from the approved
    amount is recorded as it is, and shown on the statement)."""
    transition, _reason = _checked(claim, "pay", by, "")
    amount = _to_fen(paid_amount, "paid_amount", "到账金额")
    extra = {
        "paid_at": NOW,
        "paid_amount": amount,
        "maker_reference": maker_reference.strip()[:60] or claim.maker_reference,
    }
    with transaction.atomic():
        return _transition(claim, transition, by=by, reason=f"到账 {amount} 元", extra=extra)


# --- the paper documents ---------------------------------------------------------------------


def claims_sign_documents(*, claims: list[WarrantyClaim], by) -> int:
    """Record that the paper documents of `claims` are signed (those submitted and not
    recorded yet; others are left alone). Returns how many were recorded."""
    _need(by, "warranty.manage_claim_documents", "索赔单据签字与寄送")
    now = timezone.now()
    with transaction.atomic():
        return WarrantyClaim.objects.filter(
            pk__in=[claim.pk for claim in claims],
            submitted_at__isnull=False,
            documents_signed_at__isnull=True,
        ).update(documents_signed_at=now, documents_signed_by=by, updated_at=now)


def document_batch_create(*, month: dt.date, by) -> DocumentBatch:
    """A batch of the signed documents of the claims first submitted in `month` that are
    in no batch yet (number SD + yyyymm + serial). Refused when there is none."""
    _need(by, "warranty.manage_claim_documents", "索赔单据签字与寄送")
    start, end = selectors.month_bounds(month)
    now = timezone.now()
    with transaction.atomic():
        waiting = WarrantyClaim.objects.select_for_update().filter(
            submitted_at__gte=start,
            submitted_at__lt=end,
            documents_signed_at__isnull=False,
            batch__isnull=True,
        )
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            raise ValidationError(f"{month:%Y年%m月}没有已签字、未装批的索赔单据。")
        batch = DocumentBatch.objects.create(
            number=_next_number(BATCH_PREFIX, month, 2),
            month=month.replace(day=1),
            created_by=by,
        )
        WarrantyClaim.objects.filter(pk__in=ids).update(batch=batch, updated_at=now)
    return batch


def document_batch_send(*, batch: DocumentBatch, by, carrier_reference: str) -> DocumentBatch:
    """The batch was sent to the maker (the courier's reference); sent once."""
    _need(by, "warranty.manage_claim_documents", "索赔单据签字与寄送")
    reference = carrier_reference.strip()[:60]
    if not reference:
        raise ValidationError({"carrier_reference": "请填写快递单号。"})
    now = timezone.now()
    with transaction.atomic():
        sent = DocumentBatch.objects.filter(pk=batch.pk, sent_at__isnull=True).update(
            sent_at=now, sent_by=by, carrier_reference=reference, updated_at=now
        )
        if not sent:
            raise ValidationError(f"批次 {batch.number} 已寄出。")
    batch.sent_at, batch.sent_by, batch.carrier_reference = now, by, reference
    return batch


# --- the monthly statement ---------------------------------------------------------------


def statement_record_invoice(
    *, month: dt.date, by, invoice_number: str, invoice_issued_on: dt.date
) -> MonthlyStatement:
    """The invoice issued to the maker for `month`'s statement (its amount and claims as
    the statement shows them now). Once per month; only for a month that is over and has
    approved claims."""
    _need(by, "warranty.view_warranty_statement", "索赔月结单与开票")
    month = month.replace(day=1)
    today = timezone.localdate()
    number = invoice_number.strip()[:40]
    if not number:
        raise ValidationError({"invoice_number": "请填写发票号码。"})
    if month >= today.replace(day=1):
        raise ValidationError("本月尚未结束,月底后再开票。")
    if invoice_issued_on is None or invoice_issued_on > today:
        raise ValidationError({"invoice_issued_on": "开票日期不能晚于今天。"})
    totals = selectors.statement_totals(month=month)
    if not totals.claims:
        raise ValidationError(f"{month:%Y年%m月}没有厂家批准的索赔单,无需开票。")
    with transaction.atomic():
        statement, created = MonthlyStatement.objects.get_or_create(
            month=month,
            defaults={
                "claims_count": totals.claims,
                "total_amount": totals.approved,
                "invoice_number": number,
                "invoice_issued_on": invoice_issued_on,
                "recorded_by": by,
            },
        )
    if not created:
        raise ValidationError(
            f"{month:%Y年%m月}已登记发票 {statement.invoice_number},不能重复登记。"
        )
    return statement
