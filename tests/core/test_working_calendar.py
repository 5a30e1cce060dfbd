"""The working-day calendar: China's official holidays and make-up working days (调休), from
the `holidays` package unless the administrator entered the year from the State Council's
notice; every deadline in working days uses it."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.calendar import is_working_day, working_day_after
from apps.core.models import CalendarDay, CalendarYear
from apps.core.services import calendar_year_delete, calendar_year_save
from apps.customers import services as customer_services
from apps.customers.models import SalesFile
from tests.factories.customers import VehicleFactory

pytestmark = pytest.mark.django_db

HOLIDAY, WORKDAY = CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY


def _days(first: dt.date, last: dt.date, kind: str, name: str) -> list[tuple]:
    return [(first + dt.timedelta(days=n), kind, name) for n in range((last - first).days + 1)]


# 2027 as an administrator might enter it: National Day 1-7 October (Friday to Thursday),
# make-up working days Sunday 26 September and Saturday 9 October. The package's guess for
# 2027 (National Day 1-5 October, no make-up days) knows neither 6-7 October nor the
# make-up days.
NATIONAL_DAY_2027 = [
    *_days(dt.date(2027, 1, 1), dt.date(2027, 1, 1), HOLIDAY, "元旦"),
    *_days(dt.date(2027, 10, 1), dt.date(2027, 10, 7), HOLIDAY, "国庆节"),
    (dt.date(2027, 9, 26), WORKDAY, "国庆节调休上班"),
    (dt.date(2027, 10, 9), WORKDAY, "国庆节调休上班"),
]


def test_2026_is_the_published_arrangement():
    national_day = [dt.date(2026, 10, day) for day in range(1, 8)]

    assert [is_working_day(day) for day in national_day] == [False] * 7
    assert is_working_day(dt.date(2026, 9, 20))  # Sunday, a make-up working day
    assert is_working_day(dt.date(2026, 10, 10))  # Saturday, a make-up working day
    assert not is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert working_day_after(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert working_day_after(dt.date(2026, 9, 18), 1) == dt.date(2026, 9, 20)
    assert working_day_after(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)


def test_an_entered_year_overrides_the_package(user_with_role):
    # The package's guess: 6 October 2027 (Wednesday) is a working day, 9 October a Saturday.
    assert working_day_after(dt.date(2027, 9, 30), 1) == dt.date(2027, 10, 6)
    assert working_day_after(dt.date(2027, 10, 8), 1) == dt.date(2027, 10, 11)
    assert not is_working_day(dt.date(2027, 6, 9))  # the package's 端午节

    calendar_year_save(
        year=2027, days=NATIONAL_DAY_2027, note="国办发明电〔2026〕1号", by=user_with_role("admin")
    )

    # A holiday the package does not know moves the deadline ...
    assert working_day_after(dt.date(2027, 9, 30), 1) == dt.date(2027, 10, 8)
    # ... and a make-up Saturday counts as a working day.
    assert working_day_after(dt.date(2027, 10, 8), 1) == dt.date(2027, 10, 9)
    assert is_working_day(dt.date(2027, 9, 26))
    # The entered year replaces the package entirely: what was not entered is an ordinary day.
    assert is_working_day(dt.date(2027, 6, 9))
    # Other years still follow the package.
    assert not is_working_day(dt.date(2026, 10, 7))


@time_machine.travel(dt.datetime(2027, 10, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_sales_file_deadline_follows_the_entered_year(user_with_role):
    # Pinned after the delivery: a sales file is never dated in the future.
    vehicle = VehicleFactory()
    before = SalesFile(vehicle=vehicle, delivered_on=dt.date(2027, 9, 30), salesperson="李思琪")
    customer_services.sales_file_save(sales_file=before)
    assert before.documents_due_on == dt.date(2027, 10, 7)  # package: 6 and 7 October work

    calendar_year_save(year=2027, days=NATIONAL_DAY_2027, note="", by=user_with_role("admin"))
    after = SalesFile(
        vehicle=VehicleFactory(), delivered_on=dt.date(2027, 9, 30), salesperson="李思琪"
    )
    customer_services.sales_file_save(sales_file=after)

    # Two working days after 30 September: Friday 8 October and the make-up Saturday 9.
    assert after.documents_due_on == dt.date(2027, 10, 9)


def test_the_calendar_is_read_from_the_cache(user_with_role, django_assert_num_queries):
    calendar_year_save(year=2027, days=NATIONAL_DAY_2027, note="", by=user_with_role("admin"))
    with django_assert_num_queries(2):  # the entered years, their days; then cached
        is_working_day(dt.date(2027, 10, 6))

    with django_assert_num_queries(0):
        assert working_day_after(dt.date(2027, 9, 30), 1) == dt.date(2027, 10, 8)


def test_deleting_an_entered_year_gives_it_back_to_the_package(user_with_role):
    calendar_year_save(year=2027, days=NATIONAL_DAY_2027, note="", by=user_with_role("admin"))

    calendar_year_delete(year=2027)

    assert not CalendarYear.objects.exists()
    assert not CalendarDay.objects.exists()
    assert working_day_after(dt.date(2027, 9, 30), 1) == dt.date(2027, 10, 6)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (
            [(dt.date(2027, 10, 1), HOLIDAY, "国庆节"), (dt.date(2027, 9, 28), WORKDAY, "调休")],
            "2027-09-28 本来就是工作日,无需设为调休上班。",
        ),
        ([(dt.date(2028, 1, 1), HOLIDAY, "元旦")], "2028-01-01 不在 2027 年内。"),
        (
            [(dt.date(2027, 10, 1), HOLIDAY, "国庆节"), (dt.date(2027, 10, 1), HOLIDAY, "国庆")],
            "2027-10-01 录入了不止一次。",
        ),
        ([(dt.date(2027, 9, 26), WORKDAY, "调休")], "请至少录入一个放假日期。"),
    ],
)
def test_a_wrong_arrangement_is_refused_in_chinese_and_nothing_changes(
    user_with_role, days, message
):
    admin = user_with_role("admin")
    calendar_year_save(year=2027, days=NATIONAL_DAY_2027, note="第一次", by=admin)

    with pytest.raises(ValidationError) as error:
        calendar_year_save(year=2027, days=days, note="第二次", by=admin)

    assert message in error.value.messages
    assert CalendarYear.objects.get().note == "第一次"
    assert CalendarDay.objects.count() == len(NATIONAL_DAY_2027)


# --- the calendar pages ---------------------------------------------------------------------


def _lines_data(lines: list[dict], *, note: str = "") -> dict:
    data = {
        "days-TOTAL_FORMS": str(len(lines)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
        "note": note,
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"days-{index}-{name}"] = value
    return data


def test_a_year_not_entered_offers_the_packages_guess_and_saves_it_as_offered(role_client):
    client = role_client("admin")
    response = client.get(reverse("core:calendar_year", args=[2027]))

    body = response.content.decode()
    assert "2027 年尚未录入" in body
    initial = response.context["formset"].initial
    assert {
        "name": "国庆节",
        "kind": HOLIDAY,
        "first_day": dt.date(2027, 10, 1),
        "last_day": dt.date(2027, 10, 5),  # the package's guess, with its 补假 days joined
    } in initial

    # Posted back as offered (the rendered form: its lines are initial forms), it is saved.
    formset = response.context["formset"]
    data = _lines_data(
        [
            {
                **line,
                "last_day": line["last_day"].isoformat(),
                "first_day": line["first_day"].isoformat(),
            }
            for line in initial
        ]
    )
    data["days-INITIAL_FORMS"] = str(formset.initial_form_count())
    assert client.post(reverse("core:calendar_year", args=[2027]), data).status_code == 302
    assert CalendarDay.objects.filter(calendar_year__year=2027).count() == 19  # the package's days
    assert not is_working_day(dt.date(2027, 10, 5))


def test_the_administrator_enters_a_year_on_its_page_and_deadlines_follow(role_client):
    client = role_client("admin")
    lines = [
        {"name": "国庆节", "kind": HOLIDAY, "first_day": "2027-10-01", "last_day": "2027-10-07"},
        {"name": "国庆节调休上班", "kind": WORKDAY, "first_day": "2027-09-26", "last_day": ""},
        {"name": "国庆节调休上班", "kind": WORKDAY, "first_day": "2027-10-09", "last_day": ""},
        {"name": "", "kind": "", "first_day": "", "last_day": ""},  # a blank line is ignored
    ]

    response = client.post(
        reverse("core:calendar_year", args=[2027]), _lines_data(lines, note="国办发明电")
    )

    assert response.status_code == 302
    entered = CalendarYear.objects.get(year=2027)
    assert entered.note == "国办发明电"
    assert entered.days.count() == 9
    assert working_day_after(dt.date(2027, 10, 8), 1) == dt.date(2027, 10, 9)
    listing = client.get(reverse("core:calendar_list")).content.decode()
    assert "已录入" in listing and "国办发明电" in listing


def test_a_wrong_line_on_the_page_shows_a_chinese_error_and_nothing_is_saved(role_client):
    lines = [
        {"name": "国庆节", "kind": HOLIDAY, "first_day": "2027-10-07", "last_day": "2027-10-01"},
        {"name": "调休", "kind": WORKDAY, "first_day": "2027-09-28", "last_day": ""},
    ]

    response = role_client("admin").post(
        reverse("core:calendar_year", args=[2027]), _lines_data(lines)
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "结束日期不能早于开始日期。" in body
    assert "放假安排未保存:请按红色提示修改。" in body
    assert not CalendarYear.objects.exists()
