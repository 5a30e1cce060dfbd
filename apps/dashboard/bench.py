"""The 工作台 in `make bench` (apps.core.benchmark)."""

from django.urls import reverse

from apps.core.benchmark import Operation


def operations(data: dict[str, int]) -> list[Operation]:
    return [Operation("home (advisor)", reverse("dashboard:home"), data.get("work orders", 0))]
