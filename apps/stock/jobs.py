"""The parts stock's scheduled jobs (apps/core/daily_jobs.py runs them once per day)."""

import datetime as dt

from apps.core.daily_jobs import Job

from .services import prepick_close, prepick_run


def prepick(on: dt.date) -> dict:
    """预先捡料 for the day after `on` (DOMAIN §3: the parts of tomorrow's appointments
    reserved the day before), and the day before `on` closed (its pre-picked parts moved to
    the arrived cars' work orders, the others released). The ledger runs it once `on` has
    begun, a day and a half ahead of the cars; bookings made later are added when the
    parts clerk refreshes the list in the evening (the same service: a second run adds
    only what is new). Every day is a working day here (the slots have no closed days)."""
    closed = prepick_close(day=on - dt.timedelta(days=1))
    picked = prepick_run(day=on + dt.timedelta(days=1))
    return {
        "appointments": picked["appointments"],
        "reserved": picked["reserved"],
        "short": picked["short"],
        "released": picked["released"],
        "transferred": closed["transferred"],
        "closed": closed["closed"],
    }


JOBS = [
    Job(
        name="stock-prepick",
        label="预先捡料(次日预约配件预留)",
        run=prepick,
        result_labels={
            "appointments": "预约",
            "reserved": "已预留行",
            "short": "缺件行",
            "released": "释放行",
            "transferred": "转入工单行",
            "closed": "前日结清预约",
        },
    ),
]
