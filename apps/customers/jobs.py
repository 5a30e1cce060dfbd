"""The archive's scheduled jobs (apps/core/daily_jobs.py runs them once per period)."""

import datetime as dt

from apps.core.daily_jobs import Job

from .services import customers_recompute_segments


def recompute_segments(on: dt.date) -> dict:
    """DOMAIN §2: segments (VIP / major / normal / small) from the last 12 months' paid
    spend and visits, as of the first day of the month."""
    return {"changed": customers_recompute_segments(on=on)}


JOBS = [
    Job(
        name="customers-recompute-segments",
        label="客户分级月度重算",
        run=recompute_segments,
        monthly=True,
        result_labels={"changed": "分级变化客户数"},
    ),
]
