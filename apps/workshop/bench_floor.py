"""The floor's pages after dispatch in `make bench` (apps.core.benchmark, through
apps/workshop/bench.py): the technician's tablet (their jobs; one job's page), the team
lead's and the inspectors' queues, and the workshop's figures of a month and of a year.

They are pages of other roles than the bench's advisor: each is timed as a function that
requests the page through the whole Django stack with its own client, logged in as the
demo's login of that role (王师傅 `technician`, his team's lead, `qc`, `manager`); the
runner counts the queries and the time the same way. The demo's workshop (apps/workshop/
demo.py: ten years of finished jobs, today's jobs by state) is made first when missing."""

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core.benchmark import Operation
from apps.core.seeding import DemoRun

from . import demo
from .models import Job, Technician
from .selectors_floor import OPEN_JOB_STATES

BENCH_SEED = 2026


def ensure_floor() -> Technician:
    """The demo's workshop and its technician 王师傅 (login `technician`)."""
    technician = Technician.objects.filter(user__username="technician").first()
    if technician is None or not Job.objects.exists():
        demo.seed(DemoRun(seed=BENCH_SEED, years=10, now=timezone.now(), log=lambda _line: None))
        technician = Technician.objects.get(user__username="technician")
    return technician


def _page(username: str, url: str):
    """A function requesting `url` as the user `username` (its own client and session)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))

    def request():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} to {username}")

    return request


def operations(data: dict[str, int]) -> list[Operation]:
    technician = ensure_floor()
    jobs = Job.objects.count()
    mine = Job.objects.filter(technician=technician)
    job = (
        mine.filter(status__in=OPEN_JOB_STATES).order_by("-assigned_at").first()
        or mine.order_by("-finished_at").first()
    )
    lead = technician.team.lead.username if technician.team.lead_id else "supervisor"
    stats = reverse("workshop:stats")
    return [
        Operation(
            "technician's jobs (tablet)",
            _page("technician", reverse("workshop:my_jobs")),
            mine.count(),
        ),
        Operation(
            "technician's job page",
            _page("technician", reverse("workshop:job_detail", args=[job.pk])),
            mine.count(),
        ),
        Operation("team lead's check queue", _page(lead, reverse("workshop:team_queue")), jobs),
        Operation("final QC queue", _page("qc", reverse("workshop:qc_queue")), jobs),
        Operation("workshop stats (month)", _page("manager", stats), jobs),
        Operation("workshop stats (year)", _page("manager", f"{stats}?period=year"), jobs),
    ]
