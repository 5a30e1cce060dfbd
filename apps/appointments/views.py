"""The appointment pages: targets, booking, the day board (预约看板), one appointment with
its moves, the confirmation list, arrival (reception with the appointment's data) and the
show and on-time rates.

HTTP, permissions and forms only: every POST calls one service and shows its
ValidationError on the form it came from; a successful POST redirects (post/redirect/get).
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.core.http import add_service_errors, cursor_param, require_perm
from apps.customers.models import Customer, Vehicle
from apps.workorders import selectors_reception
from apps.workorders.forms_reception import ReceptionSearchForm, WorkOrderOpenForm
from apps.workorders.models import WorkOrder

from . import selectors, services, transitions
from .forms import (
    BookingForm,
    ReasonForm,
    RebookForm,
    StatsForm,
    UnreachableForm,
    advisors,
)
from .models import Appointment, Source, Target

VIEW = "appointments.view_appointment"
ADD = "appointments.add_appointment"
CHANGE = "appointments.change_appointment"
# What a booking from a target list starts with (the advisor adds to it on the phone).
TARGET_WORK = {
    Target.Kind.MAINTENANCE: "定期保养",
    Target.Kind.INSURANCE: "保险到期,续保咨询及车况检查",
    Target.Kind.WARRANTY: "三包到期前全面检查",
    Target.Kind.RECOMMENDATION: "上次未做的建议项目",
}
STATS_DEFAULT_DAYS = 28  # four weeks: the statistics page opens on the last four weeks
STATS_BY_DAY_MAX_DAYS = 62  # longer periods are shown by month instead of by day


def _label(appointment: Appointment) -> str:
    at = timezone.localtime(appointment.starts_at)
    return f"{appointment.vehicle} {at.month}月{at.day}日 {at:%H:%M}"


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


# --- targets ---------------------------------------------------------------------------------


@require_GET
@require_perm("appointments.view_target")
def targets(request):
    """预约对象: one list per reason, keyset pages; from a row the advisor books."""
    kind = request.GET.get("kind")
    if kind not in Target.Kind.values:
        kind = Target.Kind.MAINTENANCE
    today = timezone.localdate()
    page = selectors.targets_page(
        kind=kind,
        today=today,
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    return render(
        request,
        "appointments/targets.html",
        {
            "kind": kind,
            "kinds": Target.Kind.choices,
            "page": page,
            "today": today,
            "refreshed_at": selectors.targets_refreshed_at(),
            "order_label": "即将到期在前"
            if selectors.TARGET_ORDER[kind][0] == "due_on"
            else "到期日近的在前",
        },
    )


@require_POST
@require_perm("appointments.add_unreachablephone")
def unreachable(request, customer_pk):
    """电话无法接通: the customer's cars leave the targets until the mobile changes."""
    customer = get_object_or_404(Customer, pk=customer_pk)
    form = UnreachableForm(request.POST)
    if form.is_valid():
        try:
            services.phone_mark_unreachable(
                customer=customer, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"已标记 {customer.name} 的手机无法接通,不再列为预约对象。")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    kind = request.POST.get("kind")
    url = reverse("appointments:targets")
    return redirect(f"{url}?kind={kind}" if kind in Target.Kind.values else url)


# --- booking ---------------------------------------------------------------------------------


def _vehicle(request) -> Vehicle | None:
    vehicle_id = request.POST.get("vehicle") or request.GET.get("vehicle")
    if not vehicle_id:
        return None
    try:
        return Vehicle.objects.select_related("owner").get(pk=int(vehicle_id))
    except (ValueError, Vehicle.DoesNotExist):
        raise Http404("车辆不存在") from None


def _initial(request, vehicle: Vehicle, today: dt.date) -> dict:
    kind = request.GET.get("target")
    source = request.GET.get("source")
    if kind in Target.Kind.values:
        source = f"target_{kind}"
    initial = {
        "day": _day(request.GET.get("day"), today + dt.timedelta(days=1)),
        "source": source if source in Source.values and source != Source.REBOOK else Source.PHONE,
        "requested_work": TARGET_WORK.get(kind, ""),
    }
    if advisors().filter(pk=request.user.pk).exists():
        initial["advisor"] = request.user.pk
    if kind == Target.Kind.RECOMMENDATION:
        initial["recommendations"] = list(
            vehicle.recommendations.filter(status="open").values_list("pk", flat=True)
        )
    return initial


def _chosen(form, name: str, default):
    """A bound form's typed value (even when invalid), else its initial value."""
    if form.is_bound:
        return form.data.get(form.add_prefix(name)) or default
    return form.initial.get(name, default)


def _slots_for(form, *, rules, now, advisor=None, exclude_id=None) -> list:
    """The slots of the day the form shows, for its advisor (or `advisor`)."""
    day = _day(str(_chosen(form, "day", "")), timezone.localdate(now))
    if advisor is None:
        advisor_id = _chosen(form, "advisor", None)
        advisor = advisors().filter(pk=advisor_id).first() if advisor_id else None
    return selectors.day_availability(
        day=day, advisor=advisor, now=now, rules=rules, exclude_id=exclude_id
    )


