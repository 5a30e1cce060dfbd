"""Events that callbacks hang on, and callbacks in a given state.

Delivered work orders are made like the archive's history (WorkOrderFactory, with a
delivery time); the flow's own delivery (services) is covered by the tests of
apps.workorders. Callbacks are made by the generator; the call screen that completes them
arrives later, so `completed` sets the state it will write.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from apps.callbacks.models import CallAnswer, Callback, CallOutcome
from apps.callbacks.questionnaires import questionnaire_for
from apps.callbacks.satisfaction import satisfaction_add
from apps.workorders.models import WorkOrder
from tests.factories.clock import local_datetime
from tests.factories.customers import SalesFileFactory, VehicleFactory
from tests.factories.workorders import WorkOrderFactory

# The 3DC questions scored for an ordinary visit (no paint work), and a customer happy with all.
SCORED_3DC = (
    "speed_reception",
    "speed_work",
    "speed_checkout",
    "price",
    "advisor",
    "quality_repair",
    "quality_wash",
    "visit",
    "overall",
)
ALL_FIVES = dict.fromkeys(SCORED_3DC, 5)


def delivered_order(
    on: dt.date, *, hour: int = 15, vehicle=None, total: str = "600.00", **fields
) -> WorkOrder:
    """A work order delivered on `on` at `hour`:00 (local) and settled."""
    vehicle = vehicle or VehicleFactory()
    return WorkOrderFactory(
        vehicle=vehicle,
        customer=vehicle.owner,
        opened_at=local_datetime(on, 9),
        delivered_at=local_datetime(on, hour),
        total_amount=Decimal(total),
        customer_paid_amount=Decimal(total),
        **fields,
    )


def new_car_sale(delivered_on: dt.date, *, owner=None, **fields):
    """A new car's sales file (through the archive's service)."""
    vehicle = VehicleFactory(owner=owner) if owner else VehicleFactory()
    return SalesFileFactory(vehicle=vehicle, delivered_on=delivered_on, **fields)


def completed(callback: Callback, *, at: dt.datetime, status=Callback.Status.DONE) -> Callback:
    """The callback closed at `at` (what the call screen will record)."""
    Callback.objects.filter(pk=callback.pk).update(status=status, closed_at=at)
    callback.refresh_from_db()
    return callback


def answered(
    callback: Callback,
    *,
    at: dt.datetime,
    scores: dict[str, int],
    yes: dict[str, bool] | None = None,
    is_problem: bool = False,
) -> Callback:
    """The callback reached at `at` with these answers (scores and yes/no by question
    code, each with its question's department): what the call screen records."""
    questions = {q.code: q for q in questionnaire_for(callback).questions}
    version = questionnaire_for(callback).version
    CallAnswer.objects.bulk_create(
        [
            CallAnswer(
                callback=callback,
                version=version,
                code=code,
                department=questions[code].department,
                score=score,
            )
            for code, score in scores.items()
        ]
        + [
            CallAnswer(
                callback=callback,
                version=version,
                code=code,
                department=questions[code].department,
                yes=value,
            )
            for code, value in (yes or {}).items()
        ]
    )
    satisfaction_add(
        callback=callback,
        answers=[
            CallAnswer(department=questions[c].department, score=v) for c, v in scores.items()
        ],
        day=timezone.localdate(at),
    )
    Callback.objects.filter(pk=callback.pk).update(
        status=Callback.Status.DONE,
        closed_at=at,
        outcome=CallOutcome.REACHED,
        is_problem=is_problem,
    )
    callback.refresh_from_db()
    return callback


def second_call(callback: Callback, *, at: dt.datetime, satisfied: bool = True) -> Callback:
    """The second callback (二次回访) reached at `at`: the problem solved and the handling
    scored 5 (satisfied), or not solved and scored 2 (a problem)."""
    return answered(
        callback,
        at=at,
        scores={"handling": 5 if satisfied else 2},
        yes={"solved": satisfied},
        is_problem=not satisfied,
    )
