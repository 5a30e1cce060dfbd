"""The clerks' call queue (DOMAIN.md §5): one item per customer per day with all their
reasons, the contact limit and do-not-disturb, the calling windows and rest hours, "next
call" (overdue first, then by due date), claim expiry, and ten clerks at once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from apps.callbacks.models import Callback, CallbackSettings, CallItem
from apps.callbacks.selectors import call_queue_state
from apps.callbacks.services import (
    call_next,
    call_queue_build,
    call_release,
    callbacks_generate,
)
from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers.models import Customer
from tests.factories.accounts import UserFactory
from tests.factories.callbacks import completed, delivered_order, new_car_sale
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.pages import PAGE_QUERIES

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 11)  # a Wednesday
NOW = local_datetime(TODAY, 10)


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


def at(hour: int, minute: int = 0, on: dt.date = TODAY) -> dt.datetime:
    return local_datetime(on, hour).replace(minute=minute)


SEVENTH = dt.date(2026, 3, 7)


def customer_with_3dc(delivered_on=SEVENTH, **fields) -> Customer:
    """A customer whose car was delivered on `delivered_on` (its 3DC open by today)."""
    customer = CustomerFactory(**fields)
    delivered_order(delivered_on, vehicle=VehicleFactory(owner=customer))
    return customer


def make_queue(on: dt.date = TODAY) -> dict:
    callbacks_generate(first=on - dt.timedelta(days=10), last=on)
    return call_queue_build(on=on)


def reasons(item: CallItem) -> list[str]:
    return sorted(item.callbacks.values_list("kind", flat=True))


# --- building the day's queue --------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_customer_with_several_reasons_gets_one_item_listing_them_all():
    # Given a customer whose car had a repair delivered on 7 March and who bought a new
    # car delivered on 28 February: a 3DC and a 7DC open today, the 7DC overdue
    customer = customer_with_3dc()
    new_car_sale(day(2, 28), owner=customer)
    other = customer_with_3dc(day(3, 8))

    built = make_queue()

    # Then one item for the customer holds both, due when the first falls due
    assert built["items"] == 2 and built["callbacks"] == 3
    item = CallItem.objects.get(customer=customer)
    assert reasons(item) == ["3dc", "7dc"]
    assert (item.day, item.status, item.due_on) == (TODAY, "waiting", day(3, 10))
    assert reasons(CallItem.objects.get(customer=other)) == ["3dc"]
    # and building again adds nothing
    assert make_queue()["items"] == 2
    assert CallItem.objects.count() == 2
    assert CallItem.callbacks.through.objects.count() == 3


@time_machine.travel(NOW, tick=False)
def test_overdue_callbacks_are_queued_and_those_not_open_yet_or_closed_are_not():
    overdue = customer_with_3dc(day(3, 1))  # due on 6 March
    customer_with_3dc(day(3, 10))  # opens on 13 March
    closed = customer_with_3dc(day(3, 6))
    callbacks_generate(first=day(3, 1), last=TODAY)
    completed(Callback.objects.get(customer=closed), at=at(9))

    call_queue_build(on=TODAY)

    assert list(CallItem.objects.values_list("customer", "due_on")) == [(overdue.pk, day(3, 6))]


@time_machine.travel(NOW, tick=False)
def test_do_not_disturb_customers_and_customers_at_their_weekly_limit_are_left_out():
    calm = customer_with_3dc(do_not_call=True)
    busy = customer_with_3dc()
    for back in (2, 5):  # called twice in the last six days: the default limit
        CallItem.objects.create(
            customer=busy, day=TODAY - dt.timedelta(days=back), due_on=TODAY, status="done"
        )
    once = customer_with_3dc()
    CallItem.objects.create(customer=once, day=day(3, 9), due_on=TODAY, status="done")
    long_ago = customer_with_3dc()
    for back in (7, 8):  # a week ago: outside the rolling week
        CallItem.objects.create(
            customer=long_ago, day=TODAY - dt.timedelta(days=back), due_on=TODAY, status="done"
        )

    built = make_queue()

    today = CallItem.objects.filter(day=TODAY)
    assert set(today.values_list("customer", flat=True)) == {once.pk, long_ago.pk}
    assert (built["do_not_call"], built["contact_limit"]) == (1, 1)
    assert not today.filter(customer__in=[calm, busy]).exists()


@time_machine.travel(NOW, tick=False)
def test_the_contact_limit_is_a_setting():
    rules = current_settings(CallbackSettings)
    rules.contact_limit_per_week = 3
    area_settings_save(rows=[rules], by=None)
    busy = customer_with_3dc()
    for back in (2, 5):
        CallItem.objects.create(
            customer=busy, day=TODAY - dt.timedelta(days=back), due_on=TODAY, status="done"
        )

    make_queue()

    assert CallItem.objects.filter(day=TODAY, customer=busy).exists()


def test_a_weekend_only_customer_is_queued_on_saturday_not_on_a_weekday():
    with time_machine.travel(NOW, tick=False):
        customer = customer_with_3dc(preferred_contact_time=Customer.ContactTime.WEEKEND)
        assert make_queue(TODAY)["weekend_only"] == 1
        saturday = day(3, 14)
        make_queue(saturday)

    assert list(CallItem.objects.values_list("day", flat=True)) == [saturday]
    assert CallItem.objects.get().customer == customer


@time_machine.travel(NOW, tick=False)
def test_level_3_callbacks_are_the_managers_office_not_the_clerks_queue():
    big = delivered_order(day(2, 10), total="25000.00")
    callbacks_generate(first=day(3, 1), last=TODAY)
    assert Callback.objects.filter(kind="level3", work_order=big).exists()

    assert call_queue_build(on=TODAY)["items"] == 0


# --- next call -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_next_call_gives_overdue_items_first_then_by_due_date():
    late = customer_with_3dc(day(3, 3))  # due 8 March: overdue
    later = customer_with_3dc(day(3, 7))  # due 12 March
    soon = customer_with_3dc(day(3, 6))  # due 11 March
    make_queue()
    clerks = UserFactory.create_batch(3)

    taken = [call_next(by=clerk, now=at(10, 5)) for clerk in clerks]

    assert [item.customer for item in taken] == [late, soon, later]
    assert [item.claimed_by for item in taken] == clerks
    assert {item.status for item in taken} == {"claimed"}
    assert call_next(by=UserFactory(), now=at(10, 6)) is None


@time_machine.travel(NOW, tick=False)
def test_a_clerk_holding_a_call_gets_the_same_one_until_released():
    first, second = customer_with_3dc(day(3, 6)), customer_with_3dc(day(3, 7))
    make_queue()
    clerk = UserFactory()

    held = call_next(by=clerk, now=at(10, 5))
    again = call_next(by=clerk, now=at(10, 10))
    call_release(item=held, by=clerk)
    after_release = call_next(by=clerk, now=at(10, 11))

    assert held == again and held.customer == first
    assert after_release.customer == first  # back in the queue, still the most urgent
    assert CallItem.objects.get(customer=second).status == "waiting"


@time_machine.travel(NOW, tick=False)
def test_a_claim_untouched_for_15_minutes_goes_to_the_next_clerk():
    customer_with_3dc()
    make_queue()
    slow, quick = UserFactory(), UserFactory()
    item = call_next(by=slow, now=at(10, 0))

    assert call_next(by=quick, now=at(10, 14)) is None  # still held
    taken = call_next(by=quick, now=at(10, 16))

    assert taken == item
    assert (taken.claimed_by, taken.claimed_at) == (quick, at(10, 16))
    # and the slow clerk no longer holds it: giving it back is refused
    with pytest.raises(Exception, match="不在您名下"):
        call_release(item=taken, by=slow)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("preferred", "callable_at", "not_at"),
    [
        (
            "",
            [at(10, 0), at(11, 59), at(15, 0), at(17, 59)],
            [at(9, 59), at(12, 0), at(14, 59), at(18, 0)],
        ),
        ("morning", [at(10, 30)], [at(15, 30)]),
        ("afternoon", [at(15, 30)], [at(10, 30)]),
        ("evening", [at(18, 30), at(19, 59)], [at(10, 30), at(15, 30), at(20, 0)]),
    ],
)
def test_customers_are_called_only_in_their_windows_never_in_rest_hours(
    preferred, callable_at, not_at
):
    customer_with_3dc(preferred_contact_time=preferred)
    make_queue()
    clerk = UserFactory()

    for moment in not_at:
        assert call_next(by=clerk, now=moment) is None, moment
    for moment in callable_at:
        item = call_next(by=clerk, now=moment)
        assert item is not None, moment
        call_release(item=item, by=clerk)


@time_machine.travel(NOW, tick=False)
def test_outside_the_windows_the_queue_says_when_calling_resumes():
    customer_with_3dc()
    customer_with_3dc(preferred_contact_time=Customer.ContactTime.EVENING)
    make_queue()

    lunch = call_queue_state(now=at(12, 30))
    evening_only = call_queue_state(now=at(18, 10))
    night = call_queue_state(now=at(20, 30))

    assert (lunch.waiting, lunch.callable_now, lunch.resumes_at) == (2, 0, at(15, 0))
    assert (evening_only.callable_now, evening_only.resumes_at) == (1, None)
    assert (night.callable_now, night.resumes_at) == (0, None)
    assert call_queue_state(now=at(8, 0)).resumes_at == at(10, 0)


@time_machine.travel(NOW, tick=False)
def test_the_windows_are_the_settings():
    rules = current_settings(CallbackSettings)
    rules.callback_window1_start = dt.time(9, 0)
    area_settings_save(rows=[rules], by=None)
    customer_with_3dc()
    make_queue()

    assert call_next(by=UserFactory(), now=at(9, 30)) is not None


# --- ten clerks at once --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_clerks_pressing_at_once_never_get_the_same_item():
    # Given 60 customers in today's queue and ten clerks
    with time_machine.travel(NOW, tick=False):
        for n in range(60):
            customer_with_3dc(day(3, 6 + n % 3))
        make_queue()
        clerks = UserFactory.create_batch(10)
    barrier = threading.Barrier(len(clerks))
    taken: dict[int, list[int]] = {clerk.pk: [] for clerk in clerks}

    def press(clerk):
        # Each clerk presses, takes the call, and presses again until nothing is left.
        try:
            barrier.wait()
            while (item := call_next(by=clerk, now=at(10, 30))) is not None:
                taken[clerk.pk].append(item.pk)
                CallItem.objects.filter(pk=item.pk).update(status=CallItem.Status.DONE)
        finally:
            connection.close()

    with time_machine.travel(at(10, 30), tick=True):
        threads = [threading.Thread(target=press, args=(clerk,)) for clerk in clerks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    # Then every item was given to exactly one clerk, and all were given
    given = [pk for items in taken.values() for pk in items]
    assert len(given) == len(set(given)) == 60
    assert sum(1 for items in taken.values() if items) > 1  # the clerks really overlapped
    assert set(CallItem.objects.values_list("status", flat=True)) == {"done"}


# --- the clerk's page ----------------------------------------------------------------------


@time_machine.travel(NOW.replace(minute=30), tick=False)
def test_the_clerk_presses_next_call_and_sees_the_customers_reasons(role_client, settings_row):
    customer = customer_with_3dc(name="王建国", mobile="13912345678")
    new_car_sale(day(3, 2), owner=customer)
    make_queue()
    client = role_client("callback")

    response = client.post(reverse("callbacks:queue_next"))
    page = client.get(response.url).content.decode()

    item = CallItem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("callbacks:call_screen", args=[item.pk])
    assert "王建国" in page and "139****5678" in page and "13912345678" not in page
    assert "3DC 维修回访" in page and "7DC 新车回访" in page
    assert "放回队列" in page
    assert (item.status, item.claimed_by.groups.get().name) == ("claimed", "callback")


@time_machine.travel(at(12, 30), tick=False)
def test_in_rest_hours_the_page_says_when_calling_resumes(role_client, settings_row):
    customer_with_3dc()
    make_queue()
    client = role_client("callback")

    response = client.post(reverse("callbacks:queue_next"), follow=True)

    assert "现在不在客户可接听的时段,15:00 恢复回访。" in response.content.decode()
    assert CallItem.objects.get().status == "waiting"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("callbacks", [1, 6])
def test_the_page_takes_the_same_queries_for_few_and_many_reasons(
    callbacks, role_client, django_assert_num_queries, settings_row
):
    customer = CustomerFactory()
    vehicle = VehicleFactory(owner=customer)
    for _ in range(callbacks):
        delivered_order(day(3, 7), vehicle=vehicle)
    make_queue()
    client = role_client("callback")
    client.post(reverse("callbacks:queue_next"))

    # every page's (session, user, permissions, roles in the header); the queue's figures;
    # the item held, the item with its customer, its callbacks, the declined repairs
    with django_assert_num_queries(PAGE_QUERIES + 5):
        response = client.get(reverse("callbacks:queue"))

    assert response.content.decode().count("3DC 维修回访") == callbacks
