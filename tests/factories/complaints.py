"""Complaints for tests: people of each role, a 3DC callback to raise one on, and a
complaint walked through the services to any state."""

import datetime as dt

from django.contrib.auth.models import Group

from apps.callbacks.models import Callback
from apps.complaints import services
from apps.complaints.models import Category, Channel, Complaint
from tests.factories.accounts import UserFactory
from tests.factories.callbacks import delivered_order, second_call
from tests.factories.customers import VehicleFactory

S = Complaint.Status


def person(*roles: str, **fields):
    user = UserFactory(**fields)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def callback_3dc(on: dt.date = dt.date(2026, 11, 2)) -> Callback:
    """A 3DC callback of a work order delivered on `on` (opened three days later)."""
    order = delivered_order(on)
    return Callback.objects.create(
        kind=Callback.Kind.SERVICE_3DC,
        customer=order.customer,
        vehicle=order.vehicle,
        work_order=order,
        event_on=on,
        opens_on=on + dt.timedelta(days=3),
        due_on=on + dt.timedelta(days=5),
    )


def new_complaint(*, by=None, customer=None, **fields) -> Complaint:
    by = by or person("complaint")
    if customer is None and "source_callback" not in fields:
        customer = VehicleFactory().owner
    if customer is None:
        customer = fields["source_callback"].customer
    values = {
        "channel": Channel.PHONE,
        "category": Category.REPAIR_QUALITY,
        "description": "保养后发动机异响",
        "demand": "免费检查并修好",
    }
    return services.complaint_create(by=by, customer=customer, **{**values, **fields})


# The moves that take a complaint from received to each state (the worker's, the manager's).
PATH = {
    S.RECEIVED: [],
    S.INVESTIGATING: ["judge_valid"],
    S.PROPOSED: ["judge_valid", "propose"],
    S.APPROVED: ["judge_valid", "propose", "approve"],
    S.RESOLVED: ["judge_valid", "propose", "approve", "resolve"],
    S.CLOSED: ["judge_valid", "propose", "approve", "resolve", "second_satisfied"],
    S.INVALID: ["judge_invalid"],
}


def walk(complaint: Complaint, name: str, *, worker, manager):
    if name == "propose":
        return services.complaint_propose(
            complaint=complaint,
            by=worker,
            cause="机油加注过量",
            department="workshop",
            responsible_person="李技师",
            solution="免费重新保养并赠送一次洗车",
        )
    if name == "resolve":
        return services.complaint_resolve(
            complaint=complaint, by=worker, action_taken="已重新保养", customer_signature="王先生"
        )
    if name == "second_satisfied":
        # The second callback finds the customer satisfied: the clerk's call on the queue
        # (a linked callback) or recorded on the close form, at the resolution's time.
        called_at = Complaint.objects.values_list("resolved_at", flat=True).get(pk=complaint.pk)
        if complaint.second_callback_id:
            second_call(complaint.second_callback, at=called_at)
            return services.complaint_close_satisfied(
                complaint=complaint, by=worker, evaluation="客户满意"
            )
        return services.complaint_close_satisfied(
            complaint=complaint,
            by=worker,
            evaluation="客户满意",
            called_at=called_at,
            customer_satisfied=True,
        )
    by = manager if name in ("approve", "reject_solution", "manager_close") else worker
    note = "客户不接受说明" if name == "judge_invalid" else ""
    return services.complaint_transition(complaint=complaint, name=name, by=by, note=note)


def complaint_in_state(status: str, *, worker=None, manager=None, **fields) -> Complaint:
    worker = worker or person("complaint")
    manager = manager or person("manager")
    complaint = new_complaint(by=worker, **fields)
    for name in PATH[status]:
        walk(complaint, name, worker=worker, manager=manager)
    return complaint
