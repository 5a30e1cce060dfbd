"""The one search box (DOMAIN.md §2): classify the query, then use the index made for it.

Every key has its own index path (see the models' Meta.indexes and the PostgreSQL-only
migrations), so a search reads a handful of index entries whatever the size of the archive:

| query looks like                      | looked up as                                      |
| ------------------------------------- | ------------------------------------------------- |
| 11 digits                             | mobile / other phone, exact                       |
| 7-12 digits (a landline)              | other phone, exact                                |
| 4 digits                              | mobile last 4 (RIGHT(mobile, 4)), plate fragment  |
| 18 characters, ID-number shaped       | resident ID number or credit code, exact          |
| 17 characters                         | VIN, exact                                        |
| 6 letters/digits                      | VIN last 6 (index on RIGHT(vin, 6)), plate part   |
| other letters/digits, or a plate      | plate fragment (trigram index)                    |
| one Chinese character                 | surname: name starts with it ((LEFT(name,1), id)) |
| Chinese text, 2 characters            | name exact, prefix (surname) or suffix (b-tree)   |
| Chinese text, 3+ characters           | name fragment (trigram index on UPPER(name))      |
| a letter then 3+ letters/digits       | work-order number prefix (WO2026…), byte order    |
| 6+ digits                             | work-order number suffix (REVERSE(number))        |
| other 5+ letters/digits               | work-order number, exact (unique index)           |

A plate query holds at least one letter or digit: a lone 苏 or 云 is a surname, not the
plates of Jiangsu or Yunnan. A lone province character is searched as a surname (苏, 云,
鲁, 蒙 … are surnames) and the page adds a hint to type the rest of the plate: as a plate
prefix it would list nearly every local car, which helps nobody. One character is a
surname only, not also the end of a given name: that reading would list thousands of
unrelated people, and it is what lets the surname search read its own index in id order.

Results come in sections (customers, vehicles, work orders), each one page, newest first,
with its count: exact up to COUNT_CAP, else "more than COUNT_CAP" (a bounded count reads at
most COUNT_CAP + 1 index entries; an exact COUNT(*) of a common surname would read them all).
A section pages on its own (keyset: constant cost at any page). When the whole search finds
one record by a whole key (plate, VIN, phone, ID number, work-order number), `exact` names
it and the page opens it directly.
"""

import re
from dataclasses import dataclass, field

from django.db.models import CharField, F, Func, Q, QuerySet
from django.db.models.functions import Left, Reverse, Right

from apps.core.pagination import KeysetPage, decode_cursor, encode_cursor, keyset_page
from apps.core.text import normalize_text
from apps.workorders.models import WorkOrder

from .models import Customer, Vehicle
from .selectors import vehicles_preview
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
_PLATE_MAX = 8  # new-energy plates; a longer query is no plate fragment
# Without its province character a plate has at most 7 letters and digits: an 8-character
# query such as WO202503 (a month of work orders) is a work-order prefix, never a plate.
_PLATE_TAIL_MAX = _PLATE_MAX - 1
# Work-order numbers: "WO2026" (a letter, then 3+ more) is a prefix; 6+ digits are the tail
# (the serial part, what a customer reads off an old receipt); 5+ otherwise, the number.
_WORK_ORDER_PREFIX_MIN = 4
_WORK_ORDER_SUFFIX_MIN = 6
_WORK_ORDER_EXACT_MIN = 5
SEARCH_SECTIONS = ("work_orders", "vehicles", "customers")  # in page order
# Counted exactly up to this many per section; beyond, the page says "超过 1000 条".
COUNT_CAP = 1000

PROVINCE_HINT = "“{q}”是车牌的省份简称:请再输入车牌的字母或数字,如 {q}B12345 或 B123。"


class ByteOrder(Func):
    """`expression COLLATE "C"`: byte order, in which one b-tree serves both a LIKE 'WO2026%'
    range and ORDER BY (the database's own collation would need a pattern-ops index for the
    LIKE and could not order by it). SQLite compares bytes already."""

    template = '%(expressions)s COLLATE "C"'
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


@dataclass
class Section:
    """One kind of result: a page of rows, the count, the cursors and a narrowing hint."""

    name: str  # "customers", "vehicles" or "work_orders": the ?in= of its pager
    title: str
    keys: list[str]
    rows: list = field(default_factory=list)
    total: int = 0
    capped: bool = False  # more than COUNT_CAP match: total is COUNT_CAP
    newer: str | None = None  # keyset cursors (apps.core.pagination)
    older: str | None = None
    hint: str = ""

    @property
    def paged(self) -> bool:
        return self.newer is not None or self.older is not None


