"""The workshop floor in `make bench` (apps.core.benchmark): the supervisor's dispatch board
and the job board (the page, and the refresh its screen asks for every few seconds), at ten
years of finished jobs; then the floor after dispatch (bench_floor: the technician's tablet,
the check queues, the figures). Measured as the supervisor (the demo login `supervisor`): the page
is a function that asks the page through its own test client, so the harness times the
whole stack and counts its queries as for any page.

On data seeded before the workshop demo existed (or on another day), the floor and today's
jobs are made through the demo's own code (demo.seed_floor, demo.seed_today), once a day."""

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import Operation
from apps.core.calendar import day_start
from apps.core.seeding import DemoRun

from . import bench_floor, demo
from .models import Job

BENCH_SUPERVISOR = "supervisor"


def data() -> dict[str, int]:
    return {"jobs": Job.objects.count()}


def todays_floor() -> None:
    """The floor and today's jobs, made when today has none (data seeded on another day)."""
    now = timezone.now()
    if Job.objects.filter(assigned_at__gte=day_start(timezone.localdate(now))).exists():
        return
    run = DemoRun(seed=2026, years=1, now=now, log=lambda _line: None)
    demo.seed_today(run, demo.seed_floor(run))


def _page(client: Client, url: str, **headers):
    def get():
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return get


def operations(data: dict[str, int]) -> list[Operation]:
    todays_floor()
    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_SUPERVISOR))
    jobs = data.get("jobs", 0)
    return [
        *bench_floor.operations(data),
        Operation("dispatch board", _page(client, reverse("workshop:dispatch_board")), jobs),
        Operation("job board", _page(client, reverse("workshop:job_board")), jobs),
        Operation(
            "job board refresh",
            _page(client, reverse("workshop:job_board_body"), HX_Request="true"),
            jobs,
        ),
    ]
