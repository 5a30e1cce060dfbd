"""A manager merges a duplicate archive into the one kept: everything moves, nothing is
lost, and the merge is recorded (services.customers_merge and its page)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.customers import services
from apps.customers.models import Customer, CustomerMerge, SalesFile, VehicleOwnership
from apps.workorders.models import WorkOrder
from tests.factories.customers import (
    CustomerFactory,
    SalesFileFactory,
    VehicleFactory,
    valid_id_number,
)
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)


@pytest.fixture
def manager(user_with_role):
    return user_with_role("manager")


@pytest.fixture
def pair():
    """The same person twice: 张伟 typed 张 伟 by the old system, same mobile."""
    keep = CustomerFactory(name="张伟", mobile="13812345678", marketing_consent=True)
    duplicate = CustomerFactory(
        name="张 伟",
        mobile="13812345678",
        id_number=valid_id_number(3),
        address="深圳市南山区科技园",
        marketing_consent=False,
        do_not_call=True,
        source=Customer.Source.BOUGHT_HERE,
        note="旧系统导入",
    )
    car = VehicleFactory(owner=duplicate, plate="粤B12345")
    sales_file = SalesFileFactory(vehicle=car)
    visits = [
        WorkOrderFactory(
            vehicle=car,
            customer=duplicate,
            opened_at=timezone.make_aware(dt.datetime(2026, month, 1, 10)),
            customer_paid_amount=Decimal(500),
        )
        for month in (3, 5, 7, 9)
    ]
    return {
        "keep": keep,
        "duplicate": duplicate,
        "car": car,
        "sales_file": sales_file,
        "visits": visits,
    }


@time_machine.travel(NOW, tick=False)
def test_a_merge_moves_vehicles_ownerships_visits_and_sales_files_and_records_it(manager, pair):
    keep, duplicate, car = pair["keep"], pair["duplicate"], pair["car"]
    duplicate_id = duplicate.pk

    merge = services.customers_merge(
        keep=keep, duplicate=duplicate, by=manager, reason="同一人重复建档"
    )

    assert not Customer.objects.filter(pk=duplicate_id).exists()
    car.refresh_from_db()
    assert car.owner == keep
    assert list(VehicleOwnership.objects.values_list("customer_id", flat=True)) == [keep.pk]
    assert set(WorkOrder.objects.values_list("customer_id", flat=True)) == {keep.pk}
    assert SalesFile.objects.get().vehicle.owner == keep
    assert (merge.kept, merge.duplicate_id, merge.duplicate_name, merge.merged_by) == (
        keep,
        duplicate_id,
        "张 伟",
        manager,
    )
    assert merge.reason == "同一人重复建档"
    assert merge.moved == {
        "customers.vehicle": 1,
        "customers.vehicleownership": 1,
        "workorders.workorder": 4,
    }
    # The duplicate's last state stays in the history, with who deleted it and why.
    gone = Customer.history.filter(id=duplicate_id).order_by("-history_id").first()
    assert (gone.history_type, gone.history_user) == ("-", manager)
    assert gone.address == "深圳市南山区科技园"
    assert gone.history_change_reason == f"已合并到客户 #{keep.pk}:同一人重复建档"


@time_machine.travel(NOW, tick=False)
def test_the_kept_customer_takes_the_duplicates_details_and_the_stricter_contact_rules(
    manager, pair
):
    keep, duplicate = pair["keep"], pair["duplicate"]
    id_number = duplicate.id_number

    services.customers_merge(keep=keep, duplicate=duplicate, by=manager, reason="重复建档")

    keep.refresh_from_db()
    assert (keep.name, keep.id_number, keep.address, keep.note) == (
        "张伟",
        id_number,
        "深圳市南山区科技园",
        "旧系统导入",
    )
    assert keep.sex == Customer.Sex.MALE  # with the ID number it came from
    # Do-not-call from either record; SMS consent only when both gave it (PIPL).
    assert (keep.do_not_call, keep.marketing_consent) == (True, False)
    assert keep.source == Customer.Source.BOUGHT_HERE
    # Four paid visits in the last 12 months now count for the kept customer: 重要客户.
    assert (keep.segment, keep.segment_computed_on) == (Customer.Segment.MAJOR, NOW.date())


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("itself", "duplicate", "不能把客户档案合并到它自己。"),
        ("no_reason", "reason", "请填写合并原因。"),
        ("unrelated", "duplicate", "只能合并手机号、姓名或身份证号相同的客户档案。"),
    ],
)
def test_a_refused_merge_changes_nothing(manager, pair, case, field, message):
    keep, duplicate = pair["keep"], pair["duplicate"]
    stranger = CustomerFactory(name="李娜", mobile="13900000000")
    other, reason = {
        "itself": (keep, "重复"),
        "no_reason": (duplicate, "  "),
        "unrelated": (stranger, "重复"),
    }[case]

    with pytest.raises(ValidationError) as refused:
        services.customers_merge(keep=keep, duplicate=other, by=manager, reason=reason)

    assert refused.value.message_dict == {field: [message]}
    assert Customer.objects.count() == 3
    assert CustomerMerge.objects.count() == 0
    pair["car"].refresh_from_db()
    assert pair["car"].owner == duplicate


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_merging_the_same_duplicate_at_once_merge_it_once(user_with_role):
    # Given one duplicate and two archives it could go to, and two managers at once
    manager = user_with_role("manager")
    duplicate = CustomerFactory(name="张伟", mobile="13812345678")
    first = CustomerFactory(name="张伟", mobile="13800000001")
    second = CustomerFactory(name="张伟", mobile="13800000002")
    VehicleFactory(owner=duplicate)
    barrier = threading.Barrier(2)
    outcomes = []

    def merge(keep):
        try:
            barrier.wait(timeout=5)
            services.customers_merge(
                keep=keep, duplicate=Customer(pk=duplicate.pk), by=manager, reason="重复"
            )
            outcomes.append("merged")
        except ValidationError as error:
            outcomes.append(error.message_dict["duplicate"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=(keep,)) for keep in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one merge won, the other was told, and the vehicle has exactly one owner
    assert sorted(outcomes) == ["merged", "该客户档案已被合并或删除,请刷新页面。"]
    assert CustomerMerge.objects.count() == 1
    assert VehicleOwnership.objects.get().customer_id == CustomerMerge.objects.get().kept_id


def test_the_merge_page_lists_look_alikes_and_merges_the_chosen_one(role_client, pair):
    keep, duplicate = pair["keep"], pair["duplicate"]
    CustomerFactory(name="李娜", mobile="13900000000")  # shares nothing: not listed
    client = role_client("manager")
    card = client.get(reverse("customers:customer_detail", args=[keep.pk]))
    url = reverse("customers:customer_merge", args=[keep.pk])
    assert url in card.content.decode()

    page = client.get(url)

    assert [c.pk for c in page.context["candidates"]] == [duplicate.pk]
    assert "粤B12345" in page.content.decode()

    response = client.post(url, {"duplicate": duplicate.pk, "reason": "同一人重复建档"})

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_detail", args=[keep.pk])
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    records = client.get(url).content.decode()
    assert "并入 张 伟" in records
    assert "同一人重复建档" in records


def test_the_merge_page_refuses_a_customer_not_among_the_look_alikes(role_client, pair):
    stranger = CustomerFactory(name="李娜", mobile="13900000000")
    client = role_client("manager")

    response = client.post(
        reverse("customers:customer_merge", args=[pair["keep"].pk]),
        {"duplicate": stranger.pk, "reason": "重复"},
    )

    assert response.status_code == 200
    assert "要并入本档案的重复档案的选项无效,请重新选择。" in response.content.decode()
    assert Customer.objects.count() == 3


def test_an_advisor_sees_no_merge_button_and_cannot_merge(role_client, pair):
    client = role_client("advisor")
    url = reverse("customers:customer_merge", args=[pair["keep"].pk])

    card = client.get(reverse("customers:customer_detail", args=[pair["keep"].pk]))
    response = client.post(url, {"duplicate": pair["duplicate"].pk, "reason": "重复"})

    assert url not in card.content.decode()
    assert response.status_code == 403
    assert Customer.objects.count() == 2
