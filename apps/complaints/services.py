"""Writes of the complaints (DOMAIN.md §6). Each service owns its transaction; errors are
ValidationError with Chinese messages; `by` is the acting user.

`complaint_create` receives a complaint from any channel and computes its deadlines;
`complaint_transition` makes the moves of transitions.py that record only a note; the
moves with a form of their own (`complaint_propose`, `complaint_resolve`,
`complaint_close_satisfied`) record their fields in the same UPDATE that claims the move.
Resolution schedules the second callback through the callbacks app when the complaint
came from a callback.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.callbacks.models import Callback, Problem
from apps.callbacks.services import callback_schedule_second, problem_mark_escalated
from apps.core.calendar import working_day_after
from apps.core.settings import current_settings
from apps.customers.models import Customer, Vehicle
from apps.workorders.models import NumberSequence, WorkOrder

from .models import Channel, Complaint, ComplaintSettings, ComplaintStep, Department, Severity
from .transitions import TRANSITIONS, Transition, refusals

S = Complaint.Status
NUMBER_PREFIX = "TS"  # 投诉: TS + yyyymm + 4-digit serial
NOW = object()  # a value of `_transition`'s extra fields: the moment of the move


def _next_number(prefix: str, day: dt.date, width: int) -> str:
    """The next number of `prefix` in `day`'s month (the counter row's UPDATE holds its
    lock until the caller's transaction ends: no gaps, no duplicates)."""
    key = f"{prefix}{day:%Y%m}"
    NumberSequence.objects.bulk_create([NumberSequence(key=key)], ignore_conflicts=True)
    NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    serial = NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()
    return f"{key}{serial:0{width}d}"


def complaint_deadlines(*, received_on: dt.date, severity: str) -> tuple[dt.date, dt.date]:
    """(acknowledge by, resolve by) for a complaint received on `received_on`.

    Acknowledged the same day (the day it was received, whatever day that is: customer
    service answers at weekends too). Resolved within the settings' days, counted in
    working days of the official calendar (weekends, holidays and 调休 days): a general
    complaint received on a Friday with 3 days is due on Wednesday.
    """
    rules = current_settings(ComplaintSettings)
    days = (
        rules.complaint_serious_resolve_days
        if severity == Severity.SERIOUS
        else rules.complaint_resolve_days
    )
    return received_on, working_day_after(received_on, days)


def _need(user, permission: str, what: str) -> None:
    if not user.has_perm(permission):
        raise ValidationError(f"您没有“{what}”的权限。")


def complaint_create(
    *,
    by,
    customer: Customer,
    channel: str,
    category: str,
    description: str,
    severity: str = Severity.GENERAL,
    demand: str = "",
    complainant: str = "",
    vehicle: Vehicle | None = None,
    work_order: WorkOrder | None = None,
    source_callback: Callback | None = None,
    source_problem: Problem | None = None,
    maker_deadline: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
) -> Complaint:
    """Receive a complaint (受理): number TS + yyyymm + serial, the deadlines by severity,
    and the first step of its timeline. A complaint raised on a callback names it
    (`source_callback`; its channel is then 回访): the second callback after the
    resolution is scheduled as that callback's child. A complaint made of a callback's
    problem (转投诉, `source_problem`) is raised on its callback, and the problem leaves the
    quick-handling list in the same transaction."""
    _need(by, "complaints.add_complaint", "登记投诉")
    if source_problem is not None:
        source_callback = source_problem.callback
    description = description.strip()
    errors = {}
    if not description:
        errors["description"] = "请填写投诉内容。"
    if channel not in Channel.values:
        errors["channel"] = "请选择投诉渠道。"
    if severity not in Severity.values:
        errors["severity"] = "请选择严重程度。"
    if source_callback is not None:
        channel = Channel.CALLBACK
        if source_callback.customer_id != customer.pk:
            raise ValidationError({"customer": "来源回访不是这位客户的。"})
        vehicle = vehicle or source_callback.vehicle
        if work_order is None and source_callback.work_order_id:
            work_order = source_callback.work_order
    if vehicle is not None and vehicle.owner_id != customer.pk:
        errors["vehicle"] = "这辆车不属于该客户。"
    if work_order is not None:
        if work_order.customer_id != customer.pk:
            errors["work_order"] = "该工单不是这位客户的。"
        vehicle = vehicle or work_order.vehicle
    if maker_deadline is None and channel == Channel.MAKER_HOTLINE:
        errors["maker_deadline"] = "厂家 400 热线转来的投诉请填写厂家要求的完成时间。"
    if errors:
        raise ValidationError(errors)
    received_at = received_at or timezone.now()
    received_on = timezone.localdate(received_at)
    acknowledge_due_on, resolve_due_on = complaint_deadlines(
        received_on=received_on, severity=severity
    )
    with transaction.atomic():
        complaint = Complaint.objects.create(
            number=_next_number(NUMBER_PREFIX, received_on, 4),
            customer=customer,
            vehicle=vehicle,
            work_order=work_order,
            source_callback=source_callback,
            complainant=complainant.strip()[:60] or customer.name[:60],
            channel=channel,
            category=category,
            severity=severity,
            received_at=received_at,
            description=description,
            demand=demand.strip(),
            maker_deadline=maker_deadline,
            received_by=by,
            acknowledge_due_on=acknowledge_due_on,
            resolve_due_on=resolve_due_on,
        )
        if source_problem is not None:
            problem_mark_escalated(
                problem=source_problem, complaint_id=complaint.pk, by=by, now=received_at
            )
        ComplaintStep.objects.create(
            complaint=complaint,
            transition="receive",
            label="受理投诉",
            to_status=S.RECEIVED,
            by=by,
            at=timezone.now(),
            note=f"{complaint.get_channel_display()} · {complaint.get_category_display()} · "
            f"{complaint.get_severity_display()}:{description[:200]}",
        )
    return complaint


