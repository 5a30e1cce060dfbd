"""The moves of an appointment (transitions.py): confirmation before the slot, re-booking
to another slot with a reason, cancelling with a reason, no-show once the slot started;
each recorded with who, when and why; a stale page is refused and changes nothing."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.appointments import services
from apps.appointments.models import Appointment, AppointmentStatusChange, Source
from tests.factories.accounts import UserFactory
from tests.factories.appointments import advisor, book, set_rules
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import CannedJobFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
TOMORROW = dt.date(2026, 11, 25)
S = Appointment.Status


def _changes(appointment) -> list[tuple]:
    return list(
        AppointmentStatusChange.objects.filter(appointment=appointment)
        .order_by("id")
        .values_list("transition", "from_status", "to_status", "reason_code", "reason")
    )


@time_machine.travel(NOW, tick=False)
def test_confirming_records_who_and_when():
    appointment = book(day=TOMORROW)
    clerk = advisor()

    services.appointment_confirm(appointment=appointment, by=clerk)

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert (appointment.confirmed_by, appointment.confirmed_at) == (clerk, NOW)
    assert _changes(appointment)[-1] == ("confirm", "booked", "confirmed", "", "")


@time_machine.travel(NOW, tick=False)
def test_the_second_of_two_confirmations_from_the_same_page_is_refused():
    appointment = book(day=TOMORROW)
    seen_by_other = Appointment.objects.get(pk=appointment.pk)
    services.appointment_confirm(appointment=appointment, by=appointment.advisor)

    with pytest.raises(ValidationError) as refused:
        services.appointment_confirm(appointment=seen_by_other, by=advisor())

    assert refused.value.messages == ["预约状态已被他人更新(当前:已确认),请刷新后再操作。"]
    assert len(_changes(appointment)) == 2  # booked, confirmed: nothing more


@time_machine.travel(NOW, tick=False)
def test_cancelling_needs_one_of_its_reasons_and_a_note_for_other():
    appointment = book(day=TOMORROW)
    by = appointment.advisor

    with pytest.raises(ValidationError) as no_reason:
        services.appointment_cancel(appointment=appointment, by=by, reason_code="", reason="")
    with pytest.raises(ValidationError) as wrong_reason:
        services.appointment_cancel(appointment=appointment, by=by, reason_code="forgot")
    with pytest.raises(ValidationError) as other_bare:
        services.appointment_cancel(appointment=appointment, by=by, reason_code="other")
    services.appointment_cancel(
        appointment=appointment, by=by, reason_code="other", reason="车主出差一个月"
    )

    assert no_reason.value.message_dict == {"reason_code": ["请选择取消预约的原因。"]}
    assert wrong_reason.value.message_dict == {"reason_code": ["请选择取消预约的原因。"]}
    assert other_bare.value.message_dict == {"reason": ["原因为“其他”时请写明具体原因。"]}
    appointment.refresh_from_db()
    assert (appointment.status, appointment.reason_code, appointment.reason) == (
        S.CANCELLED,
        "other",
        "车主出差一个月",
    )
    assert _changes(appointment)[-1] == ("cancel", "booked", "cancelled", "other", "车主出差一个月")


def test_a_no_show_is_marked_only_once_the_slot_has_started():
    with time_machine.travel(NOW, tick=False):
        appointment = book(day=TOMORROW, at="10:30")
    a_minute_early = dt.datetime(2026, 11, 25, 10, 29, tzinfo=SHANGHAI)
    with time_machine.travel(a_minute_early, tick=False), pytest.raises(ValidationError) as early:
        services.appointment_no_show(
            appointment=appointment, by=appointment.advisor, reason_code="forgot"
        )
    with time_machine.travel(dt.datetime(2026, 11, 25, 11, 30, tzinfo=SHANGHAI), tick=False):
        services.appointment_no_show(
            appointment=appointment, by=appointment.advisor, reason_code="forgot"
        )

    assert early.value.messages == ["预约时间还没到,不能标记爽约。"]
    appointment.refresh_from_db()
    assert (appointment.status, appointment.reason_code) == (S.NO_SHOW, "forgot")


@time_machine.travel(NOW, tick=False)
def test_rebooking_ends_the_old_appointment_and_books_the_same_work_into_the_new_slot():
    job = CannedJobFactory()
    old = book(day=TOMORROW, at="10:30", canned_jobs=[job])
    services.appointment_confirm(appointment=old, by=old.advisor)
    old.refresh_from_db()

    new = services.appointment_rebook(
        appointment=old,
        by=old.advisor,
        day=dt.date(2026, 11, 27),
        starts_at=dt.time(14, 30),
        reason_code="customer_asked",
        reason="周五下午有空",
    )

    old.refresh_from_db()
    assert (old.status, old.reason_code, old.reason) == (
        S.REBOOKED,
        "customer_asked",
        "周五下午有空",
    )
    assert new.status == S.BOOKED
    assert new.starts_at == dt.datetime(2026, 11, 27, 14, 30, tzinfo=SHANGHAI)
    assert (new.rebooked_from, new.source, new.vehicle, new.advisor) == (
        old,
        Source.REBOOK,
        old.vehicle,
        old.advisor,
    )
    assert new.requested_work == old.requested_work
    assert list(new.canned_jobs.all()) == [job]
    assert _changes(new) == [("rebooked_in", "", "booked", "", "")]


@time_machine.travel(NOW, tick=False)
def test_rebooking_into_a_full_slot_is_refused_and_the_old_appointment_stays():
    set_rules(appointment_slot_capacity=1)
    book(day=TOMORROW, at="14:30")
    old = book(day=TOMORROW, at="10:30")

    with pytest.raises(services.SlotFull) as refused:
        services.appointment_rebook(
            appointment=old,
            by=old.advisor,
            day=TOMORROW,
            starts_at=dt.time(14, 30),
            reason_code="customer_asked",
        )

    assert refused.value.messages[0].startswith("11月25日 14:30 时段已约满(1/1 台)。")
    # Nearest first, in time order; equally near (12:30 and 16:30): the earlier.
    assert [s.value for s in refused.value.nearest] == ["12:30", "13:30", "15:30"]
    old.refresh_from_db()
    assert old.status == S.BOOKED
    assert Appointment.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_rebooking_into_the_same_slot_with_another_advisor_does_not_count_itself():
    set_rules(appointment_slot_capacity=1)
    old = book(day=TOMORROW, at="10:30")
    wu = advisor()

    new = services.appointment_rebook(
        appointment=old,
        by=old.advisor,
        day=TOMORROW,
        starts_at=dt.time(10, 30),
        reason_code="dealer",
        advisor=wu,
    )

    assert (new.advisor, new.status) == (wu, S.BOOKED)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("move", ["confirm", "cancel"])
def test_a_user_without_the_permission_is_refused_and_nothing_changes(move):
    appointment = book(day=TOMORROW)
    clerk = UserFactory()  # no role

    with pytest.raises(ValidationError) as refused:
        if move == "confirm":
            services.appointment_confirm(appointment=appointment, by=clerk)
        else:
            services.appointment_cancel(appointment=appointment, by=clerk, reason_code="price")

    assert refused.value.messages[0].startswith("您没有“")
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


@time_machine.travel(NOW, tick=False)
def test_a_final_appointment_takes_no_more_moves():
    appointment = book(day=TOMORROW)
    services.appointment_cancel(
        appointment=appointment, by=appointment.advisor, reason_code="price"
    )

    with pytest.raises(ValidationError) as refused:
        services.appointment_confirm(appointment=appointment, by=appointment.advisor)

    assert refused.value.messages == ["预约当前为“已取消”,不能“确认”。"]
