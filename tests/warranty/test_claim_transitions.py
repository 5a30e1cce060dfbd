"""A warranty claim (DOMAIN.md §4): made from a work order's warranty lines, filled in,
and moved along draft → submitted → approved / rejected → resubmitted → paid by the one
transition table; every move is a status-change row, refused moves change nothing."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.warranty import services, transitions
from apps.warranty.models import ClaimLine, ClaimStatusChange, WarrantyClaim
from apps.workorders.models import NumberSequence, Payer, WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.warranty import FILLED, claim_in_state, fill, warranty_order
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
S = WarrantyClaim.Status
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)


def _changes(claim) -> list[tuple]:
    return list(
        ClaimStatusChange.objects.filter(claim=claim)
        .order_by("id")
        .values_list("transition", "from_status", "to_status", "reason")
    )


def _state(claim) -> tuple:
    claim = WarrantyClaim.objects.get(pk=claim.pk)
    return (
        claim.status,
        claim.submitted_at,
        claim.decided_at,
        claim.approved_amount,
        claim.paid_amount,
        claim.rejection_reason,
        ClaimStatusChange.objects.filter(claim=claim).count(),
    )


@time_machine.travel(NOW, tick=False)
def test_a_claim_is_made_from_the_warranty_lines_with_old_part_tags_and_amounts():
    by = flow_user()
    order = warranty_order(by=by)

    claim = services.claim_create(work_order=order, by=by)

    assert claim.number == "CL2026070001"
    assert (claim.status, claim.vehicle_id, claim.created_by) == (S.DRAFT, order.vehicle_id, by)
    lines = list(ClaimLine.objects.filter(claim=claim).select_related("line").order_by("id"))
    # The two warranty lines; the customer's oil change is not the maker's.
    assert [(c.line.description, c.line.payer, c.tag_number) for c in lines] == [
        ("水泵更换", Payer.WARRANTY, ""),
        ("水泵总成", Payer.WARRANTY, "CL2026070001-01"),
    ]
    assert (claim.labour_amount, claim.parts_amount, claim.claimed_amount) == (
        Decimal("400.00"),
        Decimal("1200.00"),
        Decimal("1600.00"),
    )
    assert NumberSequence.objects.get(key="CL202607").last == 1


@time_machine.travel(NOW, tick=False)
def test_a_line_is_claimed_once_and_a_second_claim_of_the_order_is_refused():
    by = flow_user()
    order = warranty_order(by=by)
    first = services.claim_create(work_order=order, by=by)

    with pytest.raises(ValidationError) as refused:
        services.claim_create(work_order=order, by=by)
    part = order.lines.get(description="水泵总成")
    with pytest.raises(ValidationError) as again:
        services.claim_create(work_order=order, by=by, lines=[part])

    assert refused.value.messages == ["本工单没有尚未索赔的三包明细。"]
    assert again.value.messages == [f"“水泵总成”已在索赔单 {first.number} 中。"]
    assert list(WarrantyClaim.objects.values_list("number", flat=True)) == [first.number]


@time_machine.travel(NOW, tick=False)
def test_a_customer_paid_line_or_another_orders_line_cannot_be_claimed():
    by = flow_user()
    order = warranty_order(by=by)
    other = warranty_order(by=by)
    oil = order.lines.get(description="更换机油机滤")

    with pytest.raises(ValidationError) as customer_paid:
        services.claim_create(work_order=order, by=by, lines=[oil])
    with pytest.raises(ValidationError) as foreign:
        services.claim_create(work_order=order, by=by, lines=[other.lines.first()])

    assert customer_paid.value.messages == ["“更换机油机滤”的付费方不是三包/索赔,不能索赔。"]
    assert foreign.value.messages == ["“水泵更换”不是本工单的明细。"]
    assert not WarrantyClaim.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_filling_in_a_claim_records_the_repair_and_what_the_rules_count():
    by = flow_user()
    claim = services.claim_create(work_order=warranty_order(by=by), by=by)

    fill(claim, by=by, fault_code=" p0 300 ", system="engine", serious_fault="")

    claim.refresh_from_db()
    assert (claim.fault_description, claim.cause, claim.repair_done) == (
        FILLED["fault_description"],
        FILLED["cause"],
        FILLED["repair_done"],
    )
    assert (claim.service_order_number, claim.fault_code, claim.problem_key) == (
        "FW2026110001",
        "P0300",
        "engine:P0300",
    )
    assert list(claim.lines.exclude(tag_number="").values_list("old_part_fault", flat=True)) == [
        "轴承异响漏水"
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"replacement": "assembly", "system": "brakes"},
            "replacement",
            "只有发动机、变速器、动力蓄电池、行驶驱动电机记录总成更换。",
        ),
        (
            {"replacement": "main_part", "main_part": "", "fault_code": "P0300"},
            "main_part",
            "更换主要零件时请填写是哪个零件。",
        ),
        (
            {"main_part": "", "fault_code": ""},
            "main_part",
            "请填写主要零件或故障代码(用于判断是否同一问题)。",
        ),
        ({"outside_service_km": -1}, "outside_service_km", "外出服务里程不能为负数。"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_claim_filled_in_wrong_is_refused_per_field_and_kept(changes, field, message):
    by = flow_user()
    claim = services.claim_create(work_order=warranty_order(by=by), by=by)

    with pytest.raises(ValidationError) as refused:
        fill(claim, by=by, **changes)

    assert refused.value.message_dict[field] == [message]
    claim.refresh_from_db()
    assert (claim.system, claim.cause) == ("", "")


# --- the moves ------------------------------------------------------------------------------

PATHS = [
    # (state built first, move, its keywords, the state after, what the row says)
    (S.DRAFT, "submit", {}, S.SUBMITTED, ""),
    (S.SUBMITTED, "reject", {"reason": "缺少故障照片"}, S.REJECTED, "缺少故障照片"),
    (S.REJECTED, "resubmit", {}, S.RESUBMITTED, ""),
    (S.RESUBMITTED, "reject", {"reason": "工时超标准"}, S.REJECTED, "工时超标准"),
    (S.SUBMITTED, "approve", {"approved_amount": "1500.00"}, S.APPROVED, "批准金额 1500.00 元"),
    (S.RESUBMITTED, "approve", {"approved_amount": "1600"}, S.APPROVED, "批准金额 1600.00 元"),
    (
        S.APPROVED,
        "pay",
        {"paid_amount": "1600.00", "maker_reference": "JS-88"},
        S.PAID,
        "到账 1600.00 元",
    ),
]


def _move(claim, name, by, **kwargs):
    if name == "approve":
        return services.claim_approve(claim=claim, by=by, **kwargs)
    if name == "pay":
        return services.claim_pay(claim=claim, by=by, **kwargs)
    return services.claim_transition(claim=claim, name=name, by=by, **kwargs)


@pytest.mark.parametrize(("start", "name", "kwargs", "target", "reason"), PATHS)
def test_every_move_of_the_table_changes_the_state_and_writes_its_row(
    start, name, kwargs, target, reason
):
    by = flow_user()
    with time_machine.travel(NOW, tick=False):
        claim = claim_in_state(start, by=by)
    before = len(_changes(claim))
    later = NOW + dt.timedelta(days=3)

    with time_machine.travel(later, tick=False):
        change = _move(claim, name, by, **kwargs)

    claim.refresh_from_db()
    assert claim.status == target
    assert _changes(claim)[before:] == [(name, start, target, reason)]
    assert (change.by, change.at) == (by, later)
    if name == "submit":
        assert claim.submitted_at == later
    if name in ("reject", "approve"):
        assert claim.decided_at == later
    if name == "reject":
        assert claim.rejection_reason == reason
    if name == "approve":
        assert claim.approved_amount == Decimal(kwargs["approved_amount"]).quantize(Decimal("0.01"))
        assert claim.rejection_reason == ""
    if name == "pay":
        assert (claim.paid_at, claim.paid_amount, claim.maker_reference) == (
            later,
            Decimal("1600.00"),
            "JS-88",
        )


def test_a_resubmission_keeps_the_first_submission_date():
    by = flow_user()
    with time_machine.travel(NOW, tick=False):
        claim = claim_in_state(S.REJECTED, by=by)

    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        services.claim_transition(claim=claim, name="resubmit", by=by)

    claim.refresh_from_db()
    assert claim.submitted_at == NOW
    assert claim.status == S.RESUBMITTED


def test_the_table_has_exactly_the_moves_of_the_domain():
    table = {
        name: (tuple(sorted(move.sources)), move.target)
        for name, move in transitions.TRANSITIONS.items()
    }

    assert table == {
        "submit": (("draft",), "submitted"),
        "approve": (("resubmitted", "submitted"), "approved"),
        "reject": (("resubmitted", "submitted"), "rejected"),
        "resubmit": (("rejected",), "resubmitted"),
        "pay": (("approved",), "paid"),
    }


ILLEGAL = [
    (S.DRAFT, "approve", {"approved_amount": "1"}, "索赔单当前为“草稿”,不能“登记厂家批准”。"),
    (S.DRAFT, "resubmit", {}, "索赔单当前为“草稿”,不能“修改后重新提交”。"),
    (S.SUBMITTED, "pay", {"paid_amount": "1"}, "索赔单当前为“已提交”,不能“登记厂家付款”。"),
    (S.SUBMITTED, "submit", {}, "索赔单当前为“已提交”,不能“提交厂家”。"),
    (
        S.REJECTED,
        "approve",
        {"approved_amount": "1"},
        "索赔单当前为“厂家已驳回”,不能“登记厂家批准”。",
    ),
    (S.APPROVED, "reject", {"reason": "x"}, "索赔单当前为“厂家已批准”,不能“登记厂家驳回”。"),
    (S.PAID, "pay", {"paid_amount": "1"}, "索赔单当前为“厂家已付款”,不能“登记厂家付款”。"),
]


@pytest.mark.parametrize(("start", "name", "kwargs", "message"), ILLEGAL)
@time_machine.travel(NOW, tick=False)
def test_a_move_from_the_wrong_state_is_refused_and_changes_nothing(start, name, kwargs, message):
    by = flow_user()
    claim = claim_in_state(start, by=by)
    before = _state(claim)

    with pytest.raises(ValidationError) as refused:
        _move(claim, name, by, **kwargs)

    assert refused.value.messages == [message]
    assert _state(claim) == before


@time_machine.travel(NOW, tick=False)
def test_a_claim_is_submitted_only_when_complete_and_its_order_settled():
    by = flow_user()
    order = warranty_order(WorkOrder.Status.DELIVERED, by=by)
    claim = services.claim_create(work_order=order, by=by)
    before = _state(claim)

    with pytest.raises(ValidationError) as refused:
        services.claim_transition(claim=claim, name="submit", by=by)

    assert refused.value.messages == [
        "请填写故障描述、故障原因和维修措施。",
        "请选择故障系统(三包预警按系统统计)。",
        "请填写厂家的服务令号。",
        "请为每个更换的配件填写旧件故障(旧件标签)。",
        "工单结算后才能提交索赔。",
    ]
    assert _state(claim) == before


@time_machine.travel(NOW, tick=False)
def test_a_rejection_needs_the_makers_reason():
    by = flow_user()
    claim = claim_in_state(S.SUBMITTED, by=by)
    before = _state(claim)

    with pytest.raises(ValidationError) as refused:
        services.claim_transition(claim=claim, name="reject", by=by, reason="  ")

    assert refused.value.message_dict == {"reason": ["“登记厂家驳回”必须填写原因。"]}
    assert _state(claim) == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1600.01", "批准金额不能超过索赔金额 1600.00 元。"), ("0", "批准金额须大于 0。")],
)
@time_machine.travel(NOW, tick=False)
def test_an_approved_amount_above_the_claim_or_zero_is_refused(amount, message):
    by = flow_user()
    claim = claim_in_state(S.SUBMITTED, by=by)
    before = _state(claim)

    with pytest.raises(ValidationError) as refused:
        services.claim_approve(claim=claim, by=by, approved_amount=amount)

    assert refused.value.message_dict == {"approved_amount": [message]}
    assert _state(claim) == before


@pytest.mark.parametrize(
    ("role", "name", "kwargs", "label"),
    [
        ("advisor", "submit", {}, "提交厂家"),
        ("manager", "submit", {}, "提交厂家"),
        ("advisor", "approve", {"approved_amount": "1"}, "登记厂家批准"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_only_the_warranty_clerk_moves_a_claim(role, name, kwargs, label, user_with_role):
    by = flow_user()
    start = S.DRAFT if name == "submit" else S.SUBMITTED
    claim = claim_in_state(start, by=by)
    before = _state(claim)

    with pytest.raises(ValidationError) as refused:
        _move(claim, name, user_with_role(role), **kwargs)

    assert refused.value.messages == [f"您没有“{label}”的权限。"]
    assert _state(claim) == before


@time_machine.travel(NOW, tick=False)
def test_the_warranty_clerk_role_makes_every_move(user_with_role):
    clerk = user_with_role("warranty")
    order = warranty_order(by=flow_user())

    claim = claim_in_state(S.PAID, by=clerk, order=order)

    assert [row[0] for row in _changes(claim)] == ["submit", "approve", "pay"]


@time_machine.travel(NOW, tick=False)
def test_a_submitted_claim_takes_no_more_changes_and_a_rejected_one_does():
    by = flow_user()
    submitted = claim_in_state(S.SUBMITTED, by=by)
    rejected = claim_in_state(S.REJECTED, by=by)

    with pytest.raises(ValidationError) as refused:
        fill(submitted, by=by, cause="另一个原因")
    fill(rejected, by=by, cause="冷却液不足导致水泵干磨,已补充照片")

    assert refused.value.messages == ["索赔单当前为“已提交”,不能修改。"]
    submitted.refresh_from_db()
    rejected.refresh_from_db()
    assert submitted.cause == FILLED["cause"]
    assert rejected.cause == "冷却液不足导致水泵干磨,已补充照片"


@time_machine.travel(NOW, tick=False)
def test_a_draft_made_by_mistake_is_deleted_and_its_lines_are_free_again():
    by = flow_user()
    order = warranty_order(by=by)
    draft = services.claim_create(work_order=order, by=by)
    submitted = claim_in_state(S.SUBMITTED, by=by)

    services.claim_delete(claim=draft, by=by)
    with pytest.raises(ValidationError) as refused:
        services.claim_delete(claim=submitted, by=by)
    again = services.claim_create(work_order=order, by=by)

    assert refused.value.messages == ["只有草稿状态的索赔单可以删除。"]
    assert list(WarrantyClaim.objects.order_by("id").values_list("pk", flat=True)) == [
        submitted.pk,
        again.pk,
    ]
    assert again.lines.count() == 2


@time_machine.travel(NOW, tick=False)
def test_an_imported_or_cancelled_order_is_not_claimed():
    by = flow_user()
    imported = warranty_order(by=by)
    WorkOrder.objects.filter(pk=imported.pk).update(source=WorkOrder.Source.IMPORT)
    imported.refresh_from_db()
    cancelled = warranty_order(WorkOrder.Status.CANCELLED, by=by)

    with pytest.raises(ValidationError) as from_import:
        services.claim_create(work_order=imported, by=by)
    with pytest.raises(ValidationError) as from_cancelled:
        services.claim_create(work_order=cancelled, by=by)

    assert from_import.value.messages == ["旧系统导入的工单只作为历史记录查看,不能索赔。"]
    assert from_cancelled.value.messages == ["工单已取消,不能索赔。"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_submitting_at_once_submit_once():
    by = flow_user()
    with time_machine.travel(NOW, tick=False):
        claim = claim_in_state(S.DRAFT, by=by)
    # Both load the claim as a draft (what each one's page showed), then press 提交厂家.
    copies = [WarrantyClaim.objects.get(pk=claim.pk) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def press(copy):
        try:
            barrier.wait()
            services.claim_transition(claim=copy, name="submit", by=by)
            outcomes.append("submitted")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["submitted", "索赔单状态已被他人更新(当前:已提交),请刷新后再操作。"]
    assert _changes(claim) == [("submit", S.DRAFT, S.SUBMITTED, "")]
