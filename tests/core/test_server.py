"""The server's collector tuning (apps/core/server.py): the WSGI application applies it, the
benchmark measures under it and undoes it."""

import gc
import os
import subprocess
import sys
from pathlib import Path

from apps.core.server import FIRST_GENERATION_THRESHOLD, tuned_gc

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_freezes_start_up_and_collects_less_often():
    probe = "import gc, dms.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dms.settings", "DEBUG": "1"}
    out = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    threshold, frozen = int(out[-2]), int(out[-1])
    assert threshold == FIRST_GENERATION_THRESHOLD
    assert frozen > 10_000  # Django's modules, models, URL patterns …


def test_the_benchmark_tuning_is_undone_afterwards():
    before = gc.get_threshold(), gc.get_freeze_count()
    with tuned_gc():
        assert gc.get_threshold()[0] == FIRST_GENERATION_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
