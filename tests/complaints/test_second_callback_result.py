"""The complaint's page shows what its second callback recorded (found by the care-loop
browser test, issue 11): the handler decides 客户满意,结案 or 仍不满意 on the customer's
answers, so the page lists them with who called and when — one query more, only once the
second callback exists."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.callbacks.services import call_next, call_queue_build, call_record
from apps.complaints.models import Complaint
from tests.factories.callbacks import completed
from tests.factories.clock import SHANGHAI
from tests.factories.complaints import callback_3dc, complaint_in_state, person
from tests.factories.core import rules_in_cache
from tests.pages import PAGE_QUERIES, html

pytestmark = pytest.mark.django_db
TUESDAY = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 30, tzinfo=SHANGHAI)


def test_the_complaint_page_shows_the_second_callbacks_answers(
    role_client, django_assert_num_queries
):
    worker, clerk = person("complaint"), person("callback", display_name="何客服")
    first = completed(callback_3dc(), at=TUESDAY - dt.timedelta(days=14))  # called, unhappy
    with time_machine.travel(TUESDAY, tick=False):
        complaint = complaint_in_state(
            Complaint.Status.RESOLVED, worker=worker, source_callback=first
        )
    complaint.refresh_from_db()
    second = complaint.second_callback
    url = reverse("complaints:detail", args=[complaint.pk])
    with time_machine.travel(TUESDAY, tick=False):
        assert 'id="second-callback-answers"' not in html(role_client("complaint").get(url))

    with time_machine.travel(WEDNESDAY, tick=False):
        call_queue_build(on=WEDNESDAY.date())
        item = call_next(by=clerk, now=WEDNESDAY)
        call_record(
            item=item,
            by=clerk,
            outcome="reached",
            answers={second.pk: {"solved": True, "handling": 5, "words": "处理得很及时"}},
            now=WEDNESDAY,
        )
        client = role_client("complaint")
        rules_in_cache()
        # the complaint with its people and callbacks; its steps; the second callback's answers
        with django_assert_num_queries(PAGE_QUERIES + 3):
            response = client.get(url)

    answers = html(response).split('id="second-callback-answers"')[1].split("</dd>")[0]
    assert "2026-11-25 10:30 · 何客服" in answers
    assert "问题是否已经解决? <strong>是</strong>" in answers
    assert "对处理过程满意吗? <strong>5 分</strong>" in answers
    assert "客户意见(原话记录) <strong>处理得很及时</strong>" in answers
