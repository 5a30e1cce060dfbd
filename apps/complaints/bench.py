"""The complaints in `make bench` (apps.core.benchmark): the list as it opens (newest first,
no filter), the list filtered (open and overdue, one category), and the page of the
complaint with the longest timeline. Measured as the complaint supervisor (the demo login
`complaint`); the pages are keyset-paged and prefetch their rows, so their queries do not
grow with the number of complaints."""

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from apps.core.benchmark import Operation

from .models import Category, Complaint

BENCH_USER = "complaint"


def data() -> dict[str, int]:
    return {"complaints": Complaint.objects.count()}


def _page(client: Client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return get


def operations(data: dict[str, int]) -> list[Operation]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_USER))
    complaints = data.get("complaints", 0)
    listing = reverse("complaints:list")
    longest = (
        Complaint.objects.annotate(steps_count=Count("steps"))
        .order_by("-steps_count", "-received_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    operations = [
        Operation("complaint list", _page(client, listing), complaints),
        Operation(
            "complaint list (open, category)",
            _page(client, f"{listing}?state=open&category={Category.REPAIR_QUALITY}"),
            complaints,
        ),
    ]
    # (No complaint yet: the list again, so that the operations stay the same.)
    page = reverse("complaints:detail", args=[longest]) if longest else listing
    return [*operations, Operation("complaint page", _page(client, page), complaints)]
