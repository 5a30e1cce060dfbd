"""Data entered in the browser is stored once and as it should be (issue 6, points 1-2):
a mobile typed with +86 and spaces is stored as 11 digits; the same customer entered twice
is refused with a link to the first; a VIN already registered names its owner and offers
the transfer (过户); a plate on another car names that car, and can be freed.

serialized_rollback: the live server needs committed data (transaction=True), and the
flush after each test would otherwise drop the role groups the migrations created.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.customers.models import Customer, Vehicle
from tests.e2e.conftest import TABLET
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _new_customer(page, live_server, *, name: str, mobile: str) -> None:
    page.goto(f"{live_server.url}/archive/customers/new/")
    page.get_by_label("姓名/单位名称").fill(name)
    page.locator("#id_mobile").fill(mobile)
    page.get_by_role("button", name="保存").click()


def test_a_mobile_typed_with_country_code_and_spaces_is_stored_as_eleven_digits_and_a_second_entry_links_to_the_first(  # noqa: E501
    live_server, new_page, role_user, log_in, screenshot
):
    # Given an advisor on a tablet
    advisor = role_user("advisor")
    page = new_page(TABLET)
    log_in(page, advisor)

    # When the advisor types the mobile as people say it, with a non-breaking space too
    _new_customer(page, live_server, name="周子轩", mobile="+86 138 1234\u00a05678")

    # Then the card opens and the number is stored as 11 digits
    expect(page).to_have_url(re.compile(r"/archive/customers/\d+/$"))
    first = Customer.objects.get()
    assert first.mobile == "13812345678"
    expect(page.locator("#customer-mobile")).to_contain_text("138****5678")  # until 显示

    # When the same customer is entered again, typed another way
    _new_customer(page, live_server, name="周子轩", mobile="138-1234-5678")

    # Then the form says so, with a link to the existing card, and nothing is stored
    error = page.locator(".alert-danger")
    expect(error).to_contain_text("已有同名、同手机号的客户档案:周子轩")
    expect(page.locator("body")).not_to_contain_text("已存在")
    assert Customer.objects.count() == 1
    screenshot(page, "customer-duplicate-refused-tablet")
    error.get_by_role("link", name="周子轩").click()
    expect(page).to_have_url(f"{live_server.url}/archive/customers/{first.pk}/")


def test_a_vin_already_registered_names_its_owner_and_the_transfer_link_fills_the_buyer(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given a car of 王建国 and a new customer 李娜 who bought it
    advisor = role_user("advisor")
    seller = CustomerFactory(name="王建国", mobile="13912345678")
    car = VehicleFactory(owner=seller, plate="粤B12345", vin=valid_vin(42))
    buyer = CustomerFactory(name="李娜", mobile="13700001111")
    page = new_page()
    log_in(page, advisor)

    # When the advisor registers the car for 李娜, pasting the VIN with spaces around it
    page.goto(f"{live_server.url}/archive/customers/{buyer.pk}/vehicles/new/")
    page.get_by_label("VIN").fill(f"  {car.vin[:8]} {car.vin[8:]}\u00a0")
    page.get_by_label("品牌").fill("大众")
    page.get_by_label("车型").fill("速腾")
    page.get_by_role("button", name="保存").click()

    # Then the VIN error names the owner and offers the transfer instead of "已存在"
    vin_error = page.locator("#div_id_vin .invalid-feedback")
    expect(vin_error).to_contain_text("该 VIN 已登记:粤B12345,车主 王建国。")
    expect(vin_error).to_contain_text("如果这辆车已转给 李娜,请办理过户")
    expect(page.locator("body")).not_to_contain_text("已存在")
    assert Vehicle.objects.count() == 1
    screenshot(page, "vehicle-duplicate-vin")

    # When the advisor follows 办理过户
    vin_error.get_by_role("link", name="办理过户").click()

    # Then the transfer form of that car is open with the buyer filled in
    expect(page).to_have_url(re.compile(rf"/archive/vehicles/{car.pk}/owner/\?to={buyer.pk}$"))
    expect(page.get_by_label("新车主手机号")).to_have_value("13700001111")
    expect(page.get_by_label("新车主姓名")).to_have_value("李娜")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("已过户给 李娜")
    car.refresh_from_db()
    assert car.owner == buyer


def test_a_plate_on_another_car_is_named_and_moves_once_freed(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given 粤B12345 registered on 王建国's old car, and a new car of 李娜's without plate
    advisor = role_user("advisor")
    old_car = VehicleFactory(owner=CustomerFactory(name="王建国"), plate="粤B12345")
    new_car = VehicleFactory(owner=CustomerFactory(name="李娜"), plate="")
    page = new_page()
    log_in(page, advisor)

    # When the advisor gives the new car the plate
    page.goto(f"{live_server.url}/archive/vehicles/{new_car.pk}/edit/")
    page.get_by_label("车牌号").fill("粤b 12345")
    page.get_by_role("button", name="保存").click()

    # Then the error names the other car and its owner, and tells how to free the plate
    plate_error = page.locator("#div_id_plate .invalid-feedback")
    expect(plate_error).to_contain_text(f"车牌 粤B12345 已登记在车辆 {old_car.vin}(车主 王建国)")
    expect(plate_error).to_contain_text("释放车牌")
    screenshot(page, "vehicle-duplicate-plate")

    # When the advisor opens the other car and frees its plate with a reason
    plate_error.get_by_role("link", name=old_car.vin).click()
    page.get_by_role("link", name="释放车牌").click()
    page.get_by_label("释放原因").fill("车牌已换发到新车")
    page.get_by_role("button", name="保存").click()

    # Then the old car shows the release in its plate record
    expect(page.get_by_role("alert")).to_contain_text("已释放车牌 粤B12345")
    expect(page.locator("#plate-changes")).to_contain_text("粤B12345 → (无牌)")
    expect(page.locator("#plate-changes")).to_contain_text("车牌已换发到新车")
    screenshot(page, "vehicle-plate-freed")

    # And the new car now takes the plate
    page.goto(f"{live_server.url}/archive/vehicles/{new_car.pk}/edit/")
    page.get_by_label("车牌号").fill("粤B12345")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("车辆信息已保存")
    new_car.refresh_from_db()
    assert new_car.plate == "粤B12345"


def test_a_manager_merges_a_duplicate_from_the_customer_card(
    live_server, new_page, role_user, log_in, screenshot
):
    # Given the same person twice (the old system wrote the name with a space)
    manager = role_user("manager")
    keep = CustomerFactory(name="张伟", mobile="13812345678")
    duplicate = CustomerFactory(name="张 伟", mobile="13812345678")
    car = VehicleFactory(owner=duplicate, plate="粤B67890")
    page = new_page()
    log_in(page, manager)

    # When the manager opens 合并重复档案 from the card, picks the duplicate and a reason
    page.goto(f"{live_server.url}/archive/customers/{keep.pk}/")
    page.get_by_role("link", name="合并重复档案").click()
    expect(page.locator("#merge-candidates")).to_contain_text("粤B67890")
    screenshot(page, "customer-merge")
    page.get_by_label("合并 张 伟").check()
    page.get_by_label("合并原因").fill("同一人重复建档")
    page.get_by_role("button", name="合并到本档案").click()

    # Then the card of the kept customer lists the car
    expect(page).to_have_url(f"{live_server.url}/archive/customers/{keep.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("已将 张 伟")
    expect(page.get_by_role("link", name="粤B67890")).to_be_visible()
    car.refresh_from_db()
    assert car.owner == keep
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
