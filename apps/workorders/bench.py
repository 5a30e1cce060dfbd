"""The service history's size in `make bench` (apps.core.benchmark); its pages (the card,
the vehicle page, the 工作台) read it and are measured by their own apps."""

from .models import WorkOrder, WorkOrderLine


def data() -> dict[str, int]:
    return {"work orders": WorkOrder.objects.count(), "lines": WorkOrderLine.objects.count()}
