"""A manager builds a canned job of three lines on a tablet (issue 8 point 2): a labour
operation and a part chosen by code, a material with its price, one row added with
"添加一行"; the job's page shows the total at the current labour rate.

serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.workorders.models import CannedJob
from tests.e2e.conftest import TABLET
from tests.factories.parts import PartFactory
from tests.factories.workorders import LabourOperationFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_manager_creates_a_canned_job_with_three_lines(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given the catalogue's oil change and oil filter, and a manager on a tablet
    LabourOperationFactory(code="LB-0101", name="更换机油机滤", standard_hours=Decimal("0.5"))
    PartFactory(number="5QD115561", name="机油滤清器", price=Decimal("68.00"))
    manager = role_user("manager")
    page = new_page(TABLET)
    log_in(page, manager)

    # When the manager opens 维修项目 → 维修套餐 → 新建套餐 and fills three lines
    page.get_by_role("button", name="目录").click()
    page.get_by_role("link", name="维修项目").click()
    page.get_by_role("link", name="维修套餐").click()
    page.get_by_role("link", name="新建套餐").click()
    page.get_by_label("套餐名称").fill("10000 公里保养")
    page.get_by_label("适用车型").fill("速腾 2023款 300TSI")
    page.get_by_label("对应里程(公里)").fill("10000")
    rows = page.locator("tr.formset-row")
    rows.nth(0).get_by_label("工时代码/配件编号").fill("lb-0101")
    rows.nth(1).get_by_label("类别").select_option("part")
    rows.nth(1).get_by_label("工时代码/配件编号").fill("５ｑｄ１１５５６１")
    page.get_by_role("button", name="添加一行").click()
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_label("类别").select_option("material")
    rows.nth(2).get_by_label("名称(辅料必填)").fill("清洗剂")
    rows.nth(2).get_by_label("单价(空=目录价)").fill("25")
    screenshot(page, "catalogue-canned-job-form-tablet")
    page.get_by_role("button", name="保存").click()

    # Then the job's page lists the three lines priced today: 0.5 h × 200 + 68 + 25
    expect(page).to_have_url(re.compile(r"/catalogue/canned-jobs/\d+/$"))
    expect(page.locator("#preview-total")).to_have_text("193.00")
    expect(page.get_by_role("cell", name="机油滤清器")).to_be_visible()
    screenshot(page, "catalogue-canned-job-tablet")
    job = CannedJob.objects.get()
    assert [line.kind for line in job.lines.order_by("position")] == [
        "labour",
        "part",
        "material",
    ]
