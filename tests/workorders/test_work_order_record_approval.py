"""The customer's per-line approval: a drawn signature (checked PNG, points, a SHA-256 over
the decided lines and the PNG) or a phone call; declined lines become recommendations that
come back at the next visit; added items (增项) need their own approval before work."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.workorders import services
from apps.workorders.models import (
    Approval,
    LineStatus,
    Recommendation,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)
from apps.workorders.selectors import open_recommendations
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import (
    SIGNATURE_POINTS,
    flow_user,
    order_in_state,
    png_bytes,
    png_data_url,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def _three_lines():
    return [
        services.NewLine(kind="labour", description="更换刹车片", quantity=1, unit_price=200),
        services.NewLine(kind="part", description="刹车片", quantity=1, unit_price=380),
        services.NewLine(kind="part", description="雨刮片", quantity=2, unit_price=45),
    ]


def _sign(order, by, *, decline=(), png=None, points=SIGNATURE_POINTS):
    lines = list(order.lines.filter(status=LineStatus.PROPOSED).order_by("id"))
    return services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions={line.pk: line.description not in decline for line in lines},
        decline_reasons={line.pk: "下次再换" for line in lines if line.description in decline},
        method=Approval.Method.SIGNATURE,
        customer_name="张伟",
        png_data_url=png_data_url(png),
        points=points,
    )


@time_machine.travel(NOW, tick=False)
def test_a_signed_approval_records_the_decided_lines_with_a_hash_over_them_and_the_png():
    by = flow_user()
    order = order_in_state(S.DRAFT, by=by, lines=_three_lines())
    png = png_bytes()

    approval = _sign(order, by, decline=("雨刮片",), png=png)

    # The lines are decided, the order approved, the declined amount out of the total
    lines = list(order.lines.order_by("id"))
    assert [(line.status, line.approval_id) for line in lines] == [
        (LineStatus.APPROVED, approval.pk),
        (LineStatus.APPROVED, approval.pk),
        (LineStatus.DECLINED, approval.pk),
    ]
    order.refresh_from_db()
    assert (order.status, order.total_amount) == (S.APPROVED, Decimal("580.00"))
    assert StatusChange.objects.get(work_order=order).transition == "approve"
    # The snapshot is what was shown, and the hash covers it and the PNG
    assert approval.lines_snapshot[2] == {
        "id": lines[2].pk,
        "kind": "part",
        "code": "",
        "description": "雨刮片",
        "quantity": "2.00",
        "unit_price": "45.00",
        "discount_percent": "0.00",
        "amount": "90.00",
        "payer": "customer",
        "decision": "declined",
        "decline_reason": "下次再换",
    }
    canonical = json.dumps(
        approval.lines_snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    assert approval.sha256 == hashlib.sha256(canonical + png).hexdigest()
    assert (approval.kind, approval.method, approval.approved_at, approval.taken_by) == (
        Approval.Kind.ESTIMATE,
        Approval.Method.SIGNATURE,
        NOW,
        by,
    )
    # The signature: the PNG in private storage, the points, its own hash
    signature = approval.signature
    with signature.png.open("rb") as file:
        assert file.read() == png
    assert (signature.signer_name, signature.points) == ("张伟", SIGNATURE_POINTS)
    assert signature.content["lines"] == approval.lines_snapshot
    assert services.approval_verify(approval)


@time_machine.travel(NOW, tick=False)
def test_approval_verify_fails_after_tampering_with_the_snapshot_or_the_lines():
    by = flow_user()
    order = order_in_state(S.DRAFT, by=by, lines=_three_lines())
    approval = _sign(order, by)
    assert services.approval_verify(approval)

    tampered = [dict(row) for row in approval.lines_snapshot]
    tampered[1]["amount"] = "38.00"
    Approval.objects.filter(pk=approval.pk).update(lines_snapshot=tampered)
    assert not services.approval_verify(Approval.objects.get(pk=approval.pk))

    Approval.objects.filter(pk=approval.pk).update(lines_snapshot=approval.lines_snapshot)
    assert services.approval_verify(Approval.objects.get(pk=approval.pk))
    WorkOrderLine.objects.filter(pk=approval.lines_snapshot[1]["id"]).update(amount=38)
    assert not services.approval_verify(Approval.objects.get(pk=approval.pk))


@pytest.mark.parametrize(
    ("data_url", "points"),
    [
        ("data:image/svg+xml;base64,PHN2Zz4=", SIGNATURE_POINTS),  # SVG: never
        (png_data_url(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20), SIGNATURE_POINTS),  # magic only
        (png_data_url(b"\xff\xd8\xff\xe0" + b"jpeg" * 20), SIGNATURE_POINTS),  # not a PNG
        ("data:image/png;base64,***", SIGNATURE_POINTS),  # not base64
        (png_data_url(png_bytes(5000, 10)), SIGNATURE_POINTS),  # wider than any pad
        (png_data_url(), []),  # no strokes
        (png_data_url(), [{"points": [{"x": "1", "y": 2}]}]),  # not numbers
    ],
    ids=["svg", "magic-only", "jpeg", "not-base64", "too-wide", "no-points", "bad-points"],
)
@time_machine.travel(NOW, tick=False)
def test_a_bad_signature_is_refused_and_nothing_is_decided(data_url, points):
    by = flow_user()
    order = order_in_state(S.DRAFT, by=by, lines=_three_lines())

    with pytest.raises(ValidationError) as refused:
        services.work_order_record_approval(
            work_order=order,
            by=by,
            decisions={line.pk: True for line in order.lines.all()},
            method=Approval.Method.SIGNATURE,
            customer_name="张伟",
            png_data_url=data_url,
            points=points,
        )

    assert list(refused.value.message_dict) == ["signature"]
    assert Approval.objects.count() == 0
    assert set(order.lines.values_list("status", flat=True)) == {LineStatus.PROPOSED}


@time_machine.travel(NOW, tick=False)
def test_a_signature_over_one_megabyte_is_refused():
    order = order_in_state(S.DRAFT)
    huge = b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024)

    with pytest.raises(ValidationError) as refused:
        _sign(order, flow_user(), png=huge)

    assert refused.value.message_dict == {"signature": ["签字图片不能超过 1 MB。"]}


@time_machine.travel(NOW, tick=False)
def test_every_proposed_line_needs_a_decision():
    by = flow_user()
    order = order_in_state(S.DRAFT, by=by, lines=_three_lines())
    first = order.lines.order_by("id").first()

    with pytest.raises(ValidationError) as refused:
        services.work_order_record_approval(
            work_order=order,
            by=by,
            decisions={first.pk: True},
            method=Approval.Method.PHONE,
            customer_name="张伟",
            phone_number="13800000000",
        )

    assert refused.value.messages == [
        "请对每一个待确认项目选择同意或不同意(页面可能已过期,请刷新)。"
    ]


@time_machine.travel(NOW, tick=False)
def test_declining_everything_keeps_the_order_in_draft():
    by = flow_user()
    order = order_in_state(S.DRAFT, by=by, lines=_three_lines())

    _sign(order, by, decline=("更换刹车片", "刹车片", "雨刮片"))

    order.refresh_from_db()
    assert (order.status, order.total_amount) == (S.DRAFT, Decimal("0.00"))
    assert StatusChange.objects.count() == 0
    assert Recommendation.objects.filter(source_work_order=order).count() == 3


@time_machine.travel(NOW, tick=False)
def test_a_declined_line_comes_back_at_the_next_visit_as_a_recommendation():
    by = flow_user()
    first = order_in_state(S.DRAFT, by=by, lines=_three_lines())
    _sign(first, by, decline=("雨刮片",))

    # At the next reception of the same car, the declined line is offered with its price
    second = order_in_state(S.DRAFT, by=by, vehicle=first.vehicle, lines=[])
    (offered,) = open_recommendations(first.vehicle)
    assert (
        offered.description,
        offered.quantity,
        offered.unit_price,
        offered.amount,
        offered.reason,
        offered.source_work_order,
    ) == ("雨刮片", Decimal("2.00"), Decimal("45.00"), Decimal("90.00"), "下次再换", first)

    # and one tap adds it to the new order
    line = services.recommendation_accept(recommendation=offered, work_order=second, by=by)

    assert (line.description, line.amount, line.status, line.from_recommendation) == (
        "雨刮片",
        Decimal("90.00"),
        LineStatus.PROPOSED,
        offered,
    )
    assert open_recommendations(first.vehicle) == []
    with pytest.raises(ValidationError) as refused:  # a second tap adds nothing
        services.recommendation_accept(recommendation=offered, work_order=second, by=by)
    assert refused.value.messages == ["该建议项目已被处理,请刷新页面。"]
    assert second.lines.count() == 1

    # Removing the line gives the recommendation back
    services.line_remove(line=line, by=by)
    assert open_recommendations(first.vehicle) == [offered]


@time_machine.travel(NOW, tick=False)
def test_a_recommendation_is_dismissed_with_a_reason():
    by = flow_user()
    order = order_in_state(S.APPROVED, by=by, declined=1)
    (recommendation,) = open_recommendations(order.vehicle)

    with pytest.raises(ValidationError):
        services.recommendation_dismiss(recommendation=recommendation, by=by, reason=" ")
    services.recommendation_dismiss(recommendation=recommendation, by=by, reason="已在外面换过")

    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.reason, recommendation.closed_at) == (
        Recommendation.Status.DISMISSED,
        "下次再做;撤销:已在外面换过",
        NOW,
    )
    assert open_recommendations(order.vehicle) == []


@time_machine.travel(NOW, tick=False)
def test_an_added_item_needs_its_own_approval_before_work_starts(user_with_role):
    by = flow_user()
    technician = user_with_role("technician")
    order = order_in_state(S.IN_PROGRESS, by=by)

    # The technician finds a worn belt: the advisor adds it
    (belt,) = services.work_order_add_lines(
        work_order=order,
        by=by,
        lines=[services.NewLine(kind="part", description="发电机皮带", quantity=1, unit_price=150)],
    )
    assert (belt.is_added, belt.status) == (True, LineStatus.PROPOSED)

    # Work on it is refused until the customer approves it
    with pytest.raises(ValidationError) as refused:
        services.line_mark_done(line=belt, by=technician)
    assert refused.value.messages == ["增项尚未经客户确认,不能开工。"]
    assert WorkOrderLine.objects.get(pk=belt.pk).done_at is None

    # The customer approves it by phone
    approval = services.work_order_record_approval(
        work_order=order,
        by=by,
        decisions={belt.pk: True},
        method=Approval.Method.PHONE,
        customer_name="张伟",
        phone_number=" 13800000000 ",
        phone_note="客户同意更换",
    )
    assert (
        approval.kind,
        approval.method,
        approval.taken_by,
        approval.phone_number,
        approval.phone_note,
        approval.signature,
    ) == (Approval.Kind.ADDED, Approval.Method.PHONE, by, "13800000000", "客户同意更换", None)
    assert services.approval_verify(approval)
    assert WorkOrder.objects.get(pk=order.pk).status == S.IN_PROGRESS

    belt.refresh_from_db()
    services.line_mark_done(line=belt, by=technician)
    assert WorkOrderLine.objects.get(pk=belt.pk).done_by == technician


@time_machine.travel(NOW, tick=False)
def test_a_phone_approval_needs_the_number_called():
    order = order_in_state(S.DRAFT)

    with pytest.raises(ValidationError) as refused:
        services.work_order_record_approval(
            work_order=order,
            by=flow_user(),
            decisions={line.pk: True for line in order.lines.all()},
            method=Approval.Method.PHONE,
            customer_name="张伟",
        )

    assert refused.value.message_dict == {"phone_number": ["电话确认须填写所拨打的号码。"]}