@require_perm(ADD)
def book(request):
    """新建预约: the car (from a target, the card or a search), a day → its slots with the
    places left (htmx), the advisor and the work. A full slot is refused with the nearest
    free slots as buttons that book them."""
    vehicle = _vehicle(request)
    if vehicle is None:
        search_form = ReceptionSearchForm(request.GET if "q" in request.GET else None)
        search = None
        if search_form.is_bound and search_form.is_valid():
            search = selectors_reception.reception_search(search_form.cleaned_data["q"])
            if search.exact is not None:
                return redirect(f"{reverse('appointments:book')}?vehicle={search.exact.pk}")
        return render(
            request, "appointments/book_find.html", {"search_form": search_form, "search": search}
        )
    rules, now = selectors.Rules.now(), timezone.now()
    post = request.POST if request.method == "POST" else None
    form = BookingForm(
        post, vehicle=vehicle, rules=rules, initial=_initial(request, vehicle, timezone.localdate())
    )
    offers = []
    if post is not None and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                vehicle=vehicle,
                by=request.user,
                day=data["day"],
                starts_at=data["starts_at"],
                advisor=data["advisor"],
                requested_work=data["requested_work"],
                canned_jobs=list(data["canned_jobs"]),
                recommendations=list(data["recommendations"]),
                parts=data["parts_text"],
                source=data["source"],
            )
        except services.SlotFull as error:
            offers = error.nearest
            add_service_errors(form, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"已预约:{_label(appointment)},服务顾问 {appointment.advisor}。"
            )
            return redirect("appointments:detail", pk=appointment.pk)
    return render(
        request,
        "appointments/book.html",
        {
            "vehicle": vehicle,
            "form": form,
            "slots": _slots_for(form, rules=rules, now=now),
            "offers": offers,
            "existing": selectors.open_appointment(vehicle=vehicle),
        },
        status=422 if form.errors else 200,
    )


@require_GET
@require_perm(VIEW)
def slots(request):
    """htmx: the slots of a day with their places left (for the chosen advisor too)."""
    rules, now = selectors.Rules.now(), timezone.now()
    day = _day(request.GET.get("day"), timezone.localdate(now))
    advisor_id = request.GET.get("advisor")
    advisor = advisors().filter(pk=advisor_id).first() if advisor_id else None
    exclude = request.GET.get("appointment")
    exclude_id = int(exclude) if exclude and exclude.isdigit() else None
    return render(
        request,
        "appointments/partials/slots.html",
        {
            "slots": selectors.day_availability(
                day=day, advisor=advisor, now=now, rules=rules, exclude_id=exclude_id
            ),
            "chosen": request.GET.get("starts_at", ""),
        },
    )


# --- the day board, one appointment ----------------------------------------------------------


@require_GET
@require_perm(VIEW)
def board(request):
    """预约看板: a day's appointments by slot and advisor."""
    today = timezone.localdate()
    day = _day(request.GET.get("day"), today)
    return render(
        request,
        "appointments/board.html",
        {
            "board": selectors.day_board(day=day),
            "today": today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )


def _load(pk: int) -> Appointment:
    try:
        return selectors.appointment_page(pk=pk)
    except Appointment.DoesNotExist:
        raise Http404("预约不存在") from None


def _detail(request, appointment: Appointment, *, status=200, **forms):
    rules, now = selectors.Rules.now(), timezone.now()
    rebook_form = forms.get("rebook_form") or RebookForm(
        rules=rules, initial={"day": appointment.date}
    )
    moves = {move.name for move in transitions.available(appointment, request.user)}
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "moves": moves,
            "is_today": appointment.date == timezone.localdate(now),
            "has_started": appointment.starts_at <= now,
            "cancel_form": forms.get("cancel_form") or ReasonForm(move="cancel"),
            "no_show_form": forms.get("no_show_form") or ReasonForm(move="no_show"),
            "rebook_form": rebook_form,
            "rebook_slots": _slots_for(
                rebook_form,
                rules=rules,
                now=now,
                advisor=appointment.advisor,
                exclude_id=appointment.pk,
            )
            if "rebook" in moves
            else [],
            "offers": forms.get("offers", []),
        },
        status=status,
    )


@require_GET
@require_perm(VIEW)
def detail(request, pk):
    return _detail(request, _load(pk))


def _back(request, appointment: Appointment):
    """After a move: back to the list it was made from, else the appointment."""
    if request.POST.get("back") == "confirmations":
        return redirect("appointments:confirmations")
    if request.POST.get("back") == "board":
        return redirect(f"{reverse('appointments:board')}?day={appointment.date}")
    return redirect("appointments:detail", pk=appointment.pk)


