"""A technician's proposed added item (services_floor.proposed_item_create) and the
advisor's answer (proposed_item_add_lines / proposed_item_decline): the photo checked and
kept privately; the lines it becomes wait for the customer, block the proposing job until
approved, then count in its standard hours."""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.workorders import services as work_orders
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine
from apps.workshop import services_floor as floor
from apps.workshop.models import CheckItem, Job, JobLine, ProposedItem
from tests.factories.workorders import png_bytes
from tests.workshop.floor import all_ticked, at, dispatched_order, job_for, role_user, technician

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def _photo(data: bytes | None = None, name: str = "brake.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or png_bytes(), content_type="image/png")


@pytest.fixture
def working():
    """An order in progress: the technician started its one job."""
    with time_machine.travel(at(9), tick=False):
        order = dispatched_order()
        tech = technician()
        job = job_for(order, tech)
        floor.job_start(job=job, by=tech.user)
    return order, tech, job


def _wiper_line() -> work_orders.NewLine:
    return work_orders.NewLine(
        kind=WorkOrderLine.Kind.LABOUR,
        description="更换前刹车片",
        quantity=Decimal("1.50"),
        unit_price=Decimal("200.00"),
    )


@time_machine.travel(at(9, 30), tick=False)
def test_a_technician_proposes_an_added_item_with_a_photo_kept_privately(working, tmp_path):
    order, tech, job = working

    item = floor.proposed_item_create(
        job=job, by=tech.user, description="前刹车片磨损到极限", note="剩余 2 mm", photo=_photo()
    )

    assert (item.status, item.work_order, item.proposed_by) == (
        ProposedItem.Status.PROPOSED,
        order,
        tech,
    )
    assert (item.description, item.note) == ("前刹车片磨损到极限", "剩余 2 mm")
    assert item.photo.name.startswith("proposals/2026/07/") and item.photo.name.endswith(".png")
    assert (tmp_path / "private" / item.photo.name).read_bytes() == png_bytes()


@time_machine.travel(at(9, 30), tick=False)
def test_a_photo_that_is_not_an_image_or_no_description_is_refused_and_nothing_is_kept(working):
    _order, tech, job = working

    with pytest.raises(ValidationError) as not_an_image:
        floor.proposed_item_create(
            job=job, by=tech.user, description="刹车片", photo=_photo(b"<svg onload=x>", "a.png")
        )
    with pytest.raises(ValidationError) as no_description:
        floor.proposed_item_create(job=job, by=tech.user, description="  ")
    with pytest.raises(ValidationError) as not_theirs:
        floor.proposed_item_create(job=job, by=technician().user, description="刹车片")

    assert not_an_image.value.message_dict == {"photo": [floor.PROPOSAL_PHOTO_BROKEN]}
    assert no_description.value.message_dict == {"description": ["请填写建议项目。"]}
    assert not_theirs.value.messages == ["这不是派给您的作业。"]
    assert not ProposedItem.objects.exists()


def test_the_proposal_becomes_an_added_item_that_blocks_the_job_until_the_customer_approves(
    working,
):
    order, tech, job = working
    advisor = order.advisor
    with time_machine.travel(at(9, 30), tick=False) as traveller:
        floor.job_pause(job=job, by=tech.user, reason=Job.PauseReason.APPROVAL)
        item = floor.proposed_item_create(job=job, by=tech.user, description="前刹车片磨损")

        (line,) = floor.proposed_item_add_lines(item=item, by=advisor, new_lines=[_wiper_line()])
        with pytest.raises(ValidationError) as blocked:
            floor.job_resume(job=job, by=tech.user)
        traveller.move_to(at(9, 45))
        work_orders.work_order_record_approval(
            work_order=order,
            by=advisor,
            decisions={line.pk: True},
            method="phone",
            customer_name=order.customer.name,
            phone_number=order.customer.mobile,
        )
        floor.job_resume(job=job, by=tech.user)
        traveller.move_to(at(10, 45))
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))

    item.refresh_from_db()
    line.refresh_from_db()
    assert (item.status, item.decided_by, list(item.lines.all())) == (
        ProposedItem.Status.ADDED,
        advisor,
        [line],
    )
    assert (line.status, line.is_added) == (LineStatus.APPROVED, True)
    assert JobLine.objects.filter(job=job, line=line, active=True).exists()
    assert blocked.value.messages == ["增项“更换前刹车片”尚未经客户确认,不能开工。"]
    job.refresh_from_db()
    order.refresh_from_db()
    # 1.00 h dispatched + 1.50 h added and approved; 09:00–09:30 and 09:45–10:45 worked.
    assert (job.standard_hours, job.worked_seconds) == (Decimal("2.50"), 90 * 60)
    assert line.done_at == at(10, 45)
    assert order.status == S.SELF_CHECKED


