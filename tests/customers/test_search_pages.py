"""What the search page tells the user (apps/customers/search.py, customers/search.html):
how many matched and how to page or narrow, work orders by part of their number, the hints
for a bare province character and an empty box, the same hint in both boxes, and a
customer's many cars shown as a few plates and "+N" in lists.

The search keys, their query budgets and their index plans are in test_search.py.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers import search
from apps.customers.models import ArchiveSettings, Customer
from tests.factories.core import rules_in_cache
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(role_client):
    return role_client("advisor")


def _page_size(size: int) -> None:
    settings_row = current_settings(ArchiveSettings)
    settings_row.search_result_limit = size
    area_settings_save(rows=[settings_row], by=None)
    rules_in_cache()  # the test's transaction never commits: put the new row in the cache


def _search(client, query: str, **params):
    response = client.get(reverse("customers:search"), {"q": query, **params})
    assert response.status_code == 200
    return response


def _text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    main = response.content.decode().split("<main", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _href(response, label: str) -> str:
    """The href of the pager link labelled `label` (上一页/下一页), unescaped."""
    match = re.search(
        rf'<a class="page-link" href="([^"]+)">{label}</a>', response.content.decode()
    )
    assert match, label
    return reverse("customers:search") + match.group(1).replace("&amp;", "&")


def _people(surname: str, count: int) -> list[Customer]:
    return [
        CustomerFactory(name=f"{surname}{serial:03d}", mobile=f"1350{serial:07d}")
        for serial in range(count)
    ]


# --- counts and paging -----------------------------------------------------------------


def test_more_than_a_page_says_how_many_and_pages_through_all_of_them(client):
    _page_size(25)
    _people("韩", 60)

    first = _search(client, "韩")

    names = [c.name for c in first.context["result"].customers]
    assert names == [f"韩{n:03d}" for n in range(59, 34, -1)]
    text = _text(first)
    assert "按 姓氏 查找,共 60 条结果。" in text
    assert "客户(共 60 条,每页 25 条,由新到旧)" in text
    assert "输入全名或名字(如 韩建国、建国)可缩小范围。" in text

    second = client.get(_href(first, "下一页"))
    third = client.get(_href(second, "下一页"))

    assert [c.name for c in second.context["result"].customers] == [
        f"韩{n:03d}" for n in range(34, 9, -1)
    ]
    assert [c.name for c in third.context["result"].customers] == [
        f"韩{n:03d}" for n in range(9, -1, -1)
    ]
    assert third.context["result"].customers[-1].name == "韩000"
    assert '<li class="page-item disabled"><a class="page-link"' in third.content.decode()
    assert "客户(共 60 条" in _text(third)  # the count stays on every page
    back = client.get(_href(third, "上一页"))
    assert [c.name for c in back.context["result"].customers] == [
        f"韩{n:03d}" for n in range(34, 9, -1)
    ]


def test_paging_one_section_shows_only_that_section_and_a_way_back(client):
    _page_size(10)
    owners = _people("陈", 12)
    for n, owner in enumerate(owners):
        VehicleFactory(owner=owner, plate=f"粤B7{n:04d}")

    first = _search(client, "B7")  # too short for a plate fragment: a prefix, 0 plates
    assert first.context["result"].vehicles == []
    first = _search(client, "粤B7")
    assert len(first.context["result"].vehicles) == 10

    second = client.get(_href(first, "下一页"))

    result = second.context["result"]
    assert result.only == "vehicles"
    assert [v.plate for v in result.vehicles] == ["粤B70001", "粤B70000"]
    assert result.customers == []
    assert "返回全部结果" in _text(second)


def test_one_page_of_results_has_no_pager_and_runs_no_count(client):
    _page_size(25)
    _people("韩", 3)

    with CaptureQueriesContext(connection) as captured:
        response = _search(client, "韩")

    assert len(response.context["result"].customers) == 3
    assert "客户(共 3 条)" in _text(response)
    assert "下一页" not in response.content.decode()
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in captured.captured_queries)


def test_beyond_the_count_cap_the_page_says_more_than_the_cap(client, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 12)
    _page_size(10)
    _people("韩", 15)

    response = _search(client, "韩")

    text = _text(response)
    assert "按 姓氏 查找,超过 12 条结果。" in text
    assert "客户(超过 12 条,每页 10 条,由新到旧)" in text
    assert len(response.context["result"].customers) == 10


# --- a single exact hit ----------------------------------------------------------------


def test_an_exact_hit_opens_its_record_with_a_note_saying_why(client):
    rules_in_cache()
    vehicle = VehicleFactory(plate="粤B8K2Q7")

    response = client.get(reverse("customers:search"), {"q": "粤b8k2q7"}, follow=True)

    assert response.redirect_chain == [
        (reverse("customers:vehicle_detail", args=[vehicle.pk]), 302)
    ]
    assert "“粤b8k2q7”只找到这一条记录,已直接打开。" in response.content.decode()


def test_a_fragment_with_a_single_match_is_listed_not_opened(client):
    rules_in_cache()
    VehicleFactory(plate="粤B8K2Q7")

    response = _search(client, "8K2Q")

    assert [v.plate for v in response.context["result"].vehicles] == ["粤B8K2Q7"]


# --- work orders by part of their number ---------------------------------------------------


@pytest.fixture
def visits():
    rules_in_cache()
    vehicle = VehicleFactory(plate="粤B55555")
    return [
        WorkOrderFactory(vehicle=vehicle, number=number)
        for number in (
            "WO20251230000777",
            "WO20260105000123",
            "WO20260310000456",
            "WO20260311000123",
        )
    ]


def _numbers(response) -> list[str]:
    return [wo.number for wo in response.context["result"].work_orders]


def test_a_number_prefix_finds_the_work_orders_newest_number_first(client, visits):
    response = _search(client, "wo2026")

    assert _numbers(response) == ["WO20260311000123", "WO20260310000456", "WO20260105000123"]
    assert "工单(共 3 条)" in _text(response)


def test_the_last_six_digits_find_every_work_order_ending_in_them(client, visits):
    response = _search(client, "000123")

    assert _numbers(response) == ["WO20260311000123", "WO20260105000123"]
    assert "工单号后几位" in response.context["result"].keys


def test_a_longer_tail_narrows_to_one_and_it_is_listed(client, visits):
    # Not a whole number: listed, with its link to the visit.
    response = _search(client, "0311000123")

    assert _numbers(response) == ["WO20260311000123"]
    assert f'href="{visits[3].get_absolute_url()}"' in response.content.decode()


def test_work_order_numbers_link_to_the_work_order_page(client, visits):
    response = _search(client, "WO202603")

    body = response.content.decode()
    for visit in visits[2:]:
        url = reverse("workorders:detail", args=[visit.pk])
        assert f'<a class="fw-semibold" href="{url}">' in body


def test_work_orders_page_by_number(client, visits):
    _page_size(10)
    for day in range(1, 11):  # ten more in April 2026, created after the March ones
        WorkOrderFactory(vehicle=visits[0].vehicle, number=f"WO202604{day:02d}000999")

    first = _search(client, "WO2026")
    second = client.get(_href(first, "下一页"))

    assert _numbers(first) == [f"WO202604{day:02d}000999" for day in range(10, 0, -1)]
    assert _numbers(second) == ["WO20260311000123", "WO20260310000456", "WO20260105000123"]
    assert "工单(共 13 条,每页 10 条,由新到旧)" in _text(second)
    assert _numbers(client.get(_href(second, "上一页"))) == _numbers(first)


def test_a_prefix_matching_no_work_order_says_nothing_was_found(client, visits):
    response = _search(client, "WO2019")

    assert _numbers(response) == []
    text = _text(response)
    assert "没有找到匹配的客户或车辆。" in text
    assert "无法识别" not in text


# --- a bare province character, an empty box ------------------------------------------------


def test_a_bare_province_character_explains_what_to_type_and_lists_nobody(client):
    rules_in_cache()
    VehicleFactory(plate="粤B12345")

    response = _search(client, "粤")

    result = response.context["result"]
    assert (result.customers, result.vehicles) == ([], [])
    text = _text(response)
    assert "“粤”是车牌的省份简称:请再输入车牌的字母或数字,如 粤B12345 或 B123。" in text


def test_a_province_character_that_is_a_surname_lists_the_surname_and_explains_plates(client):
    rules_in_cache()
    CustomerFactory(name="苏明")
    VehicleFactory(plate="苏E12345")

    response = _search(client, "苏")

    assert [c.name for c in response.context["result"].customers] == ["苏明"]
    assert response.context["result"].vehicles == []
    assert "“苏”是车牌的省份简称:请再输入车牌的字母或数字" in _text(response)


@pytest.mark.parametrize("typed", ["", "   ", " - · "])
def test_an_empty_query_is_not_run_and_says_what_to_type(client, typed):
    rules_in_cache()
    CustomerFactory(name="王芳")

    with CaptureQueriesContext(connection) as captured:
        response = _search(client, typed)

    assert response.context["result"] is None
    assert not any("customers_customer" in q["sql"] for q in captured.captured_queries)
    text = _text(response)
    assert "请输入要查找的内容。" in text
    assert "没有找到" not in text


def test_the_navbar_box_the_home_box_and_the_search_page_say_the_same_thing(client):
    rules_in_cache()
    hint = (
        "可输入车牌(或部分)、VIN 全部或后 6 位、手机全部或后 4 位、姓名或姓氏、"
        "身份证号、工单号(全部、开头几位或后 6 位以上)。"
    )

    home = client.get(reverse("dashboard:home")).content.decode()
    empty_search = _search(client, "").content.decode()

    navbar_box = re.search(r'<input class="form-control global-search"[^>]*>', home).group(0)
    home_box = re.search(r'<input id="home-search"[^>]*>', home).group(0)
    assert f'title="{hint}"' in navbar_box
    assert f'<div id="home-search-help" class="form-text">{hint}</div>' in home
    assert 'placeholder="车牌、手机、姓名或工单号"' in navbar_box
    assert 'placeholder="车牌、手机、姓名或工单号"' in home_box
    assert f"请输入要查找的内容。{hint}" in empty_search


# --- many vehicles: a few plates and "+N" ----------------------------------------------------


def _fleet(count: int, name: str = "顺丰速运有限公司", letter: str = "S") -> Customer:
    owner = CustomerFactory(name=name, kind=Customer.Kind.COMPANY)
    for n in range(count):
        VehicleFactory(owner=owner, plate=f"粤B{n + 1:02d}0{letter}F")
    return owner


def _plates_cell(response, owner: Customer) -> str:
    body = response.content.decode()
    row = re.search(rf'customers/{owner.pk}/">{owner.name}</a>.*?</tr>', body, re.S).group(0)
    plates = re.search(r'<span class="plates">(.*?)</span>\s*</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", plates).split())


@pytest.mark.parametrize(
    ("cars", "shown"),
    [
        (12, "粤B010SF 粤B020SF 粤B030SF +9"),
        (4, "粤B010SF 粤B020SF 粤B030SF +1"),
        (3, "粤B010SF 粤B020SF 粤B030SF"),
        (1, "粤B010SF"),
        (0, "—"),
    ],
)
def test_the_customer_list_shows_three_plates_and_how_many_more(client, cars, shown):
    rules_in_cache()
    owner = _fleet(cars)

    response = client.get(reverse("customers:customer_list"))

    assert _plates_cell(response, owner) == shown


def test_the_plus_links_to_the_customer_card_with_every_vehicle(client):
    rules_in_cache()
    owner = _fleet(12)

    body = client.get(reverse("customers:customer_list")).content.decode()

    card = reverse("customers:customer_detail", args=[owner.pk])
    assert f'href="{card}" title="另有 9 辆车,见客户档案">+9</a>' in body
    assert len(client.get(card).context["ownerships"]) == 12


def test_search_results_show_three_plates_and_how_many_more(client):
    rules_in_cache()
    owner = _fleet(12)

    response = _search(client, "顺丰速运")

    assert _plates_cell(response, owner) == "粤B010SF 粤B020SF 粤B030SF +9"


def test_a_fleet_costs_the_customer_list_no_extra_query(client):
    rules_in_cache()
    _fleet(1, name="单车客户", letter="T")
    with CaptureQueriesContext(connection) as one_car:
        client.get(reverse("customers:customer_list"))
    _fleet(12)
    with CaptureQueriesContext(connection) as fleet:
        response = client.get(reverse("customers:customer_list"))

    assert len(fleet) == len(one_car)
    assert [len(c.vehicle_list) for c in response.context["page"].rows] == [12, 1]
