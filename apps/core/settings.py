"""Reading the business rules: the one accessor every reader uses.

`current_settings(ArchiveSettings)` answers an area's current row from Django's cache (Redis in
production, shared by every process), so a page reads its rules without a query;
`settings_at(ArchiveSettings, when)` answers the row that was in force at a past moment,
from the row's history; `areas()` lists every area's model in DOMAIN.md order, found in
the app registry, so core never imports the apps that own them.

Writes go through `apps.core.services.area_settings_save`, which refreshes the cache.
"""

import datetime as dt
import zlib
from typing import TypeVar

from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import transaction

from .calendar import day_start, forget_cached_calendar
from .models import AreaSettings

Area = TypeVar("Area", bound=AreaSettings)

# The service refreshes a row the moment it saves it; this bound only limits how long a
# row changed behind the service's back (a shell, a database restore) can be served stale.
CACHE_SECONDS = 60 * 60


def areas() -> list[type[AreaSettings]]:
    """Every installed area's settings model, in DOMAIN.md section order."""
    found = [model for model in django_apps.get_models() if issubclass(model, AreaSettings)]
    return sorted(found, key=lambda model: model.domain_section)


def current_settings(model: type[Area]) -> Area:
    """The area's current row, created with its defaults on first use.

    1. Read the cache; a hit costs no query.
    2. On a miss, read (or create) the row and `add` it: if the service stored a newer row
       meanwhile, `add` leaves that one in place instead of overwriting it with ours.
    """
    key = _cache_key(model)
    row = cache.get(key)
    if row is None:
        row, _created = model.objects.get_or_create(pk=model.SINGLETON_PK)
        cache.add(key, row, CACHE_SECONDS)
    return row


def settings_at(model: type[Area], when: dt.datetime | dt.date) -> Area:
    """The area's row as it was at `when` (a date means the end of that day), from history.

    Before the first recorded change the first recorded row is the best answer (nothing
    older was recorded); an area never saved answers its current row.
    """
    history = model.history.order_by("-history_date", "-history_id")
    if isinstance(when, dt.datetime):
        before = history.filter(history_date__lte=when)
    else:
        before = history.filter(history_date__lt=day_start(when + dt.timedelta(days=1)))
    record = before.first() or history.last()
    if record is None:
        return current_settings(model)
    return record.instance


def remember_saved(row: AreaSettings) -> None:
    """Make every process read `row` from now on (called by the settings service).

    1. Drop the cached row at once, so this transaction and any test reads the new one.
    2. After commit, store the saved row: a reader that loaded the old row before the
       commit can then no longer `add` it back (see `current_settings`).
    """
    key = _cache_key(type(row))
    cache.delete(key)
    transaction.on_commit(lambda: cache.set(key, row, CACHE_SECONDS))


def forget_cached() -> None:
    """Drop every cached rule (areas and the working-day calendar), e.g. after a restore."""
    cache.delete_many([_cache_key(model) for model in areas()])
    forget_cached_calendar()


def _cache_key(model: type[AreaSettings]) -> str:
    # The field list is part of the key: after a deploy that adds a field, no process
    # unpickles a row cached by the previous code.
    fields = ",".join(field.attname for field in model._meta.concrete_fields)
    return f"area-settings:{model._meta.label_lower}:{zlib.crc32(fields.encode()):08x}"