@require_POST
@require_perm(CHANGE)
def confirm(request, pk):
    appointment = _load(pk)
    try:
        services.appointment_confirm(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已确认:{_label(appointment)}。")
    return _back(request, appointment)


def _reason_move(request, pk, move: str, service, done: str):
    appointment = _load(pk)
    form = ReasonForm(request.POST, move=move)
    if form.is_valid():
        try:
            service(appointment=appointment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{done}:{_label(appointment)}。")
            return _back(request, appointment)
    return _detail(request, _load(pk), status=422, **{f"{move}_form": form})


@require_POST
@require_perm(CHANGE)
def cancel(request, pk):
    return _reason_move(request, pk, "cancel", services.appointment_cancel, "已取消预约")


@require_POST
@require_perm(CHANGE)
def no_show(request, pk):
    return _reason_move(request, pk, "no_show", services.appointment_no_show, "已记为爽约")


@require_POST
@require_perm(CHANGE)
def rebook(request, pk):
    """改约: a new slot (a full one offers the nearest free ones) and the reason."""
    appointment = _load(pk)
    form = RebookForm(request.POST, rules=selectors.Rules.now())
    offers = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            new = services.appointment_rebook(
                appointment=appointment,
                by=request.user,
                day=data["day"],
                starts_at=data["starts_at"],
                reason_code=data["reason_code"],
                reason=data["reason"],
            )
        except services.SlotFull as error:
            offers = error.nearest
            add_service_errors(form, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已改约为 {_label(new)}。")
            return redirect("appointments:detail", pk=new.pk)
    return _detail(request, _load(pk), status=422, rebook_form=form, offers=offers)


# --- confirmation list, arrival --------------------------------------------------------------


@require_GET
@require_perm(CHANGE)
def confirmations(request):
    """待确认预约: booked appointments starting within the settings' minutes first, then
    the rest of today and tomorrow."""
    rules, now = selectors.Rules.now(), timezone.now()
    lists = selectors.confirmations(now=now, rules=rules)
    sections = [
        (f"{rules.confirm_minutes} 分钟内开始(请立即电话确认)", lists.due, "due"),
        ("今明两天其他待确认", lists.later, "later"),
    ]
    return render(request, "appointments/confirmations.html", {"sections": sections, "now": now})


@require_perm(CHANGE)
@require_perm("workorders.add_workorder")
def receive(request, pk):
    """到店接车: the reception's open form with the appointment's data; on success the
    work order is open (linked, its estimate filled) and its inspection sheet follows."""
    appointment = _load(pk)
    if "arrive" not in {m.name for m in transitions.available(appointment, request.user)}:
        if appointment.work_order_id:
            return redirect("workorders:detail", pk=appointment.work_order_id)
        raise PermissionDenied("该预约不能接车。")
    now = timezone.now()
    kinds = {job.kind for job in appointment.canned_jobs.all()}
    form = WorkOrderOpenForm(
        request.POST if request.method == "POST" else None,
        vehicle=appointment.vehicle,
        now=now,
        initial={
            "kind": kinds.pop() if len(kinds) == 1 else WorkOrder.Kind.MAINTENANCE,
            "customer_words": appointment.requested_work,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            received = services.appointment_receive(
                appointment=appointment,
                by=request.user,
                kind=data["kind"],
                mileage=data["mileage"],
                promised_at=data["promised_at"],
                customer_words=data["customer_words"],
                mileage_lower_reason=data["mileage_lower_reason"],
                insurer=data["insurer"],
                insurer_claim_number=data["insurer_claim_number"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            order = received.work_order
            note = f",已带入预约项目 {received.lines} 项" if received.lines else ""
            messages.success(request, f"预约到店,已开单 {order.number}{note},请完成接车登记表。")
            for skipped in received.skipped:
                messages.warning(request, f"{skipped},未带入。")
            return redirect("workorders:inspection", pk=order.pk)
    return render(
        request,
        "appointments/receive.html",
        {
            "appointment": appointment,
            "vehicle": appointment.vehicle,
            "open_form": form,
            "is_today": appointment.date == timezone.localdate(now),
            "open_order": selectors_reception.open_work_order(vehicle=appointment.vehicle),
        },
        status=422 if form.errors else 200,
    )


# --- statistics ------------------------------------------------------------------------------


@require_GET
@require_perm(VIEW)
def stats(request):
    """到店率 and 准时率 by day, week and advisor over a period (default: four weeks)."""
    now = timezone.now()
    today = timezone.localdate(now)
    default = {"first": today - dt.timedelta(days=STATS_DEFAULT_DAYS - 1), "last": today}
    form = StatsForm(request.GET if "first" in request.GET else None, initial=default)
    period = form.cleaned_data if form.is_bound and form.is_valid() else default
    rates = selectors.appointment_rates(first=period["first"], last=period["last"], now=now)
    # A long period (a quarter, a year) is read by month: a row per day would be hundreds.
    if (period["last"] - period["first"]).days >= STATS_BY_DAY_MAX_DAYS:
        first_table = ("按月", rates.by_month, "by-month")
    else:
        first_table = ("按日", rates.by_day, "by-day")
    tables = [
        first_table,
        ("按周", rates.by_week, "by-week"),
        ("按服务顾问", rates.by_advisor, "by-advisor"),
    ]
    return render(
        request, "appointments/stats.html", {"form": form, "rates": rates, "tables": tables}
    )
