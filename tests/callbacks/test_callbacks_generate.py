"""The callback generator (DOMAIN.md §5): each kind opens and falls due on the right day,
once per event, whatever the number of runs."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.callbacks.models import Callback, CallbackSettings
from apps.callbacks.services import callback_schedule_second, callbacks_generate, sampled
from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers.models import Customer
from apps.workorders.models import WorkOrder
from tests.factories.callbacks import completed, delivered_order, new_car_sale
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db
Kind = Callback.Kind
NOW = local_datetime(dt.date(2026, 3, 20), 9)


def day(month: int, number: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, number)


def windows(kind=None) -> list[tuple]:
    rows = Callback.objects.order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "event_on", "opens_on", "due_on"))


def generate_each_day(first: dt.date, last: dt.date) -> dict[dt.date, dict[str, int]]:
    """The daily job, day by day: what each day made (kinds with none left out)."""
    made = {}
    on = first
    while on <= last:
        made[on] = {kind: n for kind, n in callbacks_generate(first=on).items() if n}
        on += dt.timedelta(days=1)
    return made


# --- 3DC -----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_3dc_opens_on_day_3_after_delivery_and_is_due_on_day_5():
    # Given a work order delivered on 2 March (a Monday) at 15:00
    order = delivered_order(day(3, 2))

    # When the generator runs every day from 2 to 10 March
    made = generate_each_day(day(3, 2), day(3, 10))

    # Then the 3DC was made on 5 March, the day it opens, and never again
    assert {on: kinds for on, kinds in made.items() if kinds} == {day(3, 5): {"3dc": 1}}
    callback = Callback.objects.get()
    assert (callback.kind, callback.work_order, callback.status) == ("3dc", order, "open")
    assert (callback.customer, callback.vehicle) == (order.customer, order.vehicle)
    assert (callback.event_on, callback.opens_on, callback.due_on) == (
        day(3, 2),
        day(3, 5),
        day(3, 7),
    )


@time_machine.travel(NOW, tick=False)
def test_a_day_missed_is_made_up_by_any_later_day_of_the_window():
    # Given a work order delivered on 2 March, and no generator run on 5 and 6 March
    delivered_order(day(3, 2))

    # When the generator runs for 7 March (its due day) only
    made = callbacks_generate(first=day(3, 7))

    # Then the 3DC exists, due today; a day after the window it would not be made
    assert made["3dc"] == 1
    assert windows() == [("3dc", day(3, 2), day(3, 5), day(3, 7))]


@time_machine.travel(NOW, tick=False)
def test_the_delivery_day_is_the_local_day_even_late_at_night():
    # Given an order delivered at 23:30 on 2 March in Shanghai (15:30 UTC)
    delivered_order(day(3, 2), hour=23)

    callbacks_generate(first=day(3, 5))

    assert windows() == [("3dc", day(3, 2), day(3, 5), day(3, 7))]


@time_machine.travel(NOW, tick=False)
def test_orders_not_delivered_and_internal_orders_get_no_3dc():
    vehicle = VehicleFactory()
    delivered_order(day(3, 2), vehicle=vehicle, kind=WorkOrder.Kind.INTERNAL)
    WorkOrderFactory(vehicle=vehicle, customer=vehicle.owner, status="in_progress")

    assert callbacks_generate(first=day(3, 5))["3dc"] == 0
    assert Callback.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_the_windows_follow_the_settings_in_force():
    # Given the dealership calls 2 to 4 days after delivery
    rules = current_settings(CallbackSettings)
    rules.callback_3dc_open_day, rules.callback_3dc_due_day = 2, 4
    area_settings_save(rows=[rules], by=None)
    delivered_order(day(3, 2))

    made = generate_each_day(day(3, 2), day(3, 10))

    assert {on for on, kinds in made.items() if kinds} == {day(3, 4)}
    assert windows() == [("3dc", day(3, 2), day(3, 4), day(3, 6))]


# --- 7DC, monthly, annual ------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_7dc_opens_on_day_7_after_delivery_and_is_due_on_day_10():
    sale = new_car_sale(day(3, 1))

    made = generate_each_day(day(3, 1), day(3, 15))

    assert {on: kinds for on, kinds in made.items() if kinds} == {day(3, 8): {"7dc": 1}}
    callback = Callback.objects.get()
    assert (callback.sales_file, callback.vehicle, callback.customer) == (
        sale,
        sale.vehicle,
        sale.vehicle.owner,
    )
    assert windows() == [("7dc", day(3, 1), day(3, 8), day(3, 11))]


@time_machine.travel(NOW, tick=False)
def test_a_secondary_outlet_sale_counts_from_its_invoice_day_10_to_13():
    # Given a car sold through a secondary outlet: invoiced 1 March, delivered 4 March
    new_car_sale(
        day(3, 4), invoiced_on=day(3, 1), via_secondary_outlet=True, outlet_name="东莞二网"
    )

    made = generate_each_day(day(3, 1), day(3, 18))

    assert {on for on, kinds in made.items() if kinds} == {day(3, 11)}
    assert windows() == [("7dc", day(3, 1), day(3, 11), day(3, 14))]


@time_machine.travel(NOW, tick=False)
def test_an_outlet_sale_without_its_invoice_date_counts_from_delivery():
    new_car_sale(day(3, 4), via_secondary_outlet=True, outlet_name="东莞二网")

    callbacks_generate(first=day(3, 1), last=day(3, 18))

    assert windows() == [("7dc", day(3, 4), day(3, 11), day(3, 14))]


@time_machine.travel(NOW, tick=False)
def test_a_sales_file_entered_late_still_gets_its_7dc_within_the_window():
    # Given the generator ran on 8 March, before the sale of 1 March was entered
    callbacks_generate(first=day(3, 8))
    new_car_sale(day(3, 1))

    # When it runs on 9 March
    made = callbacks_generate(first=day(3, 9))

    # Then the 7DC is made, with its window counted from the delivery
    assert made["7dc"] == 1
    assert windows() == [("7dc", day(3, 1), day(3, 8), day(3, 11))]


@time_machine.travel(NOW, tick=False)
def test_monthly_and_annual_callbacks_one_month_and_one_year_after_delivery():
    # Given a car delivered on 31 January (a month later: 28 February) and one a year ago
    january = new_car_sale(day(1, 31))
    last_year = new_car_sale(day(3, 10, 2025))

    made = generate_each_day(day(2, 1), day(3, 19))

    # Then the monthly callback opens on 28 February, the annual one on 10 March, each
    # open a week (the settings' 7 days) and made once
    assert {on: kinds for on, kinds in made.items() if kinds} == {
        day(2, 7): {"7dc": 1},  # the January car's 7DC
        day(2, 28): {"monthly": 1},
        day(3, 10): {"annual": 1},
    }
    monthly = Callback.objects.get(kind=Kind.MONTHLY)
    annual = Callback.objects.get(kind=Kind.ANNUAL)
    assert (monthly.sales_file, monthly.event_on, monthly.opens_on, monthly.due_on) == (
        january,
        day(1, 31),
        day(2, 28),
        day(3, 7),
    )
    assert (annual.sales_file, annual.event_on, annual.opens_on, annual.due_on) == (
        last_year,
        day(3, 10, 2025),
        day(3, 10),
        day(3, 17),
    )


# --- level 2 -------------------------------------------------------------------------------


def completed_3dcs(count: int, *, closed_on: dt.date, owner=None) -> list[Callback]:
    """`count` 3DCs of orders delivered 5 days before `closed_on`, completed that day."""
    delivered_on = closed_on - dt.timedelta(days=5)
    vehicle = VehicleFactory(owner=owner) if owner else VehicleFactory()
    for _ in range(count):
        delivered_order(delivered_on, vehicle=vehicle)
    callbacks_generate(first=closed_on - dt.timedelta(days=1))
    callbacks = list(Callback.objects.filter(kind=Kind.SERVICE_3DC, closed_at__isnull=True))
    return [completed(c, at=local_datetime(closed_on, 11)) for c in callbacks]


@time_machine.travel(NOW, tick=False)
def test_level_2_samples_last_months_completed_callbacks_and_every_club_members():
    # Given 300 3DCs completed in February, 5 of them a club member's
    member = CustomerFactory(club_member_number="C-0001", club_joined_on=day(1, 1, 2025))
    february = completed_3dcs(295, closed_on=day(2, 10)) + completed_3dcs(
        5, closed_on=day(2, 20), owner=member
    )
    # and callbacks that are not last month's completed ones: January's, March's, and an
    # unreachable one of February
    january = completed_3dcs(20, closed_on=day(1, 20))
    march = completed_3dcs(20, closed_on=day(3, 10))
    unreachable = completed_3dcs(1, closed_on=day(2, 11))[0]
    completed(unreachable, at=local_datetime(day(2, 11)), status=Callback.Status.UNREACHABLE)

    # When the generator runs on 1 March
    made = callbacks_generate(first=day(3, 1))

    # Then level 2 takes a 10 % sample of February's completed callbacks (a stable draw
    # per callback) and every one of the club member's
    expected = {
        c.pk for c in february if c.customer == member or sampled(Kind.LEVEL2, c.pk, Decimal("10"))
    }
    level2 = Callback.objects.filter(kind=Kind.LEVEL2)
    assert set(level2.values_list("parent_id", flat=True)) == expected
    assert made["level2"] == len(expected)
    assert 5 + 10 <= len(expected) <= 5 + 55  # 10 % of 295 is 29.5; a draw, not a count
    assert {c.pk for c in february if c.customer == member} <= expected
    assert not expected & {c.pk for c in january + march + [unreachable]}
    # worked in the first week of March, about the parent's visit
    first = level2.select_related("parent").first()
    assert (first.opens_on, first.due_on) == (day(3, 1), day(3, 7))
    assert (first.work_order_id, first.customer_id, first.vehicle_id) == (
        first.parent.work_order_id,
        first.parent.customer_id,
        first.parent.vehicle_id,
    )
    assert first.event_on == timezone.localdate(first.parent.closed_at)
    # and the rest of the week, or a second run, samples nothing more
    again = generate_each_day(day(3, 1), day(3, 10))
    assert not any("level2" in kinds for kinds in again.values())
    assert level2.count() == len(expected)


def test_the_sample_is_a_stable_draw_of_the_percentage():
    draws = [sampled(Kind.LEVEL2, key, Decimal("10")) for key in range(1, 20001)]

    assert draws == [sampled(Kind.LEVEL2, key, Decimal("10")) for key in range(1, 20001)]
    assert 0.095 < sum(draws) / len(draws) < 0.105
    assert not any(sampled(Kind.LEVEL2, key, Decimal("0")) for key in range(1, 1001))
    assert all(sampled(Kind.LEVEL2, key, Decimal("100")) for key in range(1, 1001))


# --- level 3 -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_level_3_lists_last_months_big_accident_and_vip_repairs_on_the_first():
    # Given February's deliveries: a 20,000-yuan repair, an accident, a VIP's maintenance,
    # an ordinary one, and a big one of March
    vip = VehicleFactory(owner=CustomerFactory(segment=Customer.Segment.VIP))
    big = delivered_order(day(2, 3), total="20000.00", kind=WorkOrder.Kind.REPAIR)
    accident = delivered_order(day(2, 27), total="3500.00", kind=WorkOrder.Kind.ACCIDENT)
    of_vip = delivered_order(day(2, 14), vehicle=vip)
    delivered_order(day(2, 10), total="19999.99")
    delivered_order(day(3, 2), total="30000.00")

    made = generate_each_day(day(3, 1), day(3, 20))

    level3 = Callback.objects.filter(kind=Kind.LEVEL3)
    assert set(level3.values_list("work_order_id", flat=True)) == {big.pk, accident.pk, of_vip.pk}
    assert made[day(3, 1)]["level3"] == 3
    assert set(level3.values_list("opens_on", "due_on")) == {(day(3, 1), day(3, 15))}
    assert {c.event_on for c in level3} == {day(2, 3), day(2, 27), day(2, 14)}


@time_machine.travel(NOW, tick=False)
def test_level_3_samples_new_car_customers_a_quarter_after_delivery_club_members_all():
    # Given 60 cars delivered on 5 December, two of them to club members
    members = [
        CustomerFactory(club_member_number=f"C-{n}", club_joined_on=day(1, 1, 2025))
        for n in range(2)
    ]
    sales = [new_car_sale(day(12, 5, 2025)) for _ in range(58)]
    sales += [new_car_sale(day(12, 5, 2025), owner=member) for member in members]

    made = generate_each_day(day(3, 1), day(3, 19))

    # Then on 5 March the manager's office gets a 10 % sample, and every club member
    expected = {
        s.pk
        for s in sales
        if s.vehicle.owner in members or sampled(Kind.LEVEL3, s.pk, Decimal("10"))
    }
    level3 = Callback.objects.filter(kind=Kind.LEVEL3)
    assert set(level3.values_list("sales_file_id", flat=True)) == expected
    assert {on for on, kinds in made.items() if "level3" in kinds} == {day(3, 5)}
    assert set(level3.values_list("event_on", "opens_on", "due_on")) == {
        (day(12, 5, 2025), day(3, 5), day(3, 19))
    }


# --- second callbacks ----------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_second_callback_opens_the_day_after_resolution_and_is_due_within_3_days():
    delivered_order(day(3, 2))
    callbacks_generate(first=day(3, 5))
    problem = completed(Callback.objects.get(), at=local_datetime(day(3, 5)))

    second = callback_schedule_second(parent=problem, resolved_on=day(3, 10))
    again = callback_schedule_second(parent=problem, resolved_on=day(3, 11))

    assert again == second
    assert (second.kind, second.parent, second.work_order_id, second.customer_id) == (
        "second",
        problem,
        problem.work_order_id,
        problem.customer_id,
    )
    assert (second.event_on, second.opens_on, second.due_on) == (
        day(3, 10),
        day(3, 11),
        day(3, 13),
    )
    assert Callback.objects.filter(kind=Kind.SECOND).count() == 1


# --- once per event ------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_generating_again_makes_nothing_and_changes_nothing():
    delivered_order(day(3, 2))
    new_car_sale(day(2, 27))
    first = callbacks_generate(first=day(3, 1), last=day(3, 10))
    before = list(Callback.objects.order_by("id").values())

    second = callbacks_generate(first=day(3, 1), last=day(3, 10))

    assert first == {**dict.fromkeys(second, 0), "3dc": 1, "7dc": 1}
    assert set(second.values()) == {0}
    assert list(Callback.objects.order_by("id").values()) == before


@time_machine.travel(NOW, tick=False)
def test_the_database_refuses_a_second_callback_of_one_kind_for_one_event():
    order = delivered_order(day(3, 2))
    callbacks_generate(first=day(3, 5))
    first = Callback.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Callback.objects.create(
            kind=Kind.SERVICE_3DC,
            customer=first.customer,
            vehicle=first.vehicle,
            work_order=order,
            event_on=day(3, 2),
            opens_on=day(3, 6),
            due_on=day(3, 8),
        )
    # another kind of the same order is another event (level 3 of a big repair)
    Callback.objects.create(
        kind=Kind.LEVEL3,
        customer=first.customer,
        vehicle=first.vehicle,
        work_order=order,
        event_on=day(3, 2),
        opens_on=day(4, 1),
        due_on=day(4, 15),
    )
    # and two level-2 checks of one callback are refused as well
    level2 = {
        "kind": Kind.LEVEL2,
        "customer": first.customer,
        "vehicle": first.vehicle,
        "parent": first,
        "event_on": day(3, 5),
        "opens_on": day(4, 1),
        "due_on": day(4, 7),
    }
    Callback.objects.create(**level2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Callback.objects.create(**level2)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"kind": "3dc"}, "callback_3dc_has_work_order"),
        ({"kind": "7dc"}, "callback_sale_kinds_have_sales_file"),
        ({"kind": "level2"}, "callback_level2_has_parent"),
        ({"kind": "level3"}, "callback_level3_has_one_source"),
        ({"kind": "second", "due_on": dt.date(2026, 3, 1)}, "callback_opens_before_due"),
    ],
)
def test_a_callback_without_its_source_or_with_a_window_backwards_is_refused(fields, constraint):
    vehicle = VehicleFactory()
    row = {
        "customer": vehicle.owner,
        "vehicle": vehicle,
        "event_on": day(3, 1),
        "opens_on": day(3, 2),
        "due_on": day(3, 4),
        **fields,
    }

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Callback.objects.create(**row)


@time_machine.travel(NOW, tick=False)
def test_a_days_generation_takes_the_same_queries_for_few_and_many_events(
    django_assert_num_queries, settings_row
):
    # Given 3 deliveries on 16 March and 40 on 17 March, and sales of 15 and 16 March
    for _ in range(3):
        delivered_order(day(3, 16))
    for _ in range(40):
        delivered_order(day(3, 17))
    new_car_sale(day(3, 15))
    for _ in range(10):
        new_car_sale(day(3, 16))

    # When 19 and 20 March are generated, the queries are the same: one read per kind
    # (3DC, 7DC, monthly, annual, level 3's new cars; level 2 and level 3's repairs read
    # only in their windows at the start of a month) and one INSERT for all
    with django_assert_num_queries(6):
        made_19 = callbacks_generate(first=day(3, 19))
    with django_assert_num_queries(6):
        made_20 = callbacks_generate(first=day(3, 20))

    assert (made_19["3dc"], made_20["3dc"]) == (3, 40)
    # (the 7DC of 15 and 16 March open on 22 and 23 March)
    assert (made_19["7dc"], made_20["7dc"]) == (0, 0)
