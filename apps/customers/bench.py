"""The archive's pages in `make bench` (apps.core.benchmark): the search box for each key
shape, the customer card, the vehicle page and the keyset lists."""

from django.db.models import Count
from django.db.models.functions import Left
from django.urls import reverse

from apps.core.benchmark import Operation
from apps.core.pagination import PAGE_SIZE, encode_cursor
from apps.core.settings import current_settings
from apps.workorders.models import WorkOrder

from .models import ArchiveSettings, Customer, Vehicle
from .selectors import CUSTOMER_LIST_ORDER

CARD_VISITS = 30  # the card the issue names: a customer with about 30 visits
DEEP_PAGE = 500  # the customer list page that shows keyset pages cost the same anywhere


def data() -> dict[str, int]:
    return {"customers": Customer.objects.count(), "vehicles": Vehicle.objects.count()}


def subjects() -> dict:
    """Real values to search for and pages to open, picked from the seeded data."""
    by_visits = Customer.objects.annotate(visits=Count("work_orders")).values_list("id", "visits")
    # The card the issue names and the heaviest one (the heaviest stands in for the
    # typical one on a demo too small to have a customer with that many visits).
    loyal = by_visits.order_by("-visits", "id").first()
    typical = by_visits.filter(visits__gte=CARD_VISITS).order_by("visits", "id").first() or loyal
    vehicle = Vehicle.objects.filter(owner_id=loyal[0]).order_by("id").first()
    people = Customer.objects.filter(kind=Customer.Kind.PERSON).order_by("id")
    customer = people[min(1000, people.count() - 1)]
    three_char_names = people.filter(name__regex=r"^.{3}$").values_list("name", flat=True)
    three_char = three_char_names[min(500, three_char_names.count() - 1)]
    newest_first = Customer.objects.order_by(*CUSTOMER_LIST_ORDER)
    deep_row = newest_first[min(DEEP_PAGE * PAGE_SIZE, newest_first.count()) - 1]
    # The second page of the surname's customers in the search (search.py: newest first).
    same_surname = Customer.objects.alias(surname=Left("name", 1)).filter(surname=three_char[0])
    page_size = current_settings(ArchiveSettings).search_result_limit
    last_of_page_1 = same_surname.order_by("-id")[min(page_size, same_surname.count()) - 1]
    # A month of work orders by number prefix (WO202503…), and one number's last 6 digits.
    work_orders = WorkOrder.objects.order_by("id")
    work_order = work_orders[work_orders.count() // 2]
    return {
        "card_customer": typical[0],
        "card_visits": typical[1],
        "loyal_customer": loyal[0],
        "loyal_visits": loyal[1],
        "vehicle": vehicle,
        "plate_fragment": vehicle.plate[3:7],
        "vin_last6": vehicle.vin[-6:],
        "phone_last4": customer.mobile[-4:],
        "surname": three_char[0],
        "given_name": three_char[1:],
        "full_name": three_char,
        "page_500_cursor": encode_cursor(deep_row, order=CUSTOMER_LIST_ORDER),
        "surname_page_2_cursor": encode_cursor(last_of_page_1, order=("-id",)),
        "work_order_prefix": work_order.number[:8],
        "work_order_tail": work_order.number[-6:],
    }


def operations(data: dict[str, int]) -> list[Operation]:
    customers, vehicles = data["customers"], data["vehicles"]
    visits = data.get("work orders", 0)  # what the card and the vehicle page read
    s = subjects()
    search = reverse("customers:search")
    return [
        Operation("search plate fragment", f"{search}?q={s['plate_fragment']}", vehicles),
        Operation("search VIN last 6", f"{search}?q={s['vin_last6']}", vehicles),
        Operation("search phone last 4", f"{search}?q={s['phone_last4']}", customers),
        Operation("search surname (1 char)", f"{search}?q={s['surname']}", customers),
        Operation(
            "search surname page 2",
            f"{search}?q={s['surname']}&in=customers&after={s['surname_page_2_cursor']}",
            customers,
        ),
        Operation("search given name (2 chars)", f"{search}?q={s['given_name']}", customers),
        Operation("search full name (3 chars)", f"{search}?q={s['full_name']}", customers),
        Operation("search work-order prefix", f"{search}?q={s['work_order_prefix']}", visits),
        Operation("search work-order last 6", f"{search}?q={s['work_order_tail']}", visits),
        Operation(
            "reveal mobile (显示, logged)",
            reverse("customers:customer_reveal", args=[s["card_customer"], "mobile"]),
            customers,
            "post",
        ),
        Operation(
            f"customer card ({s['card_visits']} visits)",
            reverse("customers:customer_detail", args=[s["card_customer"]]),
            visits,
        ),
        Operation(
            f"customer card ({s['loyal_visits']} visits)",
            reverse("customers:customer_detail", args=[s["loyal_customer"]]),
            visits,
        ),
        Operation(
            "vehicle detail", reverse("customers:vehicle_detail", args=[s["vehicle"].pk]), visits
        ),
        Operation("customer list page 1", reverse("customers:customer_list"), customers),
        Operation(
            "customer list page 500",
            f"{reverse('customers:customer_list')}?after={s['page_500_cursor']}",
            customers,
        ),
        Operation("vehicle list page 1", reverse("customers:vehicle_list"), vehicles),
    ]