# --- the states ------------------------------------------------------------------------------


def _checked(complaint: Complaint, name: str, by, note: str) -> tuple[Transition, str]:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown complaint transition {name!r}")
    if not by.has_perm(transition.permission):
        raise ValidationError(f"您没有“{transition.label}”的权限。")
    note = note.strip()
    if transition.needs_note and not note:
        raise ValidationError({"note": f"“{transition.label}”必须填写{_what(transition)}。"})
    return transition, note


def _what(transition: Transition) -> str:
    return transition.note_label.split("(")[0] or "说明"


def _from_its_source(complaint: Complaint, transition: Transition) -> None:
    if complaint.status not in transition.sources:
        raise ValidationError(f"投诉当前为“{S(complaint.status).label}”,不能“{transition.label}”。")


def _transition(
    complaint: Complaint, transition: Transition, *, by, note: str, extra: dict
) -> ComplaintStep:
    """Claim one move and record it (inside the caller's transaction).

    1. The move must start from the status the user saw (`complaint.status`).
    2. The guards run on the complaint as it is now, extra fields applied.
    3. UPDATE … WHERE id = … AND status = <that status>: when another user moved the
       complaint first, no row matches and nothing is written.
    4. The ComplaintStep row (who, when, what), in the same transaction.
    """
    from_status = complaint.status
    _from_its_source(complaint, transition)
    now = timezone.now()
    values = {name: (now if value is NOW else value) for name, value in extra.items()}
    fresh = Complaint.objects.get(pk=complaint.pk)
    for name, value in values.items():
        setattr(fresh, name, value)
    blocked = refusals(transition, fresh)
    if blocked:
        raise ValidationError(blocked)
    claimed = Complaint.objects.filter(pk=complaint.pk, status=from_status).update(
        status=transition.target, updated_at=now, **values
    )
    if not claimed:
        current = Complaint.objects.filter(pk=complaint.pk).values_list("status", flat=True).get()
        raise ValidationError(f"投诉状态已被他人更新(当前:{S(current).label}),请刷新后再操作。")
    complaint.status = transition.target
    for name, value in values.items():
        setattr(complaint, name, value)
    return ComplaintStep.objects.create(
        complaint=complaint,
        transition=transition.name,
        label=transition.label,
        from_status=from_status,
        to_status=transition.target,
        by=by,
        at=now,
        note=note,
    )


def complaint_transition(*, complaint: Complaint, name: str, by, note: str = "") -> ComplaintStep:
    """The moves that record only a note: judged valid (the judge becomes the handler if
    there is none) or not valid (the explanation given to the customer; closed), the
    manager's approval or return of the solution, the second callback finding the customer
    still unhappy (back to investigating), the manager's closing with a written reason."""
    transition, note = _checked(complaint, name, by, note)
    if transition.via:
        raise ValidationError(f"“{transition.label}”请在对应的表单中办理。")
    extra: dict = {}
    if name in ("judge_valid", "judge_invalid"):
        extra["acknowledged_at"] = NOW
        if complaint.owner_id is None:
            extra["owner"] = by
    if name == "judge_invalid":
        extra.update(invalid_reason=note, closed_at=NOW)
    if name == "approve":
        extra.update(approved_at=NOW, approved_by=by)
    if name == "manager_close":
        extra.update(closed_at=NOW, closed_by_manager=True, evaluation=note)
    with transaction.atomic():
        return _transition(complaint, transition, by=by, note=note, extra=extra)


