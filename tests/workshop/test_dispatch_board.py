"""The dispatch board (派工看板): the queue in priority order, each technician's load at a
fixed clock, dispatch / reassign / take back through the page, the skill confirmation, and
a query count that does not grow with the orders on the board."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.workorders import services
from apps.workorders.models import WorkOrder, WorkOrderLine
from apps.workshop import selectors_dispatch, services_dispatch
from apps.workshop.models import Job, JobAssignment, JobClock
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import LabourOperationFactory, order_in_state
from tests.factories.workshop import (
    BayFactory,
    TechnicianFactory,
    dispatched_order,
    labour_lines,
    skill,
    supervisor,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 1, 14, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status


def _labour(description, hours="1.0", operation=None):
    return services.NewLine(
        kind=WorkOrderLine.Kind.LABOUR,
        description=description,
        quantity=Decimal(hours),
        unit_price=Decimal("200.00"),
        labour_operation=operation,
    )


def _approved(description: str, *, promised: dt.datetime | None, waiting=False) -> WorkOrder:
    order = order_in_state(S.APPROVED, lines=[_labour(description)], promised_at=promised)
    if waiting:
        WorkOrder.objects.filter(pk=order.pk).update(customer_waiting=True)
    return order


def _rework_waiting() -> WorkOrder:
    """An order back in 维修中 after a failed check, its job reopened as rework (the state
    the checks service leaves; written here directly)."""
    order, job = dispatched_order(promised_at=NOW + dt.timedelta(hours=5))
    WorkOrder.objects.filter(pk=order.pk).update(status=S.IN_PROGRESS)
    Job.objects.filter(pk=job.pk).update(is_rework=True, status=Job.Status.ASSIGNED)
    return order


@time_machine.travel(NOW, tick=False)
def test_the_queue_puts_rework_first_then_the_promise_then_waiting_customers():
    noon = NOW + dt.timedelta(hours=2)
    later = _approved("晚承诺", promised=noon)
    no_promise = _approved("未约定", promised=None)
    waiting = _approved("客户在店", promised=noon, waiting=True)
    early = _approved("早承诺", promised=NOW + dt.timedelta(hours=1))
    rework = _rework_waiting()
    order_in_state(S.DRAFT)  # not approved: not on the board
    dispatched_order()  # every labour line has a job: not on the board

    queue = selectors_dispatch.dispatch_queue()

    assert [order.pk for order in queue] == [
        rework.pk,
        early.pk,
        waiting.pk,
        later.pk,
        no_promise.pk,
    ]
    assert [order.has_rework for order in queue] == [True, False, False, False, False]


@time_machine.travel(NOW, tick=False)
def test_an_order_that_came_by_appointment_comes_after_waiting_customers_before_others():
    # Runs once the appointments app (Appointment.work_order, related_name "appointment")
    # is merged; until then the board reads no appointment (dispatch_board_orders).
    appointments = pytest.importorskip("tests.factories.appointments")
    noon = NOW + dt.timedelta(hours=2)
    walk_in = _approved("未预约", promised=noon)
    booked = _approved("预约", promised=noon)
    waiting = _approved("客户在店", promised=noon, waiting=True)
    appointment = appointments.appointment_row(
        at=NOW - dt.timedelta(hours=1),
        status="arrived",
        advisor_user=appointments.advisor(),
        vehicle=booked.vehicle,
    )
    appointment.work_order = booked
    appointment.save(update_fields=["work_order"])

    queue = selectors_dispatch.dispatch_queue()

    assert [order.pk for order in queue] == [waiting.pk, booked.pk, walk_in.pk]
    assert [order.has_appointment for order in queue] == [False, True, False]


@time_machine.travel(NOW, tick=False)
def test_the_queue_shows_a_partly_dispatched_order_with_the_lines_still_waiting():
    order = order_in_state(S.APPROVED, lines=[_labour("换刹车片"), _labour("四轮定位")])
    first, second = labour_lines(order)
    services_dispatch.job_dispatch(
        work_order=order, lines=[first], technician=TechnicianFactory(), bay=None, by=supervisor()
    )

    [queued] = selectors_dispatch.dispatch_queue()

    assert queued.pk == order.pk
    assert queued.status == S.APPROVED
    assert [line.pk for line in queued.lines_waiting] == [second.pk]
    assert [job.lines.get().pk for job in queued.live_jobs] == [first.pk]


@time_machine.travel(NOW, tick=False)
def test_an_added_item_approved_on_the_floor_comes_back_to_the_board():
    order, _job = dispatched_order()
    WorkOrder.objects.filter(pk=order.pk).update(status=S.IN_PROGRESS)
    order.refresh_from_db()
    [added] = services.work_order_add_lines(
        work_order=order, by=order.advisor, lines=[_labour("补胎", "0.5")]
    )
    WorkOrderLine.objects.filter(pk=added.pk).update(status="approved")

    [queued] = selectors_dispatch.dispatch_queue()

    assert [line.pk for line in queued.lines_waiting] == [added.pk]


# --- load ---------------------------------------------------------------------------------------


def _job(technician, *, status, hours, worked_seconds=0, open_since=None):
    order, job = dispatched_order(technician=technician)
    Job.objects.filter(pk=job.pk).update(
        status=status, standard_hours=Decimal(hours), worked_seconds=worked_seconds
    )
    if open_since:
        JobClock.objects.create(job=job, technician=technician, started_at=open_since)
    return job


@time_machine.travel(NOW, tick=False)
def test_a_technicians_load_counts_open_jobs_hours_left_and_what_is_left_of_the_day():
    # The dealership works 08:30-18:00 (the settings' defaults): at 14:00, 4 of 9.5 hours left.
    technician = TechnicianFactory()
    _job(
        technician,
        status=Job.Status.IN_PROGRESS,
        hours="2.0",
        worked_seconds=1800,
        open_since=NOW - dt.timedelta(minutes=30),
    )  # worked 1 h of 2: 1 h left
    _job(technician, status=Job.Status.ASSIGNED, hours="1.5")  # 1.5 h left
    _job(technician, status=Job.Status.PAUSED, hours="1.0", worked_seconds=4000)  # over: 0 left
    _job(technician, status=Job.Status.FINISHED, hours="3.0")  # done: not counted
    _job(technician, status=Job.Status.CANCELLED, hours="3.0")  # taken back: not counted
    afternoon = TechnicianFactory(starts_at=dt.time(13, 0), ends_at=dt.time(17, 0))

    loads = selectors_dispatch.technician_loads([technician, afternoon], now=NOW)

    load = loads[technician.pk]
    assert (load.assigned, load.left, load.jobs) == (Decimal("4.5"), Decimal("2.5"), 3)
    assert (load.shift, load.shift_left, load.free) == (
        Decimal("9.5"),
        Decimal("4.0"),
        Decimal("1.5"),
    )
    assert load.percent == 62
    assert not load.overloaded
    assert len(load.working_on) == 1
    idle = loads[afternoon.pk]
    assert (idle.assigned, idle.left, idle.shift, idle.shift_left) == (
        Decimal(0),
        Decimal(0),
        Decimal("4.0"),
        Decimal("3.0"),
    )


@time_machine.travel(dt.datetime(2026, 7, 1, 17, 30, tzinfo=SHANGHAI), tick=False)
def test_work_left_beyond_the_end_of_the_day_is_an_overload():
    technician = TechnicianFactory()
    _job(technician, status=Job.Status.ASSIGNED, hours="2.0")

    load = selectors_dispatch.technician_loads([technician], now=NOW.replace(hour=17, minute=30))[
        technician.pk
    ]

    assert (load.left, load.shift_left, load.overloaded, load.percent) == (
        Decimal("2.0"),
        Decimal("0.5"),
        True,
        100,
    )


# --- the page -----------------------------------------------------------------------------------


def _brake_order():
    operation = LabourOperationFactory(name="更换刹车片(前)", standard_hours=Decimal("1.2"))
    skill("mechanical").operations.add(operation)
    return order_in_state(S.APPROVED, lines=[_labour("更换刹车片(前)", "1.2", operation)])


@time_machine.travel(NOW, tick=False)
def test_the_board_lists_the_order_with_the_skill_it_needs_and_technicians_with_their_load(
    role_client,
):
    order = _brake_order()
    mechanic = TechnicianFactory(skills=["mechanical"], user__display_name="李机修")
    TechnicianFactory(skills=["paint"], user__display_name="王喷漆")

    response = role_client("supervisor").get(reverse("workshop:dispatch_board"))

    page = response.content.decode()
    assert response.status_code == 200
    assert order.number in page
    assert "需要技能:<strong>机修</strong>" in page
    # the technician with the skill first; the other marked
    assert page.index(f'<option value="{mechanic.pk}">李机修') < page.index("王喷漆")
    assert "王喷漆(无此技能) · " in page
    assert "今日余 4h / 9.5h" in page


@time_machine.travel(NOW, tick=False)
def test_the_supervisor_dispatches_on_the_board_and_the_order_leaves_the_queue(role_client):
    order = _brake_order()
    mechanic = TechnicianFactory(skills=["mechanical"])
    bay = BayFactory()
    client = role_client("supervisor")

    response = client.post(
        reverse("workshop:dispatch", args=[order.pk]),
        {
            "lines": [line.pk for line in labour_lines(order)],
            "technician": mechanic.pk,
            "bay": bay.pk,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("workshop:dispatch_board") + f"#order-{order.pk}"
    job = Job.objects.get()
    assert (job.technician, job.bay, job.skill) == (mechanic, bay, skill("mechanical"))
    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert selectors_dispatch.dispatch_board_orders() == ([], [order])


@time_machine.travel(NOW, tick=False)
def test_a_skill_mismatch_is_refused_on_the_board_then_dispatched_once_confirmed(role_client):
    order = _brake_order()
    painter = TechnicianFactory(skills=["paint"], user__display_name="王喷漆")
    client = role_client("supervisor")
    data = {"lines": [line.pk for line in labour_lines(order)], "technician": painter.pk}

    refused = client.post(reverse("workshop:dispatch", args=[order.pk]), data)

    page = refused.content.decode()
    assert refused.status_code == 422
    assert "技师王喷漆没有“机修”技能。" in page
    assert 'name="confirm_mismatch"' in page
    assert f'<option value="{painter.pk}" selected class="text-danger">' in page
    assert not Job.objects.exists()

    done = client.post(
        reverse("workshop:dispatch", args=[order.pk]), data | {"confirm_mismatch": "on"}
    )

    assert done.status_code == 302
    assert JobAssignment.objects.get().reason.startswith("技能不符,主任确认派工")


@time_machine.travel(NOW, tick=False)
def test_a_dispatch_without_a_technician_shows_the_form_error_in_chinese(role_client):
    order = _brake_order()

    response = role_client("supervisor").post(
        reverse("workshop:dispatch", args=[order.pk]),
        {"lines": [line.pk for line in labour_lines(order)]},
    )

    assert response.status_code == 422
    assert "请选择技师。" in response.content.decode()
    assert not Job.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_supervisor_reassigns_a_job_on_the_board_with_a_reason(role_client):
    order, job = dispatched_order()
    other = TechnicianFactory()
    client = role_client("supervisor")

    refused = client.post(
        reverse("workshop:job_reassign", args=[job.pk]), {"technician": other.pk, "reason": ""}
    )
    assert refused.status_code == 422
    assert "请填写改派原因。" in refused.content.decode()

    done = client.post(
        reverse("workshop:job_reassign", args=[job.pk]),
        {"technician": other.pk, "reason": "原技师请假"},
    )

    assert done.status_code == 302
    job.refresh_from_db()
    assert job.technician == other
    assert JobAssignment.objects.filter(job=job).last().reason == "原技师请假"


@time_machine.travel(NOW, tick=False)
def test_the_board_reads_a_jobs_reassign_form_when_its_row_opens(role_client):
    order, job = dispatched_order()
    other = TechnicianFactory()
    client = role_client("supervisor")
    url = reverse("workshop:job_reassign", args=[job.pk])

    board = client.get(reverse("workshop:dispatch_board")).content.decode()
    form = client.get(url, headers={"HX-Request": "true"})

    # The board holds a placeholder that htmx fills once the row is shown ...
    assert f'hx-get="{url}"' in board and 'hx-trigger="intersect once"' in board
    assert f'id="reassign-technician-{job.pk}"' not in board
    # ... with the form: the technicians on duty (the job's own selected) and the bays.
    body = form.content.decode()
    assert form.status_code == 200
    assert f'id="reassign-technician-{job.pk}"' in body
    assert f'<option value="{job.technician_id}" selected' in body
    assert f'<option value="{other.pk}"' in body
    assert '<option value="">不指定工位</option>' in body
    assert "&lt;option" not in body  # rendered, not escaped text (a bug this test found)
    assert role_client("advisor").get(url).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_supervisor_takes_back_a_dispatched_order_with_a_reason(role_client):
    order, job = dispatched_order()
    client = role_client("supervisor")

    done = client.post(reverse("workshop:undispatch", args=[order.pk]), {"reason": "客户改期"})

    assert done.status_code == 302
    order.refresh_from_db()
    job.refresh_from_db()
    assert (order.status, job.status) == (S.APPROVED, Job.Status.CANCELLED)


@time_machine.travel(NOW, tick=False)
def test_the_board_runs_the_same_queries_for_two_orders_or_eight(
    role_client, django_assert_num_queries, settings_row
):
    client = role_client("supervisor")
    for technician_skills in (["mechanical"], ["paint"], ["maintenance", "electrical"]):
        TechnicianFactory(skills=technician_skills)
    BayFactory()
    for _ in range(2):
        dispatched_order(order=_brake_order())
        _brake_order()
    client.get(reverse("workshop:dispatch_board"))  # warm: templates, content types

    # 14 queries: the session, the user, the permissions, the orders ranked, the page's
    # orders, their lines, their live jobs, the skills of their lines' operations, the
    # technicians, their skills, their open jobs (the load), the bays, the skills, the
    # navigation's role labels (user groups).
    with django_assert_num_queries(14) as first:
        client.get(reverse("workshop:dispatch_board"))
    for _ in range(6):
        _brake_order()
        TechnicianFactory(skills=["mechanical"])
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("workshop:dispatch_board"))
    assert response.content.decode().count('class="card mb-3 dispatch-order') == 8 + 2


@time_machine.travel(NOW, tick=False)
def test_a_busy_floor_is_shown_a_page_at_a_time_in_priority_order(role_client, settings_row):
    client = role_client("supervisor")
    TechnicianFactory(skills=["mechanical"])
    size = selectors_dispatch.BOARD_PAGE
    orders = [
        _approved(f"项目{n}", promised=NOW + dt.timedelta(minutes=n)) for n in range(size + 3)
    ]
    url = reverse("workshop:dispatch_board")

    first = client.get(url).content.decode()
    second = client.get(url, {"waiting_page": 2}).content.decode()

    assert first.count('class="card mb-3 dispatch-order') == size
    assert f'id="order-{orders[size - 1].pk}"' in first
    assert f'id="order-{orders[size].pk}"' not in first
    assert second.count('class="card mb-3 dispatch-order') == 3
    assert f'id="order-{orders[size].pk}"' in second
    assert f"待派工单({size + 3})" in first
    assert "?waiting_page=2" in first and "第 2/2 页" in second
