"""The appointment pages in `make bench` (apps.core.benchmark): the day board of a busy day
(today of the demo), the target lists (computed from ten years of visits), the confirmation
list, the statistics of four weeks and of a year, and the booking form with a day's slots.

On data seeded before the appointments existed, the demo's own code adds them (the ten
years' history, the targets, a busy today); on a later day, today's appointments and the
targets are made again the same way, once a day."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import Operation
from apps.core.calendar import day_start
from apps.core.seeding import DemoRun

from . import demo, selectors, services
from .models import Appointment, Target

BENCH_SEED = 2026


def data() -> dict[str, int]:
    return {"appointments": Appointment.objects.count(), "targets": Target.objects.count()}


def ensure_data(*, now: dt.datetime, log=print) -> None:
    """Appointments (history, today), and targets computed today."""
    run = DemoRun(seed=BENCH_SEED, years=10, now=now, log=log)
    today = timezone.localdate(now)
    if not Appointment.objects.exists():
        demo.seed(run)
        return
    refreshed = selectors.targets_refreshed_at()
    if refreshed is None or refreshed < day_start(today):
        services.targets_refresh(now=now)
    if not Appointment.objects.filter(date=today).exists():
        demo.Days(run, demo.ensure_advisors()).seed()


def operations(data: dict[str, int]) -> list[Operation]:
    now = timezone.now()
    ensure_data(now=now)
    today = timezone.localdate(now)
    appointments = Appointment.objects.count()
    targets = Target.objects.count()
    vehicle_id = Appointment.objects.filter(date=today).values_list("vehicle_id", flat=True)[0]
    tomorrow = today + dt.timedelta(days=1)
    board = reverse("appointments:board")
    target_list = reverse("appointments:targets")
    stats = reverse("appointments:stats")
    year_ago = today - dt.timedelta(days=364)
    return [
        Operation("appointment board (busy day)", f"{board}?day={today}", appointments),
        Operation("targets: maintenance due", f"{target_list}?kind=maintenance", targets),
        Operation("targets: insurance expiring", f"{target_list}?kind=insurance", targets),
        Operation("targets: open recommendations", f"{target_list}?kind=recommendation", targets),
        Operation("appointment confirmations", reverse("appointments:confirmations"), appointments),
        Operation("appointment stats (4 weeks)", stats, appointments),
        Operation(
            "appointment stats (a year)", f"{stats}?first={year_ago}&last={today}", appointments
        ),
        Operation(
            "booking form (tomorrow's slots)",
            f"{reverse('appointments:book')}?vehicle={vehicle_id}&day={tomorrow}",
            appointments,
        ),
    ]
