"""Issue 10 "Done when", in the browser: the warranty clerk files the claim for a settled
order's warranty lines from the work-order page, fills it in and submits it; the maker
rejects it (recorded with its reason), the clerk corrects it and resubmits it; the maker
approves and pays it. Then the service manager's 工作台 and the vehicle's 三包 record show
a vehicle one event short of a threshold.

Screenshots in var/screenshots/ (warranty-*.png; the README's copies in docs/screenshots/).
Browser tests keep the real clock (tests/core/test_tests_pin_dates.py).
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.warranty.models import WarrantyClaim
from tests.e2e.conftest import TABLET
from tests.factories.customers import VehicleFactory
from tests.factories.warranty import history_repair, warranty_order
from tests.factories.workorders import flow_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
S = WarrantyClaim.Status


def test_the_clerk_files_a_claim_that_is_rejected_corrected_resubmitted_and_paid(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a settled warranty order (a water pump replaced: 400.00 labour, 1,200.00 part)
    sold = timezone.localdate() - dt.timedelta(days=120)
    car = VehicleFactory(plate="粤B7W3K9", sale_date=sold, mileage=3000)
    order = warranty_order(by=flow_user(), vehicle=car)
    clerk = role_user("warranty", display_name="林索赔")
    page = new_page(TABLET)
    log_in(page, clerk)

    # The clerk's 工作台 lists the order: settled, no claim yet, due in 7 days
    due = page.locator("#home-claims-due")
    expect(due).to_contain_text(order.number)
    expect(due).to_contain_text("未建索赔单")
    screenshot(page, "warranty-home-clerk")

    # From the work-order page: 建立索赔单 for its warranty lines
    due.get_by_role("link", name=order.number).click()
    panel = page.locator("#warranty")
    expect(panel).to_contain_text("水泵总成")
    panel.get_by_role("button", name="建立索赔单").click()
    expect(page.locator("#claim-header")).to_contain_text("草稿")
    claim = WarrantyClaim.objects.get()
    expect(page.locator("#claim-lines")).to_contain_text(f"{claim.number}-01")

    # Filled in: the repair, the service order, what the 三包 rules count, the old part
    form = page.locator("#claim-form")
    form.get_by_label("故障描述").fill("冷却液温度过高,仪表报警")
    form.get_by_label("故障原因").fill("水泵轴承磨损漏水")
    form.get_by_label("维修措施").fill("更换水泵总成,加注冷却液")
    form.get_by_label("服务令号").fill("FW2026110088")
    form.get_by_label("外出服务里程(公里)").fill("0")
    form.get_by_label("故障系统").select_option(label="发动机")
    form.get_by_label("主要零件").fill("水泵")
    form.get_by_label("旧件故障(水泵总成)").fill("轴承异响,水封渗漏")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="索赔单已保存")).to_be_visible()
    screenshot(page, "warranty-claim-draft")
    page.get_by_role("button", name="提交厂家").click()
    expect(page.locator("#claim-header")).to_contain_text("已提交")

    # The maker rejects it: recorded with the maker's reason
    reject = page.locator("#reject-form")
    reject.get_by_placeholder("厂家驳回原因(必填)").fill("缺少旧件照片及故障码截图")
    reject.get_by_role("button", name="确认登记厂家驳回").click()
    expect(page.locator("#rejection")).to_contain_text("缺少旧件照片及故障码截图")
    screenshot(page, "warranty-claim-rejected")

    # Corrected and resubmitted
    form = page.locator("#claim-form")
    form.get_by_label("故障原因").fill("水泵轴承磨损漏水,已补充旧件照片及故障码截图")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="索赔单已保存")).to_be_visible()
    page.get_by_role("button", name="修改后重新提交").click()
    expect(page.locator("#claim-header")).to_contain_text("已重新提交")

    # Approved (a little less than claimed) and paid
    approve = page.locator("#approve-form")
    approve.get_by_label("批准金额").fill("1550.00")
    approve.get_by_label("厂家结算单号").fill("JS202611-031")
    approve.get_by_role("button", name="登记厂家批准").click()
    expect(page.locator("#claim-header")).to_contain_text("厂家已批准")
    pay = page.locator("#pay-form")
    expect(pay.get_by_label("到账金额")).to_have_value("1550.00")
    pay.get_by_role("button", name="登记厂家付款").click()
    expect(page.locator("#claim-header")).to_contain_text("厂家已付款")
    history = page.locator("#claim-history")
    expect(history).to_contain_text("缺少旧件照片及故障码截图")
    screenshot(page, "warranty-claim-paid")

    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount, claim.paid_amount) == (S.PAID, 1550, 1550)
    assert claim.cause == "水泵轴承磨损漏水,已补充旧件照片及故障码截图"
    assert list(claim.status_changes.values_list("transition", "by")) == [
        ("submit", clerk.pk),
        ("reject", clerk.pk),
        ("resubmit", clerk.pk),
        ("approve", clerk.pk),
        ("pay", clerk.pk),
    ]
    page.goto(f"{live_server.url}/warranty/claims/")
    expect(page.locator("#claims")).to_contain_text(claim.number)
    screenshot(page, "warranty-claim-list")


def test_the_service_manager_sees_a_vehicle_one_event_short_and_its_record(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a car sold half a year ago, its serious brake fault repaired once, and the
    # same engine fault repaired four times
    by = flow_user()
    today = timezone.localdate()
    car = VehicleFactory(plate="粤B2H6M8", sale_date=today - dt.timedelta(days=200), mileage=9000)
    history_repair(
        car,
        on=today - dt.timedelta(days=150),
        days=3,
        mileage=4000,
        by=by,
        system="brakes",
        main_part="制动主缸",
        fault_code="C1001",
        serious_fault="other",
        replacement="main_part",
    )
    repeated = [
        history_repair(
            car,
            on=today - dt.timedelta(days=days_ago),
            days=2,
            mileage=6000,
            by=by,
            system="engine",
            main_part="点火线圈",
            fault_code="P0300",
        )[0]
        for days_ago in (120, 90, 60, 30)
    ]
    manager = role_user("manager", display_name="郭经理")
    page = new_page(TABLET)
    log_in(page, manager)

    watch = page.locator("#home-warranty-watch")
    expect(watch).to_contain_text("粤B2H6M8")
    expect(watch).to_contain_text("严重安全性能故障修理:已 1 次,再 1 次即达到换车/退车条件")
    expect(watch).to_contain_text("同一问题修理:发动机 P0300:已 4 次,再 1 次即达到换车/退车条件")
    screenshot(page, "warranty-home-manager")

    watch.get_by_role("link", name="粤B2H6M8").click()
    status = page.locator("#warranty-status")
    expect(status).to_contain_text("三包维修 5 次")
    problem = status.locator('[data-rule="problem:engine:P0300"]')
    problem.get_by_text("4 次维修").click()  # the repairs that make up the count
    for order in repeated:
        expect(problem.get_by_role("link", name=order.number)).to_be_visible()
    screenshot(page, "warranty-vehicle-status")
