"""The demo dealership's loader: `seed_demo` and `bench` run each app's `demo` module.

An app that has demo data gives it in `apps/<app>/demo.py`; every function is optional:

- ``ensure(run)``: what must exist even when the demo was loaded before (the demo logins);
- ``seed(run)``: load the app's demo data (it may read what lower apps loaded before it);
- ``finish(run)``: after every app has seeded (figures computed from other apps' data);
- ``seeded(*, years) -> Seeded``: how much of the app's demo data exists, against what a
  demo of `years` years holds (the archive's size decides whether a demo is loaded).

Apps run in INSTALLED_APPS order, lower layers first. Deterministic for a seed and a
moment: each app draws from its own random stream (`run.rng(label)`), and dates count back
from `run.now`; nothing is dated after `run.now`.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from .calendar import day_start
from .discovery import app_modules


@dataclass(frozen=True)
class Seeded:
    have: int
    wanted: int
    noun: str  # what is counted, in English (the bench command's messages)


@dataclass
class DemoRun:
    seed: int
    years: int
    now: dt.datetime  # aware: the moment the demo is loaded at
    log: Callable[[str], None] = print
    # "5000 位客户", … for the closing line; a function is counted when the line is printed
    # (work orders: apps seeded later open orders of their own).
    summary: list[str | Callable[[], str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines printed after the summary

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    @property
    def start(self) -> dt.date:
        """The first day of the demo's history."""
        return self.today - dt.timedelta(days=365 * self.years)

    def summary_line(self) -> str:
        return ",".join(item() if callable(item) else item for item in self.summary)

    def rng(self, label: str) -> random.Random:
        """The random stream of one app: an app's data stays the same when another app
        changes what it draws. (A str seed is hashed with SHA-512: stable across runs.)"""
        return random.Random(f"{self.seed}:{label}")

    def moment(self, rng: random.Random, day: dt.date, *, hours=(9, 17)) -> dt.datetime:
        """An aware time within `hours` (first and last hour) of `day`, never after
        `now`: on today, later than now becomes a time earlier today."""
        at = timezone.make_aware(
            dt.datetime.combine(day, dt.time(rng.randint(*hours), rng.randint(0, 59)))
        )
        if at > self.now:
            midnight = day_start(day)
            at = midnight + (self.now - midnight) * rng.random()
        return at


def demo_modules() -> list:
    return app_modules("demo")


def seeded(*, years: int) -> list[Seeded]:
    """How much demo data each app that counts it has, against a demo of `years` years."""
    return [module.seeded(years=years) for module in demo_modules() if hasattr(module, "seeded")]


def seed_all(run: DemoRun, *, load: bool = True) -> DemoRun:
    """Run every app's demo: `ensure` always, `seed` and `finish` when `load`."""
    modules = demo_modules()
    for module in modules:
        if hasattr(module, "ensure"):
            module.ensure(run)
        if load and hasattr(module, "seed"):
            module.seed(run)
    if load:
        for module in modules:
            if hasattr(module, "finish"):
                module.finish(run)
    return run
