"""The claim deadline (DOMAIN.md §4): N days after the work order is settled (7 by default),
flagged near (from 2 days before) and overdue on the warranty clerk's home page; a settled
warranty order without any claim is listed too."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.warranty import selectors, services
from apps.warranty.models import WarrantyClaim, WarrantySettings
from apps.workorders.models import WorkOrder
from tests.factories.clock import SHANGHAI
from tests.factories.warranty import claim_in_state, warranty_order
from tests.factories.workorders import flow_user

pytestmark = pytest.mark.django_db
S = WarrantyClaim.Status
SETTLED = dt.datetime(2026, 7, 1, 16, 0, tzinfo=SHANGHAI)  # the order is settled: due 07-08


def _at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 7, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def by():
    return flow_user()


@pytest.fixture
def draft(by):
    with time_machine.travel(SETTLED, tick=False):
        return claim_in_state(S.DRAFT, by=by)


@pytest.mark.parametrize(
    ("now", "near", "overdue", "days_left"),
    [
        (_at(5), False, False, 3),
        (_at(6), True, False, 2),
        (_at(8, 23), True, False, 0),
        (_at(9, 0), False, True, -1),
        (_at(20), False, True, -12),
    ],
)
def test_a_draft_is_near_two_days_before_its_deadline_and_overdue_after_it(
    draft, now, near, overdue, days_left
):
    with time_machine.travel(now, tick=False):
        [row] = selectors.claims_due(now=now)

    assert (row.claim, row.due_on) == (draft, dt.date(2026, 7, 8))
    assert (row.near, row.overdue, row.days_left) == (near, overdue, days_left)
    assert row.overdue_days == (-days_left if overdue else 0)


def test_a_settled_warranty_order_without_a_claim_is_listed_with_its_deadline(by):
    with time_machine.travel(SETTLED, tick=False):
        order = warranty_order(by=by)

    with time_machine.travel(_at(10), tick=False):
        [row] = selectors.claims_due(now=_at(10))

    assert (row.work_order, row.claim, row.due_on, row.overdue) == (
        order,
        None,
        dt.date(2026, 7, 8),
        True,
    )


def test_a_submitted_claim_and_an_old_order_leave_the_list(by):
    with time_machine.travel(SETTLED, tick=False):
        claim_in_state(S.SUBMITTED, by=by)
    with time_machine.travel(SETTLED - dt.timedelta(days=91), tick=False):
        warranty_order(by=by)  # settled 91 days ago, never claimed: past any window

    with time_machine.travel(_at(9), tick=False):
        assert selectors.claims_due(now=_at(9)) == []


def test_a_draft_of_an_order_still_in_the_workshop_has_no_deadline_yet(by):
    with time_machine.travel(SETTLED, tick=False):
        order = warranty_order(WorkOrder.Status.IN_PROGRESS, by=by)
        claim = services.claim_create(work_order=order, by=by)

    with time_machine.travel(_at(20), tick=False):
        [row] = selectors.claims_due(now=_at(20))

    assert (row.claim, row.due_on, row.near, row.overdue) == (claim, None, False, False)


def test_the_most_urgent_comes_first(by):
    with time_machine.travel(SETTLED - dt.timedelta(days=3), tick=False):
        older = claim_in_state(S.DRAFT, by=by)
    with time_machine.travel(SETTLED, tick=False):
        newer = claim_in_state(S.DRAFT, by=by)
        waiting = services.claim_create(
            work_order=warranty_order(WorkOrder.Status.DELIVERED, by=by), by=by
        )

    with time_machine.travel(_at(6), tick=False):
        rows = selectors.claims_due(now=_at(6))

    assert [row.claim for row in rows] == [older, newer, waiting]


def test_the_deadline_and_the_warning_follow_the_settings(draft, by):
    with time_machine.travel(_at(2), tick=False):
        row = current_settings(WarrantySettings)
        row.warranty_claim_deadline_days = 3
        row.warranty_claim_warning_days = 1
        area_settings_save(rows=[row], by=by)

        [due] = selectors.claims_due(now=_at(3))

    assert (due.due_on, due.near, due.overdue) == (dt.date(2026, 7, 4), True, False)


def test_the_clerks_home_page_flags_the_overdue_and_the_near(by, role_client):
    with time_machine.travel(SETTLED - dt.timedelta(days=2), tick=False):
        late = claim_in_state(S.DRAFT, by=by)
    with time_machine.travel(SETTLED, tick=False):
        soon = claim_in_state(S.DRAFT, by=by)

    with time_machine.travel(_at(7), tick=False):
        body = role_client("warranty").get(reverse("dashboard:home")).content.decode()

    assert "逾期 1</span>" in body and "临近 1</span>" in body
    assert f"{late.number}</a> · " in body and "已逾期 1 天" in body
    assert f"{soon.number}</a> · " in body and "07-08 到期,剩 1 天" in body
