"""The 工作台 (home page): the panels of each role, plain words for roles whose module is
still to come, and a fixed number of queries."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.customers import SalesFileFactory, VehicleFactory
from tests.factories.workorders import order_in_state, visit
from tests.pages import PAGE_QUERIES, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]

PANELS = (
    "查找客户或车辆",
    "最近进厂",
    "销售档案资料逾期",
    "最近导入",
    "系统管理",
    "即将上线",
    "待出库工单",
    "低于最低库存",
    "待确认领料",
    "车间作业",
)


def _home(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return html(response)


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("advisor", {"查找客户或车辆", "最近进厂"}),
        ("supervisor", {"查找客户或车辆", "最近进厂", "车间作业"}),
        ("technician", {"车间作业", "待确认领料"}),
        ("qc", {"车间作业"}),
        ("parts", {"待出库工单", "低于最低库存"}),
        ("callback", {"查找客户或车辆", "最近进厂", "销售档案资料逾期"}),
        ("manager", {"查找客户或车辆", "最近进厂", "销售档案资料逾期", "最近导入", "车间作业"}),
        ("admin", {"查找客户或车辆", "最近进厂", "销售档案资料逾期", "最近导入", "系统管理"}),
    ],
)
def test_each_role_sees_the_panels_of_its_work(role_client, role, shown):
    body = _home(role_client(role))

    assert {panel for panel in PANELS if panel in body} == shown


@pytest.mark.parametrize(
    ("roles", "links"),
    [
        (("technician",), ["我的作业", "班组检验"]),
        (("qc",), ["车间看板", "终检"]),
        (("supervisor",), ["派工看板", "车间看板", "班组检验"]),
        (("technician", "parts"), ["我的作业", "班组检验"]),
    ],
)
def test_the_floors_roles_get_their_workshop_pages_on_the_home_page(role_client, roles, links):
    body = _home(role_client(*roles))

    panel = re.search(r'id="home-floor">(.*?)</div>\s*</div>', body, re.S).group(1)
    assert re.findall(r"</i> (\S+)</a>", panel) == links


def test_the_advisor_sees_the_latest_visits_latest_first(role_client):
    vehicle = VehicleFactory(plate="粤B12345")
    older = visit(vehicle, on=dt.date(2026, 3, 1), total="100.00", paid="100.00")
    newer = visit(vehicle, on=dt.date(2026, 3, 8), total="100.00", paid="100.00")

    response = role_client("advisor").get(reverse("dashboard:home"))

    assert response.context["recent_visits"] == [newer, older]
    assert "粤B12345" in html(response)


@pytest.mark.parametrize(
    ("role", "own"),
    [
        # 3 counts of the archive figures, the latest visits; the advisor's day: open
        # orders, settled today, promises at risk; the parts arrived for their orders.
        ("advisor", 8),
        # those 8, the late sales files, the latest imports; the 三包 warnings: the watch
        # page, its counts, the warranty repairs in the workshop (no vehicle to count);
        # the overdue complaints; the care loop: this month's satisfaction, the open
        # problems, the open and overdue complaints.
        ("manager", 17),
        # the slips waiting for their confirmation (the role codes come with the groups
        # the navigation loads anyway).
        ("technician", 1),
        # the orders waiting for their parts, the parts below their minimum.
        ("parts", 2),
    ],
)
def test_the_home_page_runs_the_same_queries_with_little_or_much_data(
    role_client, django_assert_num_queries, role, own
):
    client = role_client(role)
    SalesFileFactory(delivered_on=dt.date(2020, 1, 1))
    with django_assert_num_queries(PAGE_QUERIES + own):
        _home(client)
    for serial in range(12):
        vehicle = VehicleFactory()
        SalesFileFactory(vehicle=vehicle, delivered_on=dt.date(2020, 1, 1))
        visit(vehicle, on=dt.date(2026, 1, 1 + serial), total="100.00", paid="100.00")

    with django_assert_num_queries(PAGE_QUERIES + own):
        _home(client)


@time_machine.travel(dt.datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_the_advisor_sees_the_day_of_the_service_desk_on_the_home_page(role_client):
    order = order_in_state(WorkOrder.Status.READY)
    WorkOrder.objects.update(advisor=None)

    advisor = _home(role_client("advisor"))
    supervisor = _home(role_client("supervisor"))

    assert "待交车(0)" in advisor  # the advisor's own orders: none is theirs
    assert f'href="{reverse("workorders:advisor_home")}"' in advisor
    assert "承诺交车将超时" not in supervisor
    assert order.status == WorkOrder.Status.READY