def complaint_propose(
    *, complaint: Complaint, by, cause: str, department: str, responsible_person: str, solution: str
) -> ComplaintStep:
    """The investigation's result and the proposed solution (调查 → 提出方案), sent to the
    manager for approval."""
    transition, _note = _checked(complaint, "propose", by, "")
    cause, solution = cause.strip(), solution.strip()
    errors = {}
    if not cause:
        errors["cause"] = "请填写投诉原因。"
    if department not in Department.values:
        errors["department"] = "请选择责任部门。"
    if not solution:
        errors["solution"] = "请填写处理方案。"
    if errors:
        raise ValidationError(errors)
    person = responsible_person.strip()[:60]
    extra = {
        "cause": cause,
        "department": department,
        "responsible_person": person,
        "solution": solution,
    }
    blame = Department(department).label + (f" {person}" if person else "")
    note = f"原因:{cause};责任:{blame};方案:{solution}"
    with transaction.atomic():
        return _transition(complaint, transition, by=by, note=note, extra=extra)


def complaint_resolve(
    *,
    complaint: Complaint,
    by,
    action_taken: str,
    customer_signature: str,
    on: dt.date | None = None,
) -> ComplaintStep:
    """The approved solution was carried out and the customer accepted it (签字确认).
    When the complaint came from a callback, the second callback (二次回访) is scheduled
    as that callback's child, in the same transaction."""
    transition, _note = _checked(complaint, "resolve", by, "")
    action_taken, signature = action_taken.strip(), customer_signature.strip()[:60]
    errors = {}
    if not action_taken:
        errors["action_taken"] = "请填写处理结果。"
    if not signature:
        errors["customer_signature"] = "请填写签字确认的客户姓名。"
    if errors:
        raise ValidationError(errors)
    resolved_on = on or timezone.localdate()
    with transaction.atomic():
        extra: dict = {
            "action_taken": action_taken,
            "customer_signature": signature,
            "resolved_at": NOW,
        }
        second = None
        if complaint.source_callback_id:
            second = callback_schedule_second(
                parent=complaint.source_callback, resolved_on=resolved_on
            )
            extra["second_callback"] = second
        note = f"处理结果:{action_taken};客户签字:{signature}"
        if second is not None:
            note += f";已安排二次回访(截止 {second.due_on:%Y-%m-%d})"
        return _transition(complaint, transition, by=by, note=note, extra=extra)


def complaint_close_satisfied(
    *,
    complaint: Complaint,
    by,
    evaluation: str,
    called_at: dt.datetime | None = None,
    customer_satisfied: bool = False,
) -> ComplaintStep:
    """The second callback found the customer satisfied: closed with an evaluation
    (DOMAIN §6: not before the second callback records the customer satisfied).

    With a linked second callback (a complaint raised on a callback), its call decides
    (the transition's guards: reached, and no score below 4, no "not solved", no problem).
    Without one, the clerk's call is recorded here: `called_at` (not in the future, not
    before the resolution) and `customer_satisfied`, both required, written in the step."""
    transition, _note = _checked(complaint, "second_satisfied", by, "")
    _from_its_source(complaint, transition)  # before asking for the call's record
    evaluation = evaluation.strip()
    errors = {}
    if not evaluation:
        errors["evaluation"] = "请填写结案评价。"
    call = ""
    if complaint.second_callback_id is None:
        now = timezone.now()
        if called_at is None:
            errors["called_at"] = "请填写二次回访的时间(客服回访客户的日期和时间)。"
        elif called_at > now or (complaint.resolved_at and called_at < complaint.resolved_at):
            errors["called_at"] = "二次回访时间应在方案执行之后、不晚于现在。"
        if not customer_satisfied:
            errors["customer_satisfied"] = (
                "只有二次回访中客户表示满意才能以“客户满意”结案;客户仍不满意请选择"
                "“二次回访:客户仍不满意”。"
            )
        if called_at is not None:
            call = f"二次回访 {timezone.localtime(called_at):%Y-%m-%d %H:%M}({by}):"
    if errors:
        raise ValidationError(errors)
    extra = {"evaluation": evaluation, "closed_at": NOW}
    with transaction.atomic():
        return _transition(
            complaint, transition, by=by, note=f"{call}客户满意;评价:{evaluation}", extra=extra
        )
