"""Aware local times for tests: the dealership works in Asia/Shanghai (TIME_ZONE)."""

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_datetime(day: dt.date, hour: int = 10) -> dt.datetime:
    """`day` at `hour`:00 in Shanghai."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)
