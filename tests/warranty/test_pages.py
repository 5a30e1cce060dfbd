"""The warranty pages: the claim filed from the work-order page and taken through its states
by the warranty clerk, the claim list, the paper documents, the 三包 blocks other pages
include, the watch list and the home panels, with their query budgets."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from apps.warranty import services
from apps.warranty.models import ClaimLine, DocumentBatch, WarrantyClaim, WarrantyWatch
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.core import rules_in_cache
from tests.factories.customers import VehicleFactory
from tests.factories.warranty import claim_in_state, history_repair, warranty_order
from tests.factories.workorders import flow_user, order_in_state
from tests.pages import PAGE_QUERIES

pytestmark = pytest.mark.django_db
S = WarrantyClaim.Status
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def by():
    return flow_user()


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@time_machine.travel(NOW, tick=False)
def test_the_work_order_page_shows_the_warranty_lines_and_files_their_claim(by, role_client):
    order = warranty_order(by=by)
    client = role_client("advisor")
    page = client.get(reverse("workorders:detail", args=[order.pk]))

    response = client.post(reverse("warranty:claim_create", args=[order.pk]))

    body = page.content.decode()
    assert 'id="warranty"' in body and 'id="claim-create-form"' in body
    assert re.findall(r'class="[^"]*warranty-line" data-line="(\d+)"', body) == [
        str(line.pk) for line in order.lines.filter(payer="warranty").order_by("id")
    ]
    claim = WarrantyClaim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("warranty:claim_detail", args=[claim.pk])
    again = client.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert claim.number in again and 'id="claim-create-form"' not in again


@time_machine.travel(NOW, tick=False)
def test_the_clerk_files_some_lines_and_leaves_the_others_for_a_second_claim(by, role_client):
    order = warranty_order(by=by)
    part = order.lines.get(description="水泵总成")
    client = role_client("warranty")

    client.post(reverse("warranty:claim_create", args=[order.pk]), {"lines": [part.pk]})
    client.post(reverse("warranty:claim_create", args=[order.pk]))

    claimed = dict(ClaimLine.objects.values_list("line__description", "claim__number"))
    assert claimed == {"水泵总成": "CL2026070001", "水泵更换": "CL2026070002"}


@time_machine.travel(NOW, tick=False)
def test_an_order_without_warranty_lines_shows_no_warranty_panel(by, role_client):
    order = order_in_state(WorkOrder.Status.SETTLED, by=by)

    body = role_client("warranty").get(reverse("workorders:detail", args=[order.pk]))

    assert 'id="warranty"' not in body.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_clerk_takes_a_claim_through_rejection_to_payment_on_its_page(by, role_client):
    order = warranty_order(by=by)
    claim = services.claim_create(work_order=order, by=by)
    part_line = claim.lines.get(tag_number__gt="")
    client = role_client("warranty")
    url = reverse("warranty:claim_detail", args=[claim.pk])
    form = {
        "fault_description": "水温报警",
        "cause": "水泵漏水",
        "repair_done": "更换水泵",
        "service_order_number": "FW-1",
        "outside_service_km": "12",
        "system": "engine",
        "main_part": "水泵",
        "fault_code": "",
        "serious_fault": "",
        "replacement": "none",
        f"fault_{part_line.pk}": "水封漏水",
    }

    steps = [
        client.post(reverse("warranty:claim_update", args=[claim.pk]), form),
        client.post(reverse("warranty:claim_transition", args=[claim.pk]), {"name": "submit"}),
        client.post(
            reverse("warranty:claim_transition", args=[claim.pk]),
            {"name": "reject", "reason": "缺少旧件照片"},
        ),
        client.post(
            reverse("warranty:claim_update", args=[claim.pk]), form | {"cause": "水泵水封老化"}
        ),
        client.post(reverse("warranty:claim_transition", args=[claim.pk]), {"name": "resubmit"}),
        client.post(
            reverse("warranty:claim_approve", args=[claim.pk]),
            {"approved_amount": "1550.00", "maker_reference": "JS-1"},
        ),
        client.post(reverse("warranty:claim_pay", args=[claim.pk]), {"paid_amount": "1550.00"}),
    ]

    assert [step.status_code for step in steps] == [302] * 7
    assert {step["Location"] for step in steps} == {url}
    claim.refresh_from_db()
    assert (claim.status, claim.cause, claim.outside_service_km, claim.paid_amount) == (
        S.PAID,
        "水泵水封老化",
        12,
        1550,
    )
    assert list(claim.status_changes.values_list("transition", flat=True)) == [
        "submit",
        "reject",
        "resubmit",
        "approve",
        "pay",
    ]
    body = _text(client.get(url))
    assert "缺少旧件照片" in body and "水封漏水" in body and "JS-1" in body


@time_machine.travel(NOW, tick=False)
def test_a_refused_move_shows_the_reasons_on_the_claim_page_and_changes_nothing(by, role_client):
    order = warranty_order(WorkOrder.Status.DELIVERED, by=by)
    claim = services.claim_create(work_order=order, by=by)
    client = role_client("warranty")

    page = client.get(reverse("warranty:claim_detail", args=[claim.pk]))
    refused = client.post(reverse("warranty:claim_transition", args=[claim.pk]), {"name": "submit"})
    bad_form = client.post(reverse("warranty:claim_update", args=[claim.pk]), {"system": "x"})

    assert "工单结算后才能提交索赔。" in page.content.decode()  # the disabled button's reason
    assert refused.status_code == 422
    assert "请填写故障描述、故障原因和维修措施。" in refused.content.decode()
    assert bad_form.status_code == 422
    assert "故障系统的选项无效,请重新选择。" in bad_form.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.system) == (S.DRAFT, "")


@time_machine.travel(NOW, tick=False)
def test_an_advisor_sees_a_claim_but_cannot_move_it(by, role_client):
    claim = claim_in_state(S.DRAFT, by=by)
    client = role_client("advisor")

    page = client.get(reverse("warranty:claim_detail", args=[claim.pk])).content.decode()
    refused = client.post(reverse("warranty:claim_transition", args=[claim.pk]), {"name": "submit"})

    assert 'id="claim-form"' in page  # the advisor may fill in the repair
    assert "提交厂家" not in page
    assert "您没有“提交厂家”的权限。" in refused.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.DRAFT


def _claims(by, count: int):
    with time_machine.travel(NOW, tick=False):
        order = warranty_order(by=by)
    claim = claim_in_state(S.SUBMITTED, by=by, order=order)
    values = {
        field.attname: getattr(claim, field.attname)
        for field in WarrantyClaim._meta.concrete_fields
        if field.attname not in ("id", "number")
    }
    WarrantyClaim.objects.bulk_create(
        [WarrantyClaim(number=f"CLX{serial:05d}", **values) for serial in range(count - 1)]
    )


@pytest.mark.parametrize("count", [3, 60])
@time_machine.travel(NOW, tick=False)
def test_the_claim_list_by_state_and_month_runs_the_same_queries_for_3_or_60(
    by, role_client, django_assert_num_queries, count
):
    _claims(by, count)
    claim_in_state(S.DRAFT, by=by)
    client = role_client("warranty")
    rules_in_cache()

    # the page of claims with their vehicles and work orders
    with django_assert_num_queries(PAGE_QUERIES + 1):
        response = client.get(
            reverse("warranty:claim_list"), {"status": "submitted", "month": "2026-07"}
        )

    rows = response.context["page"].rows
    assert len(rows) == min(count, 25)
    assert {row.status for row in rows} == {S.SUBMITTED}
    june = client.get(reverse("warranty:claim_list"), {"status": "submitted", "month": "2026-06"})
    assert june.context["page"].rows == []


@pytest.mark.parametrize("visits", [3, 30])
@time_machine.travel(NOW, tick=False)
def test_the_vehicle_status_page_runs_the_same_queries_for_3_or_30_warranty_visits(
    by, role_client, django_assert_num_queries, visits
):
    vehicle = VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000)
    for n in range(visits):
        history_repair(
            vehicle, on=dt.date(2025, 2, 1) + dt.timedelta(days=n * 5), by=by, fault_code="P0300"
        )
    client = role_client("advisor")
    rules_in_cache()

    # the vehicle with its owner; its claims; its warranty work orders
    with django_assert_num_queries(PAGE_QUERIES + 3):
        response = client.get(reverse("warranty:vehicle_status", args=[vehicle.pk]))

    assert response.context["status"].repairs == visits
    assert "同一问题修理:发动机 P0300" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_vehicle_page_and_reception_show_the_warning_to_roles_that_see_claims(by, role_client):
    vehicle = VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000)
    history_repair(vehicle, on=dt.date(2025, 3, 1), by=by, serious_fault="other", fault_code="X")
    advisor = role_client("advisor")

    page = _text(advisor.get(reverse("customers:vehicle_detail", args=[vehicle.pk])))
    reception = _text(advisor.get(reverse("workorders:reception"), {"vehicle": vehicle.pk}))
    callback = role_client("callback").get(reverse("customers:vehicle_detail", args=[vehicle.pk]))

    warning = "严重安全性能故障修理:已 1 次,再 1 次即达到换车/退车条件"
    assert warning in page and "三包有效期 2025-01-10 至 2027-01-10" in page
    assert warning in reception
    assert 'id="warranty-status"' not in callback.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_paper_documents_are_signed_batched_and_sent(by, role_client):
    first = claim_in_state(S.SUBMITTED, by=by)
    second = claim_in_state(S.APPROVED, by=by)
    client = role_client("warranty")
    documents = reverse("warranty:documents")

    before = client.get(documents, {"month": "2026-07"}).context["overview"]
    client.post(reverse("warranty:documents_sign"), {"month": "2026-07", "claims": [first.pk]})
    client.post(reverse("warranty:batch_create"), {"month": "2026-07"})
    batch = DocumentBatch.objects.get()
    client.post(reverse("warranty:batch_send", args=[batch.pk]), {"carrier_reference": "SF123"})
    after = client.get(documents, {"month": "2026-07"}).context["overview"]

    assert [claim.pk for claim in before.unsigned] == [first.pk, second.pk]
    assert [claim.pk for claim in after.unsigned] == [second.pk]
    assert after.signed == []
    batch.refresh_from_db()
    assert (batch.number, batch.carrier_reference, batch.sent_at) == ("SD20260701", "SF123", NOW)
    assert list(batch.claims.values_list("pk", flat=True)) == [first.pk]


@time_machine.travel(NOW, tick=False)
def test_a_batch_with_nothing_signed_is_refused_and_a_batch_is_sent_once(by, role_client):
    claim_in_state(S.SUBMITTED, by=by)
    client = role_client("warranty")

    empty = client.post(reverse("warranty:batch_create"), {"month": "2026-07"}, follow=True)
    batch = DocumentBatch.objects.create(
        number="SD20260601",
        month=dt.date(2026, 6, 1),
        created_by=by,
        sent_at=NOW,
        carrier_reference="SF1",
    )
    twice = client.post(
        reverse("warranty:batch_send", args=[batch.pk]), {"carrier_reference": "SF2"}, follow=True
    )

    assert "2026年07月没有已签字、未装批的索赔单据。" in empty.content.decode()
    assert "批次 SD20260601 已寄出。" in twice.content.decode()
    assert DocumentBatch.objects.count() == 1
    batch.refresh_from_db()
    assert batch.carrier_reference == "SF1"


@time_machine.travel(NOW, tick=False)
def test_the_watch_list_shows_the_vehicles_near_or_at_a_threshold_and_cars_in_the_workshop(
    by, role_client
):
    near = VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000)
    history_repair(
        near,
        on=dt.date(2025, 3, 1),
        by=by,
        system="gearbox",
        replacement="assembly",
        main_part="总成",
        fault_code="P0700",
    )
    quiet = VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000)
    history_repair(quiet, on=dt.date(2025, 3, 1), by=by, fault_code="A1")
    in_shop = VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000)
    history_repair(in_shop, on=dt.date(2026, 6, 24), days=None, by=by, fault_code="B2")

    response = role_client("manager").get(reverse("warranty:watch_list"))

    # The car in the workshop for 8 days reached the courtesy-car rule when its claim was
    # written (its watch row); the gearbox replaced once is one short.
    rows = response.context["rows"]
    assert [row.vehicle for row in rows] == [in_shop, near]
    assert [row.vehicle for row in response.context["in_workshop"]] == [in_shop]
    assert response.context["counts"] == {"near": 1, "reached": 1}
    body = _text(response)
    assert "变速器总成更换:已 1 次,再 1 次即达到换车/退车条件" in body
    assert "已修理 8 日,应提供备用车或交通补偿" in body


@time_machine.travel(NOW, tick=False)
def test_the_watch_row_of_a_vehicle_whose_period_ended_leaves_the_list(by, role_client):
    old = VehicleFactory(sale_date=dt.date(2024, 1, 10), mileage=30000)
    history_repair(
        old,
        on=dt.date(2025, 3, 1),
        by=by,
        system="gearbox",
        replacement="assembly",
        main_part="总成",
        fault_code="P0700",
    )
    assert WarrantyWatch.objects.get(vehicle=old).return_ends_on == dt.date(2026, 1, 10)

    response = role_client("warranty").get(reverse("warranty:watch_list"))

    assert response.context["rows"] == []


@pytest.mark.parametrize("many", [False, True])
@time_machine.travel(NOW, tick=False)
def test_the_clerks_home_runs_the_same_queries_with_little_or_much_to_do(
    by, role_client, django_assert_num_queries, many
):
    vehicles = [VehicleFactory(sale_date=dt.date(2025, 1, 10), mileage=30000) for _ in range(2)]
    history_repair(
        vehicles[0], on=dt.date(2025, 3, 1), by=by, serious_fault="other", fault_code="X"
    )
    history_repair(vehicles[1], on=dt.date(2026, 6, 20), days=None, by=by, fault_code="Y")
    claim_in_state(S.REJECTED, by=by)
    claim_in_state(S.DRAFT, by=by)
    if many:
        for vehicle in [VehicleFactory(sale_date=dt.date(2025, 1, 10)) for _ in range(6)]:
            history_repair(
                vehicle, on=dt.date(2025, 4, 1), by=by, serious_fault="other", fault_code="X"
            )
            history_repair(vehicle, on=dt.date(2026, 6, 28), days=None, by=by, fault_code="Y")
        for _ in range(4):
            claim_in_state(S.REJECTED, by=by)
    client = role_client("warranty")
    rules_in_cache()

    # the archive figures (3) and the latest visits (1); the clerk's: drafts, settled
    # orders without a claim, rejected claims, the months' approvals, their invoices; the
    # warnings: the watch page, its vehicles, their claims and warranty orders, the
    # counts, the warranty orders in the workshop with their vehicles' claims and orders
    with django_assert_num_queries(PAGE_QUERIES + 4 + 5 + 8):
        response = client.get(reverse("dashboard:home"))

    home = response.context["warranty"]
    # the drafts: the two (or fourteen) repairs' claims and the draft made above
    assert len(home.due) == (15 if many else 3)
    assert len(home.rejected) == (5 if many else 1)
    assert home.watch and home.in_workshop