@time_machine.travel(at(9, 30), tick=False)
def test_an_added_item_the_customer_declines_leaves_the_job_free_and_out_of_its_hours(working):
    order, tech, job = working
    item = floor.proposed_item_create(job=job, by=tech.user, description="空调滤芯脏")
    (line,) = floor.proposed_item_add_lines(
        item=item,
        by=order.advisor,
        new_lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.LABOUR, description="清洗空调", quantity=1, unit_price=150
            )
        ],
    )
    work_orders.work_order_record_approval(
        work_order=order,
        by=order.advisor,
        decisions={line.pk: False},
        decline_reasons={line.pk: "下次再做"},
        method="phone",
        customer_name=order.customer.name,
        phone_number=order.customer.mobile,
    )

    floor.job_finish(job=job, by=tech.user, answers=all_ticked(CheckItem.Kind.SELF, job=job))

    job.refresh_from_db()
    line.refresh_from_db()
    assert (job.status, job.standard_hours) == (Job.Status.FINISHED, Decimal("1.00"))
    assert (line.status, line.done_at) == (LineStatus.DECLINED, None)


@time_machine.travel(at(9, 30), tick=False)
def test_the_advisor_may_take_an_added_item_already_put_on_the_order_from_the_catalogue(working):
    order, tech, job = working
    item = floor.proposed_item_create(job=job, by=tech.user, description="雨刮片老化")
    (from_catalogue,) = work_orders.work_order_add_lines(
        work_order=order,
        by=order.advisor,
        lines=[
            work_orders.NewLine(
                kind=WorkOrderLine.Kind.PART, description="雨刮片", quantity=2, unit_price=45
            )
        ],
    )

    lines = floor.proposed_item_add_lines(item=item, by=order.advisor, existing=[from_catalogue])
    second = floor.proposed_item_create(job=job, by=tech.user, description="雨刮片")
    with pytest.raises(ValidationError) as taken:
        floor.proposed_item_add_lines(item=second, by=order.advisor, existing=[from_catalogue])

    assert lines == [from_catalogue]
    assert taken.value.messages == ["“雨刮片”已属于另一条增项建议。"]
    assert ProposedItem.objects.get(pk=second.pk).status == ProposedItem.Status.PROPOSED


@time_machine.travel(at(9, 30), tick=False)
def test_the_advisor_declines_a_proposal_with_a_reason_and_decides_it_once(working):
    order, tech, job = working
    item = floor.proposed_item_create(job=job, by=tech.user, description="轮胎花纹浅")

    with pytest.raises(ValidationError) as no_reason:
        floor.proposed_item_decline(item=item, by=order.advisor, reason="")
    floor.proposed_item_decline(item=item, by=order.advisor, reason="上月刚换过,技师看错车")
    with pytest.raises(ValidationError) as twice:
        floor.proposed_item_add_lines(item=item, by=order.advisor, new_lines=[_wiper_line()])
    with pytest.raises(ValidationError) as not_an_advisor:
        floor.proposed_item_decline(item=item, by=role_user("qc"), reason="x")

    item.refresh_from_db()
    assert (item.status, item.decline_reason, item.decided_by) == (
        ProposedItem.Status.DECLINED,
        "上月刚换过,技师看错车",
        order.advisor,
    )
    assert no_reason.value.message_dict == {"reason": ["请填写不采纳的原因。"]}
    assert twice.value.messages == ["该增项建议已处理(顾问未采纳)。"]
    assert not_an_advisor.value.messages == ["您没有“处理增项”的权限。"]
    assert order.lines.count() == 2  # nothing added
