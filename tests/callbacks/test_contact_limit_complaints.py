"""Complaint work is exempt from the contact limit (DOMAIN.md §5: "not called more often
than the contact limit (default: twice a week, except complaint work)"): a complaint's
second callback is queued even for a customer called twice this week; the customer's
other reasons still wait, and so does a quick-handling second callback."""

import datetime as dt

import pytest
import time_machine

from apps.callbacks.models import Callback, CallItem
from apps.callbacks.services import call_queue_build, callback_schedule_second
from apps.complaints.models import Complaint
from tests.factories.callbacks import completed
from tests.factories.clock import local_datetime
from tests.factories.complaints import callback_3dc, complaint_in_state

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)  # a Wednesday
NOW = local_datetime(TODAY, 10)


def called_twice_this_week(customer) -> None:
    for back in (2, 5):
        CallItem.objects.create(
            customer=customer, day=TODAY - dt.timedelta(days=back), due_on=TODAY, status="done"
        )


@time_machine.travel(NOW, tick=False)
def test_a_complaints_second_callback_is_queued_past_the_weekly_limit():
    # Given a complaint raised on a 3DC and resolved yesterday: its second callback opens
    # today; the customer was called twice in the last six days, and a 3DC of another
    # repair is open too
    with time_machine.travel(local_datetime(TODAY - dt.timedelta(days=1), 10), tick=False):
        source = completed(callback_3dc(), at=local_datetime(dt.date(2026, 11, 6), 11))
        complaint = complaint_in_state(Complaint.Status.RESOLVED, source_callback=source)
    second = complaint.second_callback
    assert second.opens_on == TODAY
    customer = complaint.customer
    other = callback_3dc(TODAY - dt.timedelta(days=4))
    Callback.objects.filter(pk=other.pk).update(customer=customer, vehicle=complaint.vehicle)
    called_twice_this_week(customer)

    built = call_queue_build(on=TODAY)

    # Then today's item calls about the complaint only; the 3DC waits for the limit
    item = CallItem.objects.get(customer=customer, day=TODAY)
    assert list(item.callbacks.all()) == [second]
    assert built["contact_limit"] == 1


@time_machine.travel(NOW, tick=False)
def test_a_quick_handling_second_callback_keeps_to_the_limit():
    parent = completed(
        callback_3dc(dt.date(2026, 11, 10)), at=local_datetime(dt.date(2026, 11, 13), 11)
    )
    second = callback_schedule_second(parent=parent, resolved_on=TODAY - dt.timedelta(days=1))
    assert second.opens_on == TODAY
    called_twice_this_week(parent.customer)

    built = call_queue_build(on=TODAY)

    assert not CallItem.objects.filter(customer=parent.customer, day=TODAY).exists()
    assert built["contact_limit"] == 1