@dataclass
class SearchResult:
    query: str
    keys: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    hint: str = ""
    exact: Customer | Vehicle | WorkOrder | None = None
    only: str | None = None  # the section being paged, when one is
    page_size: int = 0

    def _rows(self, name: str) -> list:
        return next((s.rows for s in self.sections if s.name == name), [])

    @property
    def customers(self) -> list[Customer]:
        return self._rows("customers")

    @property
    def vehicles(self) -> list[Vehicle]:
        return self._rows("vehicles")

    @property
    def work_orders(self) -> list[WorkOrder]:
        return self._rows("work_orders")

    @property
    def count(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def capped(self) -> bool:
        return any(s.capped for s in self.sections)


def normalize_query(raw: str) -> str:
    """The query as the keys are stored: half-width (apps.core.text), without spaces,
    dashes or a +86 / 0086 prefix, upper case ("１３８ 1234-5678" → "13812345678")."""
    return _COUNTRY_CODE.sub("", _CLEAN.sub("", normalize_text(raw)).upper())


def _looks_like_plate(q: str) -> bool:
    """Plate-shaped and holding a letter or digit: a lone 苏 or 云 is a surname. Without a
    province character, at most the 7 characters that follow one."""
    if not (_PLATE_SHAPE.match(q) and _PLATE_CHARACTER.search(q)):
        return False
    return q[0] in PROVINCES or len(q) <= _PLATE_TAIL_MAX


def _customer_filter(q: str) -> tuple[Q | None, list[str], str]:
    """(filter, keys, hint to narrow) for customers."""
    if q.isdigit() and len(q) == 11:
        return Q(mobile=q) | Q(phone_other=q), ["手机号"], ""
    if q.isdigit() and len(q) in _LANDLINE_DIGITS:
        return Q(phone_other=q), ["其他电话"], ""
    if q.isdigit() and len(q) == 4:
        return Q(mobile_last4=q), ["手机后4位"], "输入完整手机号可直接找到客户。"
    if _ID_SHAPE.match(q):
        # A credit code may be all digits too (华为: 914403001922038216).
        return Q(id_number=q) | Q(credit_code=q), ["身份证号", "统一社会信用代码"], ""
    if len(q) == 18 and _ALNUM.match(q):
        return Q(credit_code=q), ["统一社会信用代码"], ""
    if _CJK.search(q) and not _looks_like_plate(q):
        if len(q) == 1:
            return Q(surname=q), ["姓氏"], f"输入全名或名字(如 {q}建国、建国)可缩小范围。"
        name_hint = "输入完整姓名,或改用手机后 4 位、车牌查找。"
        if len(q) < _TRIGRAM_MIN:
            name = Q(name=q) | Q(name__startswith=q) | Q(name_reversed__startswith=q[::-1])
            return name, ["姓名"], name_hint
        return Q(name__icontains=q), ["姓名"], name_hint
    if q.isalpha() and len(q) >= _TRIGRAM_MIN:
        return Q(name__icontains=q), ["单位名称"], "多输入几个字可缩小范围。"
    return None, [], ""


def _vehicle_filter(q: str) -> tuple[Q | None, list[str], str]:
    """(filter, keys, hint to narrow) for vehicles."""
    plate_hint = "多输入几位车牌字符可缩小范围。"
    if len(q) == 17 and _ALNUM.match(q):
        return Q(vin=q), ["VIN"], ""
    if q.isdigit() and len(q) == 11:  # a whole mobile number: not a plate
        return None, [], ""
    if _ID_SHAPE.match(q):
        return None, [], ""
    if len(q) == 6 and _ALNUM.match(q):
        keys = ["VIN后6位", "车牌"]
        return Q(vin_last6=q) | Q(plate__contains=q), keys, "输入完整 VIN 或车牌可直接打开车辆。"
    if _looks_like_plate(q) and 2 <= len(q) <= _PLATE_MAX:
        if len(q) < _TRIGRAM_MIN:
            return Q(plate__startswith=q), ["车牌"], plate_hint
        return Q(plate__contains=q), ["车牌"], plate_hint
    return None, [], ""


def _work_order_filter(q: str) -> tuple[Q | None, list[str], str]:
    """(filter, keys, hint to narrow) for work orders."""
    if not _ALNUM.match(q):
        return None, [], ""
    hint = "多输入几位工单号可缩小范围(如 WO20260315)。"
    if q[0].isalpha() and len(q) >= _WORK_ORDER_PREFIX_MIN:
        return Q(number_bytes__startswith=q), ["工单号"], hint
    if q.isdigit() and len(q) >= _WORK_ORDER_SUFFIX_MIN:
        return Q(number_reversed__startswith=q[::-1]), ["工单号后几位"], hint
    if len(q) >= _WORK_ORDER_EXACT_MIN:
        return Q(number=q), ["工单号"], ""
    return None, [], ""


def _customers(condition: Q) -> QuerySet[Customer]:
    return (
        Customer.objects.alias(
            mobile_last4=Right("mobile", 4),
            name_reversed=Reverse("name"),
            surname=Left("name", 1),
        )
        .filter(condition)
        .prefetch_related(vehicles_preview())
    )


def _vehicles(condition: Q) -> QuerySet[Vehicle]:
    return (
        Vehicle.objects.alias(vin_last6=Right("vin", 6)).filter(condition).select_related("owner")
    )


def _work_orders(condition: Q) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.alias(number_bytes=ByteOrder("number"), number_reversed=Reverse("number"))
        .filter(condition)
        .select_related("vehicle", "customer")
    )


