"""Issue 9 "Done when", the workshop part, in Chromium: a car booked for this morning's
first slot arrives and is received with the booked canned job (the appointment services;
the booking pages have their own browser test, test_appointments.py), the customer
approves the estimate by phone; then in the browser the supervisor dispatches it by skill
on the 派工看板; the technician, on a touch tablet, starts, pauses for parts, resumes,
proposes an added item with a photo and pauses for the customer's approval; the advisor
adds it to the order and records the customer's approval; the technician resumes and
finishes with the self-check; the team lead checks; QC fails it once (the job comes back
as rework), the technician does the rework, the lead and QC pass it; the car is washed,
released, and the advisor sees it ready on 我的工单. A 车间看板 open on a big screen the
whole time shows each step by its own refresh, never reloaded.

Screenshots: docs/screenshots/floor-*.png (and var/screenshots/). Browser tests keep the
real clock; the booking and the arrival happen at the first slot of today on the server's
clock (time-machine, before the browser starts), so the order is received today.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from apps.appointments import services as appointments
from apps.appointments.selectors import Rules, day_slots
from apps.workorders import services as work_orders
from apps.workorders.models import LineStatus, WorkOrder, WorkOrderLine
from apps.workshop import views_board
from apps.workshop.models import Check, CheckItem, Job, JobClock, ProposedItem
from tests.e2e.conftest import DESKTOP, TABLET
from tests.factories.clock import local_datetime
from tests.factories.customers import CustomerFactory, VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.workorders import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    png_bytes,
)
from tests.factories.workshop import BayFactory, TeamFactory, TechnicianFactory, skill

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"
MODEL = "速腾 2023款 300TSI"
PLATE = "粤B12345"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def quick_board(monkeypatch):
    """The board refreshes every second (10 s in production) so the test waits less."""
    monkeypatch.setattr(views_board, "JOB_BOARD_REFRESH_SECONDS", 1)


def _shot(page, name: str, screenshot) -> None:
    screenshot(page, f"floor-{name}")
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS / f"floor-{name}.png", full_page=True)


@pytest.fixture
def floor(role_user):
    """The shop: a 保养 team led by 张组长 with 王师傅 (保养) and a 钣金 technician 李师傅;
    bay B01 for 保养; the 10,000 km service (1.0 h of labour, an oil filter) whose labour
    operation needs 保养."""
    service = LabourOperationFactory(code="BY-10K", name="10000公里保养工时", standard_hours=1)
    skill("maintenance").operations.add(service)
    job = CannedJobFactory(name="10000公里保养", model_name=MODEL, mileage=10_000)
    CannedJobLineFactory(canned_job=job, labour_operation=service, position=1)
    CannedJobLineFactory(
        canned_job=job,
        kind=WorkOrderLine.Kind.PART,
        labour_operation=None,
        part=PartFactory(number="06L115562", name="机油滤清器", price=45),
        quantity=Decimal(1),
        position=2,
    )
    lead = role_user("technician", display_name="张组长")
    team = TeamFactory(name="机修一组", lead=lead)
    TechnicianFactory(user=lead, team=team, skills=["maintenance"])
    wang = role_user("technician", display_name="王师傅")
    TechnicianFactory(user=wang, team=team, skills=["maintenance", "tyre"])
    li = role_user("technician", display_name="李师傅")
    TechnicianFactory(user=li, team=TeamFactory(name="钣喷组"), skills=["body"])
    return {
        "canned_job": job,
        "lead": lead,
        "wang": wang,
        "li": li,
        "bay": BayFactory(code="B01", name="保养工位", skill=skill("maintenance")),
        "advisor": role_user("advisor", display_name="周服务"),
        "supervisor": role_user("supervisor", display_name="郑主任"),
        "qc": role_user("qc", display_name="冯质检"),
    }


def _received_and_approved(floor) -> WorkOrder:
    """粤B12345 booked for today's first slot an hour before it, received five minutes into
    it with the booked 10,000 km service, and approved by the customer on the phone."""
    advisor = floor["advisor"]
    car = VehicleFactory(
        plate=PLATE,
        model_name=MODEL,
        mileage=9_000,
        owner=CustomerFactory(name="王建国", mobile="13912345678"),
    )
    today = timezone.localdate()
    first = day_slots(Rules.now())[0]
    slot = local_datetime(today, first.hour).replace(minute=first.minute)
    with time_machine.travel(slot - dt.timedelta(hours=1), tick=False):
        booked = appointments.appointment_book(
            vehicle=car,
            by=advisor,
            day=today,
            starts_at=first,
            advisor=advisor,
            canned_jobs=[floor["canned_job"]],
        )
    with time_machine.travel(slot + dt.timedelta(minutes=5), tick=False):
        order = appointments.appointment_receive(
            appointment=booked,
            by=advisor,
            kind=WorkOrder.Kind.MAINTENANCE,
            mileage=10_100,
            promised_at=timezone.now() + dt.timedelta(hours=20),
            customer_words="做一万公里保养",
        ).work_order
        work_orders.work_order_record_approval(
            work_order=order,
            by=advisor,
            decisions={line.pk: True for line in order.lines.all()},
            method="phone",
            customer_name="王建国",
            phone_number="13912345678",
        )
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.APPROVED
    return order


def _open_menu(page, group: str, item: str) -> None:
    page.locator("nav").get_by_role("button", name=group).click()
    page.locator("nav").get_by_role("link", name=item).click()


def test_the_floor_takes_a_received_car_from_dispatch_through_rework_to_ready(
    live_server, new_page, log_in, screenshot, floor
):
    order = _received_and_approved(floor)
    wang = floor["wang"]

    # The 车间看板 on the supervisor's big screen, left open: a mark set in the page's
    # window stays there only while the page is never reloaded.
    board = new_page(DESKTOP)
    log_in(board, floor["supervisor"])
    _open_menu(board, "车间", "车间看板")
    board.evaluate("window.floorTestMark = 'never reloaded'")
    wang_row = board.locator("tr", has=board.get_by_text("王师傅", exact=True))
    expect(wang_row).to_contain_text("空闲")

    def board_shows(*texts: str) -> None:
        for text in texts:
            expect(wang_row).to_contain_text(text)
        assert board.evaluate("window.floorTestMark") == "never reloaded"

    # 派工看板: the order needs 保养; 李师傅 (钣金) is marked as lacking it; 王师傅 gets it.
    desk = board.context.new_page()
    desk.goto(f"{live_server.url}/workshop/dispatch/")
    card = desk.locator(f"#order-{order.pk}")
    expect(card).to_contain_text("需要技能:保养")
    li_option = card.locator(f"#technician-{order.pk} option", has_text="李师傅")
    expect(li_option).to_contain_text("无此技能")
    card.locator(f"#technician-{order.pk}").select_option(value=str(wang.technician.pk))
    card.locator(f"#bay-{order.pk}").select_option(value=str(floor["bay"].pk))
    _shot(desk, "dispatch", screenshot)
    card.get_by_role("button", name="派工").click()
    expect(desk.locator(f"#order-{order.pk}")).to_contain_text("王师傅")
    job = Job.objects.get(work_order=order)
    assert (job.technician.user, job.skill.code) == (wang, "maintenance")
    board_shows("待开工", PLATE)

    # The technician's tablet: 我的作业 → 开工.
    tablet = new_page(TABLET, has_touch=True)
    log_in(tablet, wang)
    _open_menu(tablet, "车间", "我的作业")
    job_card = tablet.locator(f"#job-{job.pk}")
    expect(job_card).to_contain_text(PLATE)
    expect(job_card).to_contain_text("标准 1.00 h")
    _shot(tablet, "my-jobs", screenshot)
    job_card.get_by_role("button", name="开工").click()
    expect(tablet.get_by_role("alert").first).to_contain_text("已开工")
    board_shows("作业中")

    # Paused for parts, resumed.
    tablet.locator("#job-actions").get_by_role("link", name="暂停").click()
    tablet.locator("#pause-form").get_by_text("等待配件").click()
    tablet.locator("#pause-form").get_by_label("说明").fill("等机滤到货")
    _shot(tablet, "pause", screenshot)
    tablet.locator("#pause-form").get_by_role("button", name="确认暂停").click()
    expect(tablet.locator("#job-status")).to_contain_text("暂停·等待配件")
    board_shows("等待配件")
    _shot(board, "job-board-parts", screenshot)
    tablet.locator("#resume").click()
    expect(tablet.locator("#job-status")).to_contain_text("作业中")
    board_shows("作业中")

    # A worn brake pad seen on the lift: proposed with a photo; paused for the approval.
    propose = tablet.locator("#propose-form")
    propose.get_by_label("建议项目").fill("前刹车片磨损到极限")
    propose.get_by_label("说明").fill("剩余 2 mm,建议更换")
    propose.get_by_label("照片").set_input_files(
        {"name": "brake.png", "mimeType": "image/png", "buffer": png_bytes(640, 480)}
    )
    propose.get_by_role("button", name="提交给服务顾问").click()
    expect(tablet.locator("#proposals")).to_contain_text("待顾问处理")
    tablet.locator("#job-actions").get_by_role("link", name="暂停").click()
    tablet.locator("#pause-form").get_by_text("等待客户确认").click()
    tablet.locator("#pause-form").get_by_role("button", name="确认暂停").click()
    board_shows("等待客户确认")

    # The advisor: 我的工单 says a proposal waits; on the order it becomes an added line,
    # which the customer approves on the phone.
    desk_tablet = new_page(TABLET)
    log_in(desk_tablet, floor["advisor"])
    _open_menu(desk_tablet, "工单", "我的工单")
    waiting = desk_tablet.locator("#home-proposals")
    expect(waiting).to_contain_text("技师增项建议待处理(1)")
    waiting.get_by_role("link", name=PLATE).click()
    proposal = desk_tablet.locator("#proposals")
    expect(proposal.locator("img.proposal-photo")).to_be_visible()
    item = ProposedItem.objects.get()
    prefix = f"#id_proposal{item.pk}-"
    desk_tablet.locator(prefix + "description").fill("更换前刹车片")
    desk_tablet.locator(prefix + "quantity").fill("1.5")
    desk_tablet.locator(prefix + "unit_price").fill("200")
    _shot(desk_tablet, "proposal-on-order", screenshot)
    proposal.get_by_role("button", name="加入工单,请客户确认").click()
    approval = desk_tablet.locator("#approval-form")
    expect(approval).to_contain_text("更换前刹车片")
    approval.get_by_text("电话确认", exact=True).click()  # the line is 同意 by default
    approval.get_by_label("联系电话").fill("13912345678")
    approval.get_by_role("button", name="记录客户确认").click()
    expect(desk_tablet.get_by_role("alert").first).to_contain_text("已记录客户确认")
    added = order.lines.get(description="更换前刹车片")
    assert (added.status, added.is_added) == (LineStatus.APPROVED, True)

    # The technician resumes and finishes: the self-check, every item ticked.
    tablet.reload()
    tablet.locator("#resume").click()
    expect(tablet.locator("#job-status")).to_contain_text("作业中")
    expect(tablet.locator("#lines")).to_contain_text("更换前刹车片")

    def finish() -> None:
        tablet.locator("#job-actions").get_by_role("link", name="自检完工").click()
        checklist = tablet.locator("#finish-form")
        for box in checklist.locator("input[type=checkbox]").all():
            box.check()
        _shot(tablet, "self-check", screenshot)
        checklist.get_by_role("button", name="自检并完工").click()
        expect(tablet.get_by_role("alert").first).to_contain_text("自检合格,已完工")

    finish()
    board_shows("空闲")
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.SELF_CHECKED

    # The team lead's check.
    lead = new_page(TABLET, has_touch=True)
    log_in(lead, floor["lead"])

    def lead_passes() -> None:
        _open_menu(lead, "车间", "班组检验")
        lead.locator("#to-check").get_by_role("link", name="检验").click()
        for box in lead.locator("#check-form input[name^=item_]").all():
            box.check()
        lead.get_by_role("button", name="检验合格").click()
        expect(lead.get_by_role("alert").first).to_contain_text("班组长检验合格")

    lead_passes()

    # Final QC fails it once: the job goes back to 王师傅 as rework, with the reason.
    qc = new_page(TABLET)
    log_in(qc, floor["qc"])
    _open_menu(qc, "车间", "终检")
    qc.locator("#to-check").get_by_role("link", name="终检").click()
    qc.get_by_label("不合格原因").fill("仪表保养提示未复位")
    _shot(qc, "final-check", screenshot)
    qc.get_by_role("button", name="不合格,返工").click()
    expect(qc.get_by_role("alert").first).to_contain_text("终检不合格,已退回返工")
    board_shows("返工", "待开工")

    tablet.goto(f"{live_server.url}/workshop/my-jobs/")
    rework = tablet.locator(f"#job-{job.pk}")
    expect(rework).to_contain_text("返工")
    rework.get_by_role("button", name="开工").click()
    board_shows("作业中")
    expect(tablet.locator("#checks")).to_contain_text("仪表保养提示未复位")
    finish()
    board_shows("空闲")

    # The rework passes the lead and the final QC; the car is washed and released.
    lead_passes()
    _open_menu(qc, "车间", "终检")
    qc.locator("#to-check").get_by_role("link", name="终检").click()
    for box in qc.locator("#check-form input[name^=item_]").all():
        box.check()
    qc.get_by_role("button", name="检验合格").click()
    expect(qc.get_by_role("alert").first).to_contain_text("终检合格")
    tablet.goto(f"{live_server.url}/workshop/my-jobs/")
    tablet.locator("#to-wash").get_by_role("button", name="洗车完成").click()
    expect(tablet.get_by_role("alert").first).to_contain_text("洗车完成")
    qc.reload()
    qc.locator("#to-release").get_by_role("button", name="转为待交车").click()
    expect(qc.get_by_role("alert").first).to_contain_text("已转待交车")

    # The advisor is told: the car is on 我的工单's highlighted 待交车 list.
    _open_menu(desk_tablet, "工单", "我的工单")
    ready = desk_tablet.locator("#home-ready")
    expect(ready).to_contain_text("车间已完工,待交车(1)")
    expect(ready).to_contain_text("转待交车")
    _shot(desk_tablet, "advisor-ready", screenshot)
    assert board.evaluate("window.floorTestMark") == "never reloaded"

    order.refresh_from_db()
    job.refresh_from_db()
    assert order.status == WorkOrder.Status.READY
    assert (job.status, job.is_rework, job.standard_hours) == (
        Job.Status.FINISHED,
        True,
        Decimal("2.50"),  # 1.0 h booked + 1.5 h added on the floor
    )
    assert list(
        JobClock.objects.filter(job=job).order_by("started_at").values_list("end_reason", flat=True)
    ) == ["parts", "approval", "finish", "finish"]
    checks = list(Check.objects.order_by("at", "id").values_list("kind", "passed"))
    assert checks == [
        (CheckItem.Kind.SELF, True),
        (CheckItem.Kind.TEAM, True),
        (CheckItem.Kind.FINAL, False),
        (CheckItem.Kind.SELF, True),
        (CheckItem.Kind.TEAM, True),
        (CheckItem.Kind.FINAL, True),
    ]
    moves = list(order.status_changes.order_by("at", "id").values_list("transition", flat=True))
    assert moves == [
        "approve",
        "dispatch",
        "start",
        "self_check",
        "team_check",
        "rework",
        "self_check",
        "team_check",
        "final_qc",
        "wash",
        "ready",
    ]
