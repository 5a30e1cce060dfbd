"""The appointment pages: booking (slots with their places, a full slot refused with the
nearest free slots as buttons that book them), the day board, one appointment with its
moves, the confirmation list, arrival through reception, the targets and the statistics —
each with a query count that does not grow with the data."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.appointments import services
from apps.appointments.models import Appointment, Source
from apps.workorders.models import WorkOrder
from tests.factories.appointments import advisor, appointment_row, book, set_rules
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.customers import VehicleFactory
from tests.factories.reception import recommendation
from tests.factories.workorders import CannedJobFactory, CannedJobLineFactory, WorkOrderFactory
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
TOMORROW = dt.date(2026, 11, 25)
S = Appointment.Status


@pytest.fixture
def desk(client):
    """A logged-in advisor (周服务) and a car with an open recommendation."""
    user = advisor(display_name="周服务")
    client.force_login(user)
    car = VehicleFactory(plate="粤B12345", mileage=30_000)
    recommendation(car, description="更换刹车片")
    return client, user, car


def _form(car, user, **fields) -> dict:
    return {
        "vehicle": car.pk,
        "day": "2026-11-25",
        "starts_at": "10:30",
        "advisor": user.pk,
        "requested_work": "常规保养",
        "source": Source.PHONE,
    } | fields


@time_machine.travel(NOW, tick=False)
def test_the_booking_page_shows_the_days_slots_with_their_places_and_books(desk):
    client, user, car = desk
    book(day=TOMORROW, at="10:30")
    url = f"{reverse('appointments:book')}?vehicle={car.pk}&target=recommendation"

    page = client.get(url)
    response = client.post(url, _form(car, user))

    body = html(page)
    assert page.status_code == 200
    assert "剩 5/6" in body and "剩 6/6" in body
    assert "更换刹车片" in body
    assert page.context["form"].initial["source"] == Source.TARGET_RECOMMENDATION
    appointment = Appointment.objects.get(vehicle=car)
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:detail", args=[appointment.pk])
    assert (appointment.advisor, appointment.created_by) == (user, user)


@time_machine.travel(NOW, tick=False)
def test_a_full_slot_is_refused_on_the_page_and_an_offered_slot_books_with_one_tap(desk):
    client, user, car = desk
    set_rules(appointment_slot_capacity=1)
    book(day=TOMORROW, at="10:30")
    url = f"{reverse('appointments:book')}?vehicle={car.pk}"

    refused = client.post(url, _form(car, user))
    offers = [slot.value for slot in refused.context["offers"]]
    taken = client.post(url, _form(car, user, offer="2026-11-25 11:30"))

    body = html(refused)
    assert refused.status_code == 422
    assert "11月25日 10:30 时段已约满(1/1 台)。" in body
    assert offers == ["08:30", "09:30", "11:30"]  # 2 h, 1 h, 1 h away: nearest, in time order
    assert 'name="offer" value="2026-11-25 11:30"' in body
    assert taken.status_code == 302
    booked = Appointment.objects.get(vehicle=car)
    assert booked.starts_at == dt.datetime(2026, 11, 25, 11, 30, tzinfo=SHANGHAI)


@time_machine.travel(NOW, tick=False)
def test_the_booking_form_explains_bad_input_in_chinese(desk):
    client, user, car = desk
    url = f"{reverse('appointments:book')}?vehicle={car.pk}"

    response = client.post(
        url, _form(car, user, day="", requested_work="", parts_text="NOPE 1\n机油")
    )

    body = html(response)
    assert response.status_code == 422
    assert "请填写预约日期。" in body
    assert "第 1 行:配件目录里没有编号 NOPE。" in body
    assert "第 2 行“机油”应为:配件编号 数量。" in body
    assert not Appointment.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_slots_of_another_day_load_into_the_form(desk):
    client, user, _car = desk

    response = client.get(reverse("appointments:slots"), {"day": "2026-11-24", "advisor": user.pk})

    body = html(response)
    assert 'id="slots"' in body
    assert body.count("已过") == 1  # 08:30 has passed at 09:00
    assert "顾问 2" in body


@time_machine.travel(NOW, tick=False)
def test_booking_without_a_car_searches_for_it(desk):
    client, _user, car = desk

    found = client.get(reverse("appointments:book"), {"q": "粤B12345"})

    assert found.status_code == 302
    assert found["Location"] == f"{reverse('appointments:book')}?vehicle={car.pk}"


@pytest.mark.parametrize("count", [2, 30])
@time_machine.travel(NOW, tick=False)
def test_the_day_board_runs_the_same_queries_for_2_or_30_appointments(
    count, desk, django_assert_num_queries
):
    client, user, _car = desk
    advisors = [user] + [advisor() for _ in range(4)]
    for n in range(count):
        slot = dt.time(8 + n % 9, 30)
        book(day=TOMORROW, at=f"{slot:%H:%M}", advisor_user=advisors[n % 5])

    # The page's own 2: the day's appointments with car, customer and advisor; the advisors.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        response = client.get(reverse("appointments:board"), {"day": "2026-11-25"})

    board = response.context["board"]
    assert board.total == count
    assert [a.pk for a in board.advisors] == sorted(a.pk for a in advisors)
    assert sum(row.held for row in board.rows) == count


@time_machine.travel(NOW, tick=False)
def test_the_board_marks_a_full_slot(desk):
    client, _user, _car = desk
    set_rules(appointment_slot_capacity=2)
    book(day=TOMORROW, at="10:30")
    book(day=TOMORROW, at="10:30")

    body = html(client.get(reverse("appointments:board"), {"day": "2026-11-25"}))

    assert "2/2 已满" in body


@time_machine.travel(NOW, tick=False)
def test_the_confirmation_list_puts_the_appointments_of_the_next_hour_first(
    desk, django_assert_num_queries
):
    client, user, _car = desk
    soon = book(day=NOW.date(), at="09:30", advisor_user=user)
    later = book(day=TOMORROW, at="14:30", advisor_user=user)
    confirmed = book(day=NOW.date(), at="09:30")
    services.appointment_confirm(appointment=confirmed, by=user)

    # The page's own 1: booked appointments of today and tomorrow with car, customer, advisor.
    with django_assert_num_queries(PAGE_QUERIES + 1):
        response = client.get(reverse("appointments:confirmations"))
    confirmed_now = client.post(
        reverse("appointments:confirm", args=[soon.pk]), {"back": "confirmations"}
    )

    sections = {name: rows for _title, rows, name in response.context["sections"]}
    assert (sections["due"], sections["later"]) == ([soon], [later])
    assert confirmed_now["Location"] == reverse("appointments:confirmations")
    soon.refresh_from_db()
    assert soon.status == S.CONFIRMED


@time_machine.travel(NOW, tick=False)
def test_cancelling_without_a_reason_shows_the_form_again_and_changes_nothing(desk):
    client, user, _car = desk
    appointment = book(day=TOMORROW, advisor_user=user)

    refused = client.post(reverse("appointments:cancel", args=[appointment.pk]), {})
    done = client.post(
        reverse("appointments:cancel", args=[appointment.pk]), {"reason_code": "price"}
    )

    assert refused.status_code == 422
    assert "请选择原因。" in html(refused)
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.reason_code) == (S.CANCELLED, "price")


@time_machine.travel(NOW, tick=False)
def test_rebooking_from_the_appointment_page(desk):
    client, user, _car = desk
    appointment = book(day=TOMORROW, advisor_user=user)

    page = client.get(reverse("appointments:detail", args=[appointment.pk]))
    response = client.post(
        reverse("appointments:rebook", args=[appointment.pk]),
        {"day": "2026-11-26", "starts_at": "15:30", "reason_code": "customer_asked"},
    )

    assert page.status_code == 200
    assert 'id="rebook"' in html(page)
    new = Appointment.objects.get(rebooked_from=appointment)
    assert response["Location"] == reverse("appointments:detail", args=[new.pk])
    assert new.starts_at == dt.datetime(2026, 11, 26, 15, 30, tzinfo=SHANGHAI)


def test_arrival_opens_reception_with_the_appointment_and_the_order_gets_its_lines(client):
    with time_machine.travel(NOW, tick=False):
        user = advisor(display_name="周服务")
        car = VehicleFactory(plate="粤B12345", mileage=30_000)
        job = CannedJobFactory(name="30000 公里保养")
        CannedJobLineFactory(canned_job=job)
        appointment = book(
            day=TOMORROW, vehicle=car, advisor_user=user, canned_jobs=[job], work="做保养"
        )
    url = reverse("appointments:receive", args=[appointment.pk])
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 35, tzinfo=SHANGHAI), tick=False):
        client.force_login(user)
        page = client.get(url)
        response = client.post(
            url,
            {
                "kind": "maintenance",
                "mileage": "31200",
                "promised_at": "2026-11-25T15:00",
                "customer_words": "做保养",
            },
        )

    assert page.status_code == 200
    assert page.context["open_form"].initial["customer_words"] == "做保养"
    assert "30000 公里保养" in html(page)
    order = WorkOrder.objects.get(vehicle=car)
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:inspection", args=[order.pk])
    assert order.appointment == appointment
    assert order.lines.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_appointment_page_offers_reception_only_on_its_day(desk):
    client, user, _car = desk
    today = book(day=NOW.date(), at="10:30", advisor_user=user)
    tomorrow = book(day=TOMORROW, advisor_user=user)

    assert 'id="receive-button"' in html(
        client.get(reverse("appointments:detail", args=[today.pk]))
    )
    assert 'id="receive-button"' not in html(
        client.get(reverse("appointments:detail", args=[tomorrow.pk]))
    )


@pytest.mark.parametrize("count", [3, 30])
@time_machine.travel(NOW, tick=False)
def test_the_targets_list_runs_the_same_queries_for_3_or_30_cars(
    count, desk, django_assert_num_queries
):
    client, _user, _car = desk
    for n in range(count):
        car = VehicleFactory(sale_date=dt.date(2024, 5, 18))
        WorkOrderFactory(
            vehicle=car, customer=car.owner, opened_at=local_datetime(dt.date(2026, 5, 1 + n % 28))
        )
    services.targets_refresh(now=NOW)

    # The page's own 2: one page of targets (car and owner joined, each row checked by
    # index probes), and when the lists were computed.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        response = client.get(reverse("appointments:targets"), {"kind": "maintenance"})

    assert len(response.context["page"].rows) == min(count, 25)
    assert "预约</a>" in html(response)


@time_machine.travel(NOW, tick=False)
def test_marking_a_phone_unreachable_from_the_targets_list(desk):
    client, _user, car = desk
    WorkOrderFactory(vehicle=car, customer=car.owner, opened_at=local_datetime(dt.date(2026, 5, 1)))
    services.targets_refresh(now=NOW)

    response = client.post(
        reverse("appointments:unreachable", args=[car.owner_id]),
        {"kind": "maintenance", "reason": "空号"},
    )

    assert response["Location"] == f"{reverse('appointments:targets')}?kind=maintenance"
    assert client.get(reverse("appointments:targets")).context["page"].rows == []


@time_machine.travel(NOW, tick=False)
def test_the_statistics_page_shows_the_rates_of_the_period(desk, django_assert_num_queries):
    client, user, _car = desk
    at = dt.datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    appointment_row(at=at, status=S.ARRIVED, advisor_user=user, arrived_at=at)
    appointment_row(at=at, status=S.NO_SHOW, advisor_user=user)

    # The page's own 2: the period's appointments grouped by day and advisor, their names.
    with django_assert_num_queries(PAGE_QUERIES + 2):
        response = client.get(
            reverse("appointments:stats"), {"first": "2026-11-01", "last": "2026-11-24"}
        )
    wrong = client.get(reverse("appointments:stats"), {"first": "2026-11-24", "last": "2026-11-01"})

    rates = response.context["rates"]
    assert (rates.total.show_rate, rates.total.on_time_rate) == (50, 100)
    assert "周服务" in html(response)
    assert "结束日期不能早于开始日期。" in html(wrong)


@time_machine.travel(NOW, tick=False)
def test_a_year_of_statistics_is_shown_by_month_not_by_day(desk):
    client, user, _car = desk
    for at in (
        dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI),
        dt.datetime(2026, 3, 20, 9, 30, tzinfo=SHANGHAI),
        dt.datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI),
    ):
        appointment_row(at=at, status=S.ARRIVED, advisor_user=user, arrived_at=at)

    year = client.get(reverse("appointments:stats"), {"first": "2025-11-25", "last": "2026-11-24"})
    month = client.get(reverse("appointments:stats"), {"first": "2026-11-01", "last": "2026-11-24"})

    first_table = year.context["tables"][0]
    assert first_table[0] == "按月"
    assert [(rate.label, rate.arrived) for rate in first_table[1]] == [
        ("2026-03", 2),
        ("2026-11", 1),
    ]
    assert month.context["tables"][0][0] == "按日"


@time_machine.travel(NOW, tick=False)
def test_the_customer_card_and_the_vehicle_page_offer_a_booking(desk):
    client, _user, car = desk
    book_url = f"{reverse('appointments:book')}?vehicle={car.pk}&source=card"

    card = html(client.get(reverse("customers:customer_detail", args=[car.owner_id])))
    vehicle = html(client.get(reverse("customers:vehicle_detail", args=[car.pk])))

    assert book_url in card and book_url in vehicle
