"""Reads of reception (接车): finding the car, its open order, and the inspection sheet."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch

from apps.customers.models import Vehicle
from apps.customers.search import search_archive

from .models import DamageMark, InspectionPhoto, WorkOrder

# The search lists this many cars at most: a reception search is a plate, a VIN or a
# phone, which name one car or a customer's few; more means "type more of the plate".
CANDIDATES_SHOWN = 20
# Orders still at the dealership: a car with one of these must not be opened twice.
OPEN_STATUSES = tuple(
    status
    for status in WorkOrder.Status.values
    if status
    not in (WorkOrder.Status.DELIVERED, WorkOrder.Status.SETTLED, WorkOrder.Status.CANCELLED)
)


@dataclass
class ReceptionSearch:
    query: str
    vehicles: list[Vehicle] = field(default_factory=list)
    hint: str = ""
    exact: Vehicle | None = None  # one car found by its whole plate or VIN


def _open_orders():
    return WorkOrder.objects.filter(
        status__in=OPEN_STATUSES, source=WorkOrder.Source.SYSTEM
    ).order_by("-opened_at", "-id")


def reception_search(query: str) -> ReceptionSearch:
    """The cars a reception search names: the vehicles the archive search finds (plate,
    VIN, last 6 of the VIN) and the vehicles of the customers it finds (phone, name), with
    owner and whether an order is open. The archive search (apps.customers.search) does
    the normalising and picks the index for the query.

    Queries: the archive search's (one per section), then one for the cars.
    """
    found = search_archive(query, page_size=CANDIDATES_SHOWN, only=None)
    result = ReceptionSearch(query=found.query, hint=found.hint)
    ids = [vehicle.pk for vehicle in found.vehicles]
    for customer in found.customers:
        ids.extend(vehicle.pk for vehicle in customer.vehicle_list)
    ids = list(dict.fromkeys(ids))[:CANDIDATES_SHOWN]
    if not ids:
        return result
    vehicles = (
        Vehicle.objects.filter(pk__in=ids)
        .select_related("owner")
        .annotate(has_open_order=Exists(_open_orders().filter(vehicle=OuterRef("pk"))))
    )
    by_id = {vehicle.pk: vehicle for vehicle in vehicles}
    result.vehicles = [by_id[pk] for pk in ids if pk in by_id]
    if isinstance(found.exact, Vehicle) and found.exact.pk in by_id:
        result.exact = by_id[found.exact.pk]
    return result


def reception_vehicle(*, vehicle_id: int) -> Vehicle:
    """The car being received, with its owner (raises Vehicle.DoesNotExist)."""
    return Vehicle.objects.select_related("owner").get(pk=vehicle_id)


def open_work_order(*, vehicle: Vehicle) -> WorkOrder | None:
    """The vehicle's order still at the dealership, if any (the newest)."""
    return _open_orders().filter(vehicle=vehicle).first()


def inspection_sheet(*, work_order_id: int) -> WorkOrder:
    """An order with everything its inspection sheet shows: vehicle, customer, advisor,
    the inspection with its signature, marks and photos (4 queries)."""
    return (
        WorkOrder.objects.select_related(
            "vehicle", "customer", "advisor", "inspection", "inspection__signature"
        )
        .prefetch_related(
            Prefetch("inspection__marks", queryset=DamageMark.objects.order_by("id")),
            Prefetch("inspection__photos", queryset=InspectionPhoto.objects.order_by("id")),
        )
        .get(pk=work_order_id)
    )
