"""The one search box (DOMAIN.md §2): classify the query, then use the index made for it.

Every key has its own index path (see Customer/Vehicle Meta.indexes), so a search reads a
handful of index entries whatever the size of the archive:

| query looks like                      | looked up as                                      |
| ------------------------------------- | ------------------------------------------------- |
| 11 digits                             | mobile / other phone, exact                       |
| 7-12 digits (a landline)              | other phone, exact                                |
| 4 digits                              | mobile last 4 (RIGHT(mobile, 4)), plate fragment  |
| 18 characters, ID-number shaped       | resident ID number or credit code, exact          |
| 17 characters                         | VIN, exact                                        |
| 6 letters/digits                      | VIN last 6 (index on RIGHT(vin, 6)), plate part   |
| other letters/digits, or a plate      | plate fragment (trigram index)                    |
| Chinese text, 1-2 characters          | name exact, prefix (surname) or suffix (b-tree)   |
| Chinese text, 3+ characters           | name fragment (trigram index on UPPER(name))      |
| anything 5+ characters                | work-order number, exact (unique index)           |

A plate query holds at least one letter or digit: a lone 苏 or 云 is a surname, not the
plates of Jiangsu or Yunnan. Other phones are stored as digits (CustomerForm), so a landline
typed as 0755-26001234 is found as 075526001234.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.db.models.functions import Reverse, Right

from apps.workorders.models import WorkOrder

from .models import Customer, Vehicle
from .validators import PROVINCES

_CLEAN = re.compile(r"[\s\-·]")
# A mobile pasted from caller ID or a contact card: +86 138…, 0086 138….
_COUNTRY_CODE = re.compile(r"^(\+|00)?86(?=1\d{10}$)")
_ALNUM = re.compile(r"^[0-9A-Z]+$")
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_PLATE_SHAPE = re.compile(rf"^[{PROVINCES}]?[0-9A-Z]*[挂学警港澳]?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_PLATE_CHARACTER = re.compile(r"[0-9A-Z]")
# Landlines: a 7-8 digit local number, with a 3-4 digit area code (0755 26001234).
_LANDLINE_DIGITS = range(7, 13)
# Names of one or two characters (most surnames and given names) cannot use a trigram
# index, which needs three; they take the b-tree prefix/suffix path instead.
_TRIGRAM_MIN = 3


@dataclass
class SearchResult:
    query: str
    keys: list[str] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    work_order: WorkOrder | None = None

    @property
    def count(self) -> int:
        return len(self.customers) + len(self.vehicles) + (1 if self.work_order else 0)


def normalize_query(raw: str) -> str:
    return _COUNTRY_CODE.sub("", _CLEAN.sub("", raw or "").upper())


def _looks_like_plate(q: str) -> bool:
    """Plate-shaped and holding a letter or digit: a lone 苏 or 云 is a surname."""
    return bool(_PLATE_SHAPE.match(q) and _PLATE_CHARACTER.search(q))


def _customer_filter(q: str) -> tuple[Q | None, list[str]]:
    if q.isdigit() and len(q) == 11:
        return Q(mobile=q) | Q(phone_other=q), ["手机号"]
    if q.isdigit() and len(q) in _LANDLINE_DIGITS:
        return Q(phone_other=q), ["其他电话"]
    if q.isdigit() and len(q) == 4:
        return Q(mobile_last4=q), ["手机后4位"]
    if _ID_SHAPE.match(q):
        # A credit code may be all digits too (华为: 914403001922038216).
        return Q(id_number=q) | Q(credit_code=q), ["身份证号", "统一社会信用代码"]
    if len(q) == 18 and _ALNUM.match(q):
        return Q(credit_code=q), ["统一社会信用代码"]
    if _CJK.search(q) and not _looks_like_plate(q):
        if len(q) < _TRIGRAM_MIN:
            return Q(name=q) | Q(name__startswith=q) | Q(name_reversed__startswith=q[::-1]), [
                "姓名"
            ]
        return Q(name__icontains=q), ["姓名"]
    if q.isalpha() and len(q) >= _TRIGRAM_MIN:
        return Q(name__icontains=q), ["单位名称"]
    return None, []


def _vehicle_filter(q: str) -> tuple[Q | None, list[str]]:
    if len(q) == 17 and _ALNUM.match(q):
        return Q(vin=q), ["VIN"]
    if q.isdigit() and len(q) == 11:  # a whole mobile number: not a plate
        return None, []
    if _ID_SHAPE.match(q):
        return None, []
    if len(q) == 6 and _ALNUM.match(q):
        return Q(vin_last6=q) | Q(plate__contains=q), ["VIN后6位", "车牌"]
    if _looks_like_plate(q) and len(q) >= 2:
        if len(q) < _TRIGRAM_MIN:
            return Q(plate__startswith=q), ["车牌"]
        return Q(plate__contains=q), ["车牌"]
    return None, []


def search_archive(raw: str, *, limit: int) -> SearchResult:
    """Customers and vehicles matching `raw`, at most `limit` of each, newest first."""
    q = normalize_query(raw)
    result = SearchResult(query=q)
    if not q:
        return result
    customer_q, customer_keys = _customer_filter(q)
    vehicle_q, vehicle_keys = _vehicle_filter(q)
    result.keys = customer_keys + vehicle_keys
    if customer_q is not None:
        customers = Customer.objects.alias(
            mobile_last4=Right("mobile", 4), name_reversed=Reverse("name")
        ).filter(customer_q)
        customers = customers.prefetch_related(
            Prefetch("vehicles", queryset=Vehicle.objects.order_by("id"))
        )
        result.customers = list(customers.order_by("-id")[:limit])
    if vehicle_q is not None:
        vehicles = (
            Vehicle.objects.alias(vin_last6=Right("vin", 6))
            .filter(vehicle_q)
            .select_related("owner")
        )
        result.vehicles = list(vehicles.order_by("-id")[:limit])
    if len(q) >= 5 and _ALNUM.match(q):
        result.work_order = (
            WorkOrder.objects.select_related("vehicle", "customer").filter(number=q).first()
        )
        if result.work_order:
            result.keys.append("工单号")
    return result
