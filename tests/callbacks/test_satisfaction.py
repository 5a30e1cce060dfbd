"""Satisfaction (满意度, DOMAIN.md §5): the share of a department's scored answers that are
4 or 5, one decimal rounded half up, by the local day of the call; the monthly trend; the
满意度统计 page (managers and the customer-service supervisor) with its period form."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse

from apps.callbacks.models import CallAnswer, Callback, SatisfactionDay
from apps.callbacks.satisfaction import (
    percent,
    satisfaction,
    satisfaction_add,
    satisfaction_rebuild,
    satisfaction_trend,
)
from apps.callbacks.services import call_next, call_queue_build, call_record, callbacks_generate
from apps.workorders.models import WorkOrder
from tests.factories.accounts import UserFactory
from tests.factories.callbacks import ALL_FIVES, answered, delivered_order, new_car_sale
from tests.factories.clock import SHANGHAI, local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.pages import html

pytestmark = pytest.mark.django_db
MARCH_10 = local_datetime(dt.date(2026, 3, 10), 11)


def a_3dc(delivered_on: dt.date = dt.date(2026, 3, 1)) -> Callback:
    order = delivered_order(delivered_on)
    return Callback.objects.create(
        kind=Callback.Kind.SERVICE_3DC,
        customer=order.customer,
        vehicle=order.vehicle,
        work_order=order,
        event_on=delivered_on,
        opens_on=delivered_on + dt.timedelta(days=3),
        due_on=delivered_on + dt.timedelta(days=5),
    )


def a_7dc(delivered_on: dt.date = dt.date(2026, 3, 1)) -> Callback:
    sale = new_car_sale(delivered_on)
    return Callback.objects.create(
        kind=Callback.Kind.SALES_7DC,
        customer=sale.vehicle.owner,
        vehicle=sale.vehicle,
        sales_file=sale,
        event_on=delivered_on,
        opens_on=delivered_on + dt.timedelta(days=7),
        due_on=delivered_on + dt.timedelta(days=10),
    )


def by_department(rows) -> dict[str, tuple[int, int, Decimal | None]]:
    return {row.department: (row.answers, row.satisfied, row.rate) for row in rows}


# --- the figure --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "rate"),
    [
        (5, 7, Decimal("71.4")),  # 71.428…
        (2, 3, Decimal("66.7")),  # 66.666…
        (1, 16, Decimal("6.3")),  # 6.25: half up (half even would say 6.2)
        (3, 16, Decimal("18.8")),  # 18.75
        (1, 8, Decimal("12.5")),
        (0, 4, Decimal("0.0")),
        (4, 4, Decimal("100.0")),
        (0, 0, None),  # no answer: no rate, not 0
    ],
)
def test_the_rate_is_a_percentage_with_one_decimal_rounded_half_up(part, whole, rate):
    assert percent(part, whole) == rate


def test_satisfaction_by_department_on_a_hand_computed_example(django_assert_num_queries):
    # Given seven 3DC calls in March whose overall scores are 5 5 4 4 4 3 1 (five of them
    # 4 or 5), two of which were also asked about the repair's speed (4 and 2)
    overall = [5, 5, 4, 4, 4, 3, 1]
    for serial, score in enumerate(overall):
        scores = {"overall": score}
        if serial < 2:
            scores["speed_work"] = (4, 2)[serial]
        answered(a_3dc(), at=MARCH_10 + dt.timedelta(days=serial), scores=scores)

    with django_assert_num_queries(1):
        rows = satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    # Then 总体 is 5/7 = 71.4%, 车间 1/2 = 50.0%, the others have no answers (no rate)
    figures = by_department(rows)
    assert figures["overall"] == (7, 5, Decimal("71.4"))
    assert figures["workshop"] == (2, 1, Decimal("50.0"))
    assert figures["front_desk"] == (0, 0, None)
    # One row per department, in the questionnaire's order, with its Chinese name
    assert [row.label for row in rows] == [
        "前台",
        "车间",
        "收银",
        "配件",
        "钣喷",
        "洗车",
        "销售",
        "总体",
    ]


def test_the_query_count_does_not_grow_with_the_answers(django_assert_num_queries):
    answered(a_3dc(), at=MARCH_10, scores={"overall": 5})
    with django_assert_num_queries(1):
        satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    for serial in range(6):
        answered(
            a_3dc(),
            at=MARCH_10 + dt.timedelta(hours=serial),
            scores={"overall": 4, "price": 3, "visit": 5},
        )
    answered(a_7dc(), at=MARCH_10, scores={"delivery": 5, "overall": 5})

    with django_assert_num_queries(1):
        rows = satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    with django_assert_num_queries(1):
        satisfaction_trend(months=12, until=dt.date(2026, 3, 31))

    assert by_department(rows)["overall"] == (8, 8, Decimal("100.0"))
    assert by_department(rows)["parts"] == (6, 0, Decimal("0.0"))
    assert by_department(rows)["sales"] == (1, 1, Decimal("100.0"))


@time_machine.travel(local_datetime(dt.date(2026, 3, 11), 10), tick=False)
def test_questions_not_asked_and_answers_without_a_score_count_nowhere():
    # Given two customers reached on one call each: a plain service (not asked about the
    # paint) and an accident repair (asked about it, scored 2)
    plain, accident = CustomerFactory(), CustomerFactory()
    delivered_order(dt.date(2026, 3, 7), vehicle=VehicleFactory(owner=plain))
    delivered_order(
        dt.date(2026, 3, 7), vehicle=VehicleFactory(owner=accident), kind=WorkOrder.Kind.ACCIDENT
    )
    callbacks_generate(first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 11))
    call_queue_build(on=dt.date(2026, 3, 11))
    clerk = UserFactory()
    fives = dict(ALL_FIVES)
    for _customer in range(2):
        item = call_next(by=clerk)
        callback = item.callbacks.get()
        answers = {**fives, "quoted": True, "explained": False, "words": "还行"}
        if callback.customer_id == accident.pk:
            answers["quality_paint"] = 2
        call_record(item=item, by=clerk, outcome="reached", answers={callback.pk: answers})

    figures = by_department(satisfaction(dt.date(2026, 3, 11), dt.date(2026, 3, 11)))

    # Then 钣喷 counts only the accident repair's answer; 前台's yes/no answers count nowhere
    assert figures["body_paint"] == (1, 0, Decimal("0.0"))
    assert figures["front_desk"] == (6, 6, Decimal("100.0"))  # 3 scored questions × 2 calls
    assert figures["overall"] == (2, 2, Decimal("100.0"))


def test_the_period_runs_from_midnight_to_midnight_in_shanghai():
    # A call at 23:59 on 31 March (Shanghai) is March's; one at 00:00 on 1 April is April's,
    # though in UTC both are 31 March.
    late = dt.datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI)
    midnight = dt.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI)
    answered(a_3dc(), at=late, scores={"overall": 5})
    answered(a_3dc(), at=midnight, scores={"overall": 2})
    answered(
        a_3dc(), at=dt.datetime(2026, 4, 30, 23, 59, 59, tzinfo=SHANGHAI), scores={"overall": 4}
    )
    answered(a_3dc(), at=dt.datetime(2026, 5, 1, 0, 0, tzinfo=SHANGHAI), scores={"overall": 1})
    assert midnight.astimezone(dt.UTC).date() == dt.date(2026, 3, 31)

    march = by_department(satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    april = by_department(satisfaction(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
    first_of_april = by_department(satisfaction(dt.date(2026, 4, 1), dt.date(2026, 4, 1)))

    assert march["overall"] == (1, 1, Decimal("100.0"))
    assert april["overall"] == (2, 1, Decimal("50.0"))
    assert first_of_april["overall"] == (1, 0, Decimal("0.0"))


def test_one_kind_of_callback_and_open_callbacks_count_nowhere():
    answered(a_3dc(), at=MARCH_10, scores={"overall": 2})
    answered(a_7dc(), at=MARCH_10, scores={"salesperson": 5, "overall": 5})
    a_3dc()  # still open: no answers yet

    service = by_department(satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31), kind="3dc"))
    sales = by_department(
        satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31), kind=[Callback.Kind.SALES_7DC])
    )
    both = by_department(satisfaction(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))

    assert (service["overall"], service["sales"]) == ((1, 0, Decimal("0.0")), (0, 0, None))
    assert (sales["overall"], sales["sales"]) == (
        (1, 1, Decimal("100.0")),
        (1, 1, Decimal("100.0")),
    )
    assert both["overall"] == (2, 1, Decimal("50.0"))


def test_the_monthly_trend_has_every_month_and_department_in_one_query(django_assert_num_queries):
    answered(a_3dc(), at=local_datetime(dt.date(2026, 1, 31), 23), scores={"overall": 5})
    answered(a_3dc(), at=local_datetime(dt.date(2026, 3, 1), 0), scores={"overall": 3})
    answered(a_3dc(), at=local_datetime(dt.date(2026, 3, 20), 9), scores={"overall": 4})
    answered(a_3dc(), at=local_datetime(dt.date(2025, 12, 31), 23), scores={"overall": 1})

    with django_assert_num_queries(1):
        trend = satisfaction_trend(months=3, until=dt.date(2026, 3, 15))

    assert trend.months == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    rows = {department: months for department, _label, months in trend.rows}
    assert [(m.answers, m.satisfied, m.rate) for m in rows["overall"]] == [
        (1, 1, Decimal("100.0")),
        (0, 0, None),
        (2, 1, Decimal("50.0")),
    ]
    assert [m.rate for m in rows["workshop"]] == [None, None, None]
    assert [label for _department, label, _months in trend.rows][-1] == "总体"


# --- the page ----------------------------------------------------------------------------------

PAGE = reverse("callbacks:satisfaction")


@time_machine.travel(local_datetime(dt.date(2026, 3, 20), 10), tick=False)
def test_the_manager_sees_this_months_table_and_the_trend(role_client, settings_row):
    for score in (5, 5, 4, 4, 4, 3, 1):
        answered(a_3dc(), at=MARCH_10, scores={"overall": score})
    answered(a_3dc(), at=local_datetime(dt.date(2026, 2, 10), 10), scores={"overall": 2})

    response = role_client("manager").get(PAGE)

    assert response.status_code == 200
    body = html(response)
    assert "满意度统计" in body and "2026-03-01 至 2026-03-20" in body
    table = body.split('id="satisfaction-table"')[1].split("</table>")[0]
    assert '<tr data-department="overall"><td>总体</td><td class="text-end">7</td>' in table
    assert "71.4%" in table
    trend = body.split('id="satisfaction-trend"')[1].split("</table>")[0]
    assert "26-02" in trend and "26-03" in trend and "0.0" in trend


@time_machine.travel(local_datetime(dt.date(2026, 3, 20), 10), tick=False)
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"period": "last_month"}, "2026-02-01 至 2026-02-28"),
        ({"period": "pick_month", "month": "2025-12"}, "2025-12-01 至 2025-12-31"),
        ({"period": "pick_year", "year": "2025"}, "2025-01-01 至 2025-12-31"),
        (
            {"period": "custom", "start": "2026-03-01", "end": "2026-03-10"},
            "2026-03-01 至 2026-03-10",
        ),
    ],
)
def test_the_period_is_this_month_last_month_a_month_a_year_or_two_dates(
    role_client, settings_row, query, shown
):
    response = role_client("complaint").get(PAGE, query)

    assert response.status_code == 200
    assert shown in html(response)


@time_machine.travel(local_datetime(dt.date(2026, 3, 20), 10), tick=False)
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"period": "pick_month", "month": ""}, "请选择月份(格式:2026-03)。"),
        ({"period": "pick_month", "month": "2026-13"}, "请选择月份(格式:2026-03)。"),
        ({"period": "pick_year"}, "请填写年份。"),
        ({"period": "pick_year", "year": "1990"}, "年份不能小于 2000。"),
        ({"period": "custom", "start": "2026-03-10"}, "自定义期间请填写开始日期和结束日期。"),
        (
            {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
            "开始日期不能晚于结束日期。",
        ),
    ],
)
def test_a_wrong_period_is_explained_in_chinese_and_this_month_shown(
    role_client, settings_row, query, error
):
    response = role_client("manager").get(PAGE, query)

    body = html(response)
    assert response.status_code == 200
    assert error in body
    assert "2026-03-01 至 2026-03-20" in body  # the default period
    assert "This field" not in body and "Enter a" not in body


def test_an_advisor_may_not_open_it(role_client, settings_row):
    assert role_client("advisor").get(PAGE).status_code == 403
    assert role_client("callback").get(PAGE).status_code == 403


@time_machine.travel(local_datetime(dt.date(2026, 3, 20), 10), tick=False)
def test_the_page_runs_the_same_queries_with_few_or_many_answers(
    role_client, settings_row, django_assert_num_queries
):
    from tests.pages import PAGE_QUERIES

    client = role_client("manager")
    answered(a_3dc(), at=MARCH_10, scores={"overall": 5})
    with django_assert_num_queries(PAGE_QUERIES + 2):  # the period's figures, the trend
        client.get(PAGE)
    for serial in range(5):
        answered(
            a_3dc(),
            at=local_datetime(dt.date(2025, 6 + serial, 3), 10),
            scores={"overall": 4, "visit": 2},
        )
    with django_assert_num_queries(PAGE_QUERIES + 2):
        client.get(PAGE)


@time_machine.travel(local_datetime(dt.date(2026, 3, 11), 10), tick=False)
def test_the_daily_sums_rebuilt_from_the_answers_equal_those_the_calls_kept():
    for _customer in range(3):
        delivered_order(dt.date(2026, 3, 7), vehicle=VehicleFactory(owner=CustomerFactory()))
    callbacks_generate(first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 11))
    call_queue_build(on=dt.date(2026, 3, 11))
    clerk = UserFactory()
    for score in (5, 3, 4):
        item = call_next(by=clerk)
        answers = {**ALL_FIVES, "quality_repair": score}
        call_record(
            item=item, by=clerk, outcome="reached", answers={item.callbacks.get().pk: answers}
        )
    kept = sorted(
        SatisfactionDay.objects.values_list("day", "kind", "department", "answers", "satisfied")
    )

    written = satisfaction_rebuild()

    rebuilt = sorted(
        SatisfactionDay.objects.values_list("day", "kind", "department", "answers", "satisfied")
    )
    assert rebuilt == kept and written == len(kept)
    assert ("workshop", 6, 5) in [(d, n, s) for _day, _kind, d, n, s in kept]  # 3 calls × 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_recording_at_once_both_count():
    callback = answered(a_3dc(), at=local_datetime(dt.date(2026, 3, 11), 10), scores={"overall": 5})
    barrier = threading.Barrier(2)

    def record(score):
        try:
            barrier.wait()
            with transaction.atomic():
                satisfaction_add(
                    callback=callback,
                    answers=[CallAnswer(department="overall", score=score)],
                    day=dt.date(2026, 3, 11),
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(score,)) for score in (4, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    row = SatisfactionDay.objects.get(department="overall")
    assert (row.answers, row.satisfied) == (3, 2)
