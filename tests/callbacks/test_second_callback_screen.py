"""The second callback (二次回访) of a problem escalated into a complaint, as the clerk meets
it on the call screen (found by the care-loop browser test, issue 11): the work order's
line shows the day the car was delivered (not the day the complaint was resolved, which
is the second callback's event), the reason says when the problem was dealt with, and the
escalated problem links to its complaint there, on 问题处理 and on its 快速处理表."""

import datetime as dt

import time_machine
from django.urls import reverse

from apps.callbacks.services import callback_schedule_second
from apps.complaints.models import Category, Channel
from apps.complaints.services import complaint_create
from tests.callbacks.test_call_screen import TODAY, at, claim, problem_of_a_call, queue

NEXT_DAY = TODAY + dt.timedelta(days=1)


def test_the_second_callback_shows_the_delivery_day_and_links_the_complaint(
    client, user_with_role, settings_row
):
    clerk = user_with_role("callback")
    with time_machine.travel(at(10, 5), tick=False):
        problem = problem_of_a_call(clerk)  # a 3DC of a repair delivered 2026-03-07
        complaint = complaint_create(
            by=clerk,
            customer=problem.customer,
            channel=Channel.CALLBACK,
            category=Category.REPAIR_QUALITY,
            description=problem.what,
            source_problem=problem,
        )
        callback_schedule_second(parent=problem.callback, resolved_on=TODAY)
    detail = reverse("complaints:detail", args=[complaint.pk])
    client.force_login(clerk)

    with time_machine.travel(at(10, on=NEXT_DAY), tick=False):
        queue(on=NEXT_DAY)
        item = claim(clerk, now=at(10, on=NEXT_DAY))
        page = client.get(reverse("callbacks:call_screen", args=[item.pk])).content.decode()

        assert "二次回访问卷" in page
        assert "2026-03-07 交车" in page and "2026-03-11 交车" not in page
        assert "客户反映的问题已于 2026-03-11 处理完毕" in page
        assert detail in page
        escalated = client.get(reverse("callbacks:problem_list"), {"status": "escalated"})
        assert detail in escalated.content.decode()
        form = client.get(reverse("callbacks:problem_handle", args=[problem.pk]))
        assert detail in form.content.decode()
