"""The callbacks area's scheduled jobs (apps/core/daily_jobs.py runs them once per day)."""

import datetime as dt

from apps.core.daily_jobs import Job

from .models import Callback
from .services import call_queue_build, callbacks_generate


def generate(on: dt.date) -> dict:
    """The callbacks whose window contains `on` (DOMAIN §5), made once."""
    return callbacks_generate(first=on)


def build_queue(on: dt.date) -> dict:
    """The clerks' call queue of `on`: one item per customer (after the day's callbacks)."""
    return call_queue_build(on=on)


JOBS = [
    Job(
        name="callbacks-generate",
        label="生成回访任务",
        run=generate,
        result_labels=dict(Callback.Kind.choices),
    ),
    Job(
        name="callbacks-build-queue",
        label="生成当日回访队列",
        run=build_queue,
        result_labels={
            "items": "客户",
            "callbacks": "回访事项",
            "do_not_call": "免打扰未排",
            "contact_limit": "超每周联系上限未排",
            "weekend_only": "仅周末联系未排",
            "call_back_later": "约定改日回拨未排",
        },
    ),
]
