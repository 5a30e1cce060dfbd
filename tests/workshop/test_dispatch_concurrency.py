"""Two supervisors dispatching the same line at the same moment (real threads, two database
connections): one job is made, the other supervisor is told who has the line, and the order
is dispatched once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.workorders.models import StatusChange, WorkOrder
from apps.workshop import services_dispatch
from apps.workshop.models import Job, JobAssignment, JobLine
from tests.factories.clock import SHANGHAI
from tests.factories.workorders import order_in_state
from tests.factories.workshop import TechnicianFactory, labour_lines, supervisor

NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(NOW, tick=False)
def test_two_supervisors_dispatching_the_same_line_make_one_job():
    # Given an approved order on two supervisors' boards, each picking a different technician
    order = order_in_state(WorkOrder.Status.APPROVED)
    picks = [(supervisor(), TechnicianFactory()), (supervisor(), TechnicianFactory())]
    barrier = threading.Barrier(2)
    won, refusals, errors = [], [], []

    def dispatch(by, technician):
        try:
            seen = WorkOrder.objects.get(pk=order.pk)  # each loaded the board before
            lines = labour_lines(seen)
            barrier.wait(timeout=10)
            won.append(
                services_dispatch.job_dispatch(
                    work_order=seen, lines=lines, technician=technician, bay=None, by=by
                )
            )
        except ValidationError as error:
            refusals.append(error.messages)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # When both press 派工 at the same moment
    threads = [threading.Thread(target=dispatch, args=pick) for pick in picks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one job is made, the other supervisor is told who has the line
    assert errors == []
    assert len(won) == 1
    job = Job.objects.get()
    assert job.pk == won[0].pk
    line = labour_lines(order)[0]
    assert refusals == [
        [f"“{line.description}”已派给{job.technician}(作业 {job.pk}),请刷新派工看板。"]
    ]
    assert JobLine.objects.filter(line=line, active=True).count() == 1
    assert JobAssignment.objects.count() == 1
    assert StatusChange.objects.filter(work_order=order, transition="dispatch").count() == 1
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.DISPATCHED