def _bounded_count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, capped): COUNT(*) over at most COUNT_CAP + 1 rows, read from the index."""
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


# Sort orders of the sections (keyset pages): newest first. Work orders by number, in byte
# order: the prefix index serves both the match and the order (an id order would first sort
# every WO2019… row), and numbers carry their date.
_NEWEST_FIRST = ("-id",)
_NUMBER_ORDER = ("-number",)


def _work_order_page(queryset: QuerySet, *, after, before, size: int) -> KeysetPage:
    """One page of work orders by number, newest first. The same contract and cursors as
    apps.core.pagination.keyset_page, which orders by fields in the database's collation;
    here the order is the byte order of ByteOrder("number"), the one the index holds."""

    def cursor(row) -> str:
        return encode_cursor(row, order=_NUMBER_ORDER)

    newest_first = queryset.order_by(F("number_bytes").desc())
    boundary = decode_cursor(before, model=WorkOrder, order=_NUMBER_ORDER)
    if boundary is not None:
        found = list(
            queryset.filter(number_bytes__gt=boundary[0]).order_by("number_bytes")[: size + 1]
        )
        if found:
            rows = list(reversed(found[:size]))
            previous = cursor(rows[0]) if len(found) > size else None
            return KeysetPage(rows, previous, cursor(rows[-1]), size)
    else:
        boundary = decode_cursor(after, model=WorkOrder, order=_NUMBER_ORDER)
        if boundary is not None:
            found = list(newest_first.filter(number_bytes__lt=boundary[0])[: size + 1])
            if found:
                rows = found[:size]
                return KeysetPage(
                    rows, cursor(rows[0]), cursor(rows[-1]) if len(found) > size else None, size
                )
    found = list(newest_first[: size + 1])  # the first page, also for a stale cursor
    rows = found[:size]
    return KeysetPage(rows, None, cursor(rows[-1]) if len(found) > size else None, size)


def _fill(section: Section, queryset: QuerySet, *, size: int, after, before) -> None:
    """One page of `queryset` into `section`, and its count (no query when one page holds
    every match: the page is the count)."""
    if section.name == "work_orders":
        page = _work_order_page(queryset, after=after, before=before, size=size)
    else:
        page = keyset_page(queryset, order=_NEWEST_FIRST, after=after, before=before, size=size)
    section.rows, section.newer, section.older = page.rows, page.previous, page.next
    if not section.paged:
        section.total = len(page.rows)
    else:
        section.total, section.capped = _bounded_count(queryset)


def _exact(q: str, result: SearchResult) -> Customer | Vehicle | WorkOrder | None:
    """The one record found, when it was found by a whole key (not by a fragment)."""
    if result.count != 1:
        return None
    (row,) = next(s.rows for s in result.sections if s.rows)
    if isinstance(row, Vehicle) and q in (row.vin, row.plate):
        return row
    if isinstance(row, Customer) and q in (row.mobile, row.phone_other, row.id_number):
        return row
    if isinstance(row, Customer) and q == row.credit_code:
        return row
    if isinstance(row, WorkOrder) and q == row.number:
        return row
    return None


def search_archive(
    raw: str,
    *,
    page_size: int,
    only: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> SearchResult:
    """Customers, vehicles and work orders matching `raw`: one page of each, newest first.

    `only` pages one section (after/before are its cursors) and skips the others.
    """
    q = normalize_query(raw)
    result = SearchResult(query=q, only=only, page_size=page_size)
    if not q:
        return result
    if len(q) == 1 and q in PROVINCES:
        result.hint = PROVINCE_HINT.format(q=q)
    plans = [
        ("work_orders", "工单", _work_order_filter(q), _work_orders),
        ("vehicles", "车辆", _vehicle_filter(q), _vehicles),
        ("customers", "客户", _customer_filter(q), _customers),
    ]
    for name, title, (condition, keys, hint), queryset in plans:
        if condition is None or (only and only != name):
            continue
        section = Section(name=name, title=title, keys=keys, hint=hint)
        paging = only == name
        _fill(
            section,
            queryset(condition),
            size=page_size,
            after=after if paging else None,
            before=before if paging else None,
        )
        result.sections.append(section)
    # A work-order key is named only when it found one, or was the only reading of the
    # query: every 5+ character query is also tried as a number, and saying so on every
    # search would only confuse.
    result.sections = [
        s for s in result.sections if s.rows or s.name != "work_orders" or len(result.sections) == 1
    ]
    # Named in the order people think of them: who, which car, which visit.
    by_name = {s.name: s.keys for s in result.sections}
    result.keys = [key for name in reversed(SEARCH_SECTIONS) for key in by_name.get(name, [])]
    if not only:
        result.exact = _exact(q, result)
    return result
