"""The server process's garbage collector, tuned once Django has loaded (dms/wsgi.py; the
benchmark measures under the same tuning).

Everything Django loads at start-up (settings, apps, models, URL patterns, compiled
templates) lives as long as the worker, yet every full collection walked it: about 190,000
objects, a 60-90 ms pause landing on whichever request was running (the dispatch board's
p95 in `make bench`). Frozen, those objects leave the collector's sight; and with the first
generation collected every 50,000 allocations instead of 700, a page's own short-lived
objects are freed by reference counting long before a collection would look at them, so
collections come every several requests instead of several times per request. Memory held
by cyclic garbage between collections stays a few megabytes.
"""

import gc
from contextlib import contextmanager

FIRST_GENERATION_THRESHOLD = 50_000
OLDER_GENERATIONS_THRESHOLD = 20


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(
        FIRST_GENERATION_THRESHOLD, OLDER_GENERATIONS_THRESHOLD, OLDER_GENERATIONS_THRESHOLD
    )


@contextmanager
def tuned_gc():
    """The same tuning for a while in a process that goes on (the benchmark, and its tests):
    undone afterwards."""
    before = gc.get_threshold()
    tune_gc()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
