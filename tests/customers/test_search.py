"""The one search box (DOMAIN.md §2, apps/customers/search.py) through its page.

Every key of the search.py docstring table is searched through `customers:search`; the
results are checked exactly. Then the page's query budget, and on PostgreSQL the plan of
each query shape: each must read the index made for it (EXPLAIN with sequential scans off,
so the tiny test tables cannot hide a missing index behind a cheap sequential scan).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers.models import ArchiveSettings, Customer, Vehicle
from apps.customers.search import COUNT_CAP, normalize_query, search_archive
from apps.workorders.models import WorkOrder
from tests.factories.core import rules_in_cache
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_id_number, valid_vin
from tests.factories.workorders import WorkOrderFactory

pytestmark = pytest.mark.django_db

# An ID number ending in X, to test that a typed lower-case x is found.
ZHANG_ID_NUMBER = next(n for n in map(valid_id_number, range(499)) if n.endswith("X"))
LANDLINE = "075526001234"  # 0755-26001234, a Shenzhen landline, stored as digits


@pytest.fixture
def archive():
    """Five people, two companies and their vehicles, and one work order.

    No two of them share a plate, a VIN tail or a phone tail, so each search below has
    exactly one right answer.
    """
    rules_in_cache()  # the settings rows exist and are cached, as in production
    zhang = CustomerFactory(
        name="张伟芳",
        mobile="13812345678",
        phone_other="13987654321",
        id_number=ZHANG_ID_NUMBER,
    )
    ouyang = CustomerFactory(name="欧阳晓明", mobile="13600001111", phone_other=LANDLINE)
    su = CustomerFactory(name="苏明", mobile="13700002222")
    su_xiaoyan = CustomerFactory(name="苏晓燕", mobile="13700003333")
    li = CustomerFactory(name="李雷", mobile="15900004444")
    huawei = CustomerFactory(
        kind=Customer.Kind.COMPANY,
        name="深圳华为技术有限公司",
        mobile="18900005555",
        credit_code="914403001922038216",  # a real code of digits only: shaped like an ID
    )
    byd = CustomerFactory(
        kind=Customer.Kind.COMPANY,
        name="比亚迪汽车销售有限公司",
        mobile="18900006666",
        credit_code="91440300708461136T",
    )
    zhang_car = VehicleFactory(owner=zhang, plate="粤B12345", vin=valid_vin(123456))
    ouyang_car = VehicleFactory(owner=ouyang, plate="京AD12345", vin=valid_vin(654321))
    su_car = VehicleFactory(owner=su, plate="粤B67890", vin=valid_vin(246800))
    work_order = WorkOrderFactory(vehicle=zhang_car, number="WO2023051800012")
    return {
        "zhang": zhang,
        "ouyang": ouyang,
        "su": su,
        "su_xiaoyan": su_xiaoyan,
        "li": li,
        "huawei": huawei,
        "byd": byd,
        "zhang_car": zhang_car,
        "ouyang_car": ouyang_car,
        "su_car": su_car,
        "work_order": work_order,
    }


@pytest.fixture
def advisor_client(role_client):
    return role_client("advisor")


def _page_size(size: int) -> None:
    """Search pages of `size` rows (the archive rule), cached as in production."""
    settings_row = current_settings(ArchiveSettings)
    settings_row.search_result_limit = size
    area_settings_save(rows=[settings_row], by=None)
    rules_in_cache()  # the test's transaction never commits: put the new row in the cache


def _search(client, query: str):
    response = client.get(reverse("customers:search"), {"q": query})
    assert response.status_code == 200
    return response


def _found(response) -> tuple[list[str], list[str]]:
    """(customer names, vehicle plates) of the results, in the page's order (newest first)."""
    result = response.context["result"]
    return [c.name for c in result.customers], [v.plate for v in result.vehicles]


def _opened(client, query: str) -> str:
    """The page a search for a whole key opens directly (a redirect), as a URL."""
    response = client.get(reverse("customers:search"), {"q": query})
    assert response.status_code == 302, f"{query} did not open a record directly"
    return response["Location"]


def _vehicle_url(vehicle) -> str:
    return reverse("customers:vehicle_detail", args=[vehicle.pk])


def _customer_url(customer) -> str:
    return reverse("customers:customer_detail", args=[customer.pk])


# --- plates -----------------------------------------------------------------------------


def test_a_whole_plate_opens_its_vehicle(advisor_client, archive):
    assert _opened(advisor_client, "粤B12345") == _vehicle_url(archive["zhang_car"])


def test_a_whole_new_energy_plate_opens_its_vehicle(advisor_client, archive):
    assert _opened(advisor_client, "京AD12345") == _vehicle_url(archive["ouyang_car"])


def test_a_whole_plate_contained_in_a_longer_plate_lists_both(advisor_client, archive):
    # 粤B12345 is also inside the large new-energy plate 粤B12345D: no single record.
    VehicleFactory(owner=archive["li"], plate="粤B12345D")

    response = _search(advisor_client, "粤B12345")

    assert _found(response) == ([], ["粤B12345D", "粤B12345"])
    assert response.context["result"].keys == ["车牌"]
    assert "按 车牌 查找,共 2 条结果。" in response.content.decode()


@pytest.mark.parametrize(
    ("fragment", "plates"),
    [
        ("B123", ["粤B12345"]),
        ("12345", ["京AD12345", "粤B12345"]),
        ("345", ["京AD12345", "粤B12345"]),
        ("D1234", ["京AD12345"]),
        ("7890", ["粤B67890"]),
    ],
)
def test_a_plate_fragment_of_three_or_more_characters_finds_every_plate_containing_it(
    advisor_client, archive, fragment, plates
):
    assert _found(_search(advisor_client, fragment))[1] == plates


@pytest.mark.parametrize(
    ("prefix", "plates"), [("粤B", ["粤B67890", "粤B12345"]), ("京A", ["京AD12345"])]
)
def test_a_two_character_plate_prefix_finds_the_plates_starting_with_it(
    advisor_client, archive, prefix, plates
):
    response = _search(advisor_client, prefix)

    assert _found(response) == ([], plates)


def test_a_two_character_fragment_inside_a_plate_is_not_a_prefix_and_finds_nothing(
    advisor_client, archive
):
    # Two characters are too short for the trigram index: only a plate prefix is looked up.
    assert _found(_search(advisor_client, "B1")) == ([], [])


# --- VIN --------------------------------------------------------------------------------


def test_a_whole_vin_opens_its_vehicle(advisor_client, archive):
    vin = archive["ouyang_car"].vin

    assert _opened(advisor_client, vin) == _vehicle_url(archive["ouyang_car"])


def test_the_last_six_characters_of_a_vin_find_its_vehicle(advisor_client, archive):
    assert archive["zhang_car"].vin.endswith("123456")

    response = _search(advisor_client, "123456")

    assert _found(response) == ([], ["粤B12345"])
    assert response.context["result"].keys == ["VIN后6位", "车牌"]


# --- phones -----------------------------------------------------------------------------


def test_a_whole_mobile_number_opens_its_customer(advisor_client, archive):
    assert _opened(advisor_client, "13812345678") == _customer_url(archive["zhang"])


def test_a_whole_mobile_shared_by_two_customers_lists_both(advisor_client, archive):
    # A family's shared phone: two customers, so nothing is opened for the user.
    CustomerFactory(name="张小芳", mobile="13812345678")

    response = _search(advisor_client, "13812345678")

    assert _found(response) == (["张小芳", "张伟芳"], [])
    assert response.context["result"].keys == ["手机号"]


def test_the_last_four_digits_of_a_mobile_find_its_customer(advisor_client, archive):
    response = _search(advisor_client, "5678")

    assert _found(response) == (["张伟芳"], [])
    assert response.context["result"].keys == ["手机后4位", "车牌"]


def test_the_last_four_digits_find_the_customer_and_a_plate_ending_in_them(advisor_client, archive):
    VehicleFactory(owner=archive["li"], plate="粤B05678")

    assert _found(_search(advisor_client, "5678")) == (["张伟芳"], ["粤B05678"])


def test_an_other_mobile_number_opens_its_customer(advisor_client, archive):
    assert _opened(advisor_client, "13987654321") == _customer_url(archive["zhang"])


@pytest.mark.parametrize("typed", ["0755-26001234", "075526001234", "0755 2600 1234"])
def test_an_other_phone_that_is_a_landline_opens_its_customer(advisor_client, archive, typed):
    assert _opened(advisor_client, typed) == _customer_url(archive["ouyang"])


def test_a_landline_shared_by_two_customers_is_found_as_an_other_phone(advisor_client, archive):
    CustomerFactory(name="欧阳娜", mobile="13600002222", phone_other=LANDLINE)

    response = _search(advisor_client, "0755-26001234")

    assert _found(response)[0] == ["欧阳娜", "欧阳晓明"]
    assert response.context["result"].keys[0] == "其他电话"


def test_a_landline_typed_with_a_dash_is_stored_as_digits_so_search_finds_it(advisor_client):
    rules_in_cache()
    response = advisor_client.post(
        reverse("customers:customer_create"),
        {
            "kind": "person",
            "name": "周杰",
            "mobile": "13511112222",
            "phone_other": "0755-2600 1234",
            "source": "service_only",
        },
    )
    assert response.status_code == 302

    zhou = Customer.objects.get(name="周杰")
    assert zhou.phone_other == LANDLINE
    assert _opened(advisor_client, "0755-26001234") == _customer_url(zhou)


# --- names ------------------------------------------------------------------------------


def test_a_whole_three_character_name_finds_the_customer(advisor_client, archive):
    response = _search(advisor_client, "张伟芳")

    assert _found(response) == (["张伟芳"], [])
    assert response.context["result"].keys == ["姓名"]


def test_a_whole_two_character_name_finds_the_customer(advisor_client, archive):
    assert _found(_search(advisor_client, "李雷")) == (["李雷"], [])


def test_a_surname_of_one_character_finds_every_customer_of_that_surname(advisor_client, archive):
    assert _found(_search(advisor_client, "张")) == (["张伟芳"], [])


def test_a_surname_that_is_also_a_province_abbreviation_finds_customers_not_plates(
    advisor_client, archive
):
    # 苏 is both a common surname and the plate prefix of Jiangsu.
    assert _found(_search(advisor_client, "苏")) == (["苏晓燕", "苏明"], [])


def test_a_two_character_compound_surname_finds_the_customer(advisor_client, archive):
    assert _found(_search(advisor_client, "欧阳")) == (["欧阳晓明"], [])


@pytest.mark.parametrize(("given_name", "names"), [("伟芳", ["张伟芳"]), ("晓明", ["欧阳晓明"])])
def test_a_two_character_given_name_finds_the_customer_by_the_end_of_the_name(
    advisor_client, archive, given_name, names
):
    assert _found(_search(advisor_client, given_name)) == (names, [])


@pytest.mark.parametrize(
    ("fragment", "names"),
    [
        ("阳晓明", ["欧阳晓明"]),
        ("欧阳晓", ["欧阳晓明"]),
        ("华为技术", ["深圳华为技术有限公司"]),
        ("有限公司", ["比亚迪汽车销售有限公司", "深圳华为技术有限公司"]),
    ],
)
def test_a_name_fragment_of_three_or_more_characters_finds_every_name_containing_it(
    advisor_client, archive, fragment, names
):
    assert _found(_search(advisor_client, fragment)) == (names, [])


def test_a_latin_company_name_fragment_is_found_whatever_its_case(advisor_client, archive):
    CustomerFactory(kind=Customer.Kind.COMPANY, name="ABC Motors 深圳", mobile="18900007777")

    assert _found(_search(advisor_client, "motors"))[0] == ["ABC Motors 深圳"]


# --- identity numbers and work orders ---------------------------------------------------


def test_a_resident_id_number_opens_its_customer(advisor_client, archive):
    assert _opened(advisor_client, ZHANG_ID_NUMBER) == _customer_url(archive["zhang"])


def test_a_credit_code_with_letters_opens_its_company(advisor_client, archive):
    assert _opened(advisor_client, "91440300708461136T") == _customer_url(archive["byd"])


def test_a_credit_code_of_digits_only_opens_its_company(advisor_client, archive):
    # 914403001922038216 has the shape of a resident ID number (17 digits and a digit).
    assert _opened(advisor_client, "914403001922038216") == _customer_url(archive["huawei"])


def test_a_work_order_number_opens_the_work_order_page(advisor_client, archive):
    work_order = archive["work_order"]

    url = _opened(advisor_client, "WO2023051800012")

    assert url == reverse("workorders:detail", args=[work_order.pk])
    page = advisor_client.get(url).content.decode()
    assert '<span class="font-monospace">WO2023051800012</span>' in page


# --- input normalisation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "record"),
    [
        (" 粤b 12345 ", "zhang_car"),
        ("粤b·12345", "zhang_car"),
        ("138 1234 5678", "zhang"),
        ("138-1234-5678", "zhang"),
        ("+86 138 1234 5678", "zhang"),
        ("１３８\u3000１２３４ ５６７８", "zhang"),  # full-width, pasted from a chat app
        ("粤Ｂ１２３４５", "zhang_car"),
        (ZHANG_ID_NUMBER.lower(), "zhang"),
    ],
)
def test_spaces_dashes_and_lower_case_are_normalised_before_a_whole_key_opens(
    advisor_client, archive, typed, record
):
    url = _vehicle_url if record.endswith("_car") else _customer_url

    assert _opened(advisor_client, typed) == url(archive[record])


@pytest.mark.parametrize(
    ("typed", "expected"), [("  张伟芳  ", (["张伟芳"], [])), ("d12345", ([], ["京AD12345"]))]
)
def test_spaces_and_lower_case_are_normalised_before_searching(
    advisor_client, archive, typed, expected
):
    assert _found(_search(advisor_client, typed)) == expected


def test_a_lower_case_vin_and_work_order_number_are_found(advisor_client, archive):
    vin = archive["su_car"].vin

    assert _opened(advisor_client, vin.lower()) == _vehicle_url(archive["su_car"])
    assert _opened(advisor_client, "wo2023051800012") == archive["work_order"].get_absolute_url()


def test_normalize_query_strips_separators_and_upper_cases():
    assert normalize_query(" 粤b-123 45 ") == "粤B12345"
    assert normalize_query("+86 138-1234-5678") == "13812345678"
    assert normalize_query("") == ""


def test_an_unrecognised_query_says_what_the_box_accepts(advisor_client, archive):
    response = _search(advisor_client, "!!")

    assert _found(response) == ([], [])
    assert "无法识别的查询" in response.content.decode()


def test_a_query_matching_nothing_offers_to_create_a_customer(advisor_client, archive):
    response = _search(advisor_client, "赵钱孙李")

    assert _found(response) == ([], [])
    assert "没有找到匹配的客户或车辆" in response.content.decode()


def test_the_page_size_follows_the_dealership_setting_and_the_rest_is_counted(
    advisor_client, archive
):
    _page_size(10)
    for serial in range(12):
        CustomerFactory(name=f"韩{serial:02d}号", mobile=f"1350000{serial:04d}")

    response = _search(advisor_client, "韩")

    assert [c.name for c in response.context["result"].customers] == [
        f"韩{serial:02d}号" for serial in range(11, 1, -1)
    ]
    body = response.content.decode()
    assert "按 姓氏 查找,共 12 条结果。" in body
    assert "客户(共 12 条,每页 10 条,由新到旧)" in body


# --- masking ------------------------------------------------------------------------------


_RESULT_TABLE = re.compile(r'<table[^>]*id="(customer|vehicle)-results".*?</table>', re.S)


@pytest.mark.parametrize("role", ["advisor", "manager", "supervisor"])
def test_results_show_phones_masked_and_never_the_whole_number(role_client, archive, role):
    client = role_client(role)

    body = _search(client, "张伟芳").content.decode()

    assert "138****5678" in body
    assert "13812345678" not in body
    assert "13987654321" not in body  # the other phone is not listed at all


def test_vehicle_results_show_the_owner_phone_masked(advisor_client, archive):
    body = _search(advisor_client, "B12345").content.decode()

    assert "138****5678" in body
    assert "13812345678" not in body


def test_a_search_by_the_whole_mobile_lists_it_masked_in_the_results(advisor_client, archive):
    CustomerFactory(name="张小芳", mobile="13812345678")  # two customers: a list, not a card

    body = _search(advisor_client, "13812345678").content.decode()

    tables = [match.group(0) for match in _RESULT_TABLE.finditer(body)]
    assert len(tables) == 1
    assert "138****5678" in tables[0]
    assert "13812345678" not in tables[0]


# --- query budget -----------------------------------------------------------------------

# Every rendered search page runs these 4 queries whatever was typed. Before the search: the
# session, the user, the user's permissions (the permission check, one query). While
# rendering: the user's groups (role labels of the navigation). The settings (the page
# size, the page header) come from the cache.
FIXED_QUERIES = 4


# The last character of a plate 粤A8888_: 34 different plates (a plate is on one vehicle).
PLATE_TAILS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _people_named_wang(count: int, *, start: int = 0) -> None:
    """`count` customers named 王…, each with a car whose plate starts 粤A8888."""
    for serial in range(start, start + count):
        owner = CustomerFactory(name=f"王{serial:02d}", mobile=f"1370000{serial:04d}")
        VehicleFactory(owner=owner, plate=f"粤A8888{PLATE_TAILS[serial]}")


def test_a_surname_search_runs_seven_queries(advisor_client, django_assert_num_queries):
    rules_in_cache()
    _people_named_wang(3)

    # The 5 fixed queries, the matching customers, and the first plates of all of them at
    # once (no count: one page holds every match).
    with django_assert_num_queries(FIXED_QUERIES + 2):
        response = _search(advisor_client, "王")

    assert _found(response) == (["王02", "王01", "王00"], [])
    assert [[v.plate for v in c.vehicle_list] for c in response.context["result"].customers] == [
        ["粤A88882"],
        ["粤A88881"],
        ["粤A88880"],
    ]


@pytest.mark.parametrize(
    ("query", "search_queries", "found"),
    [
        ("王", 2, (["王02", "王01", "王00"], [])),  # customers by surname, their plates
        ("粤A8888", 1, ([], ["粤A88882", "粤A88881", "粤A88880"])),  # vehicles + owners
        # customers by mobile tail (none, so no plates to fetch), then vehicles by plate
        ("8888", 2, ([], ["粤A88882", "粤A88881", "粤A88880"])),
        # other phone (no match), work orders by number tail (none): no plate for 9 digits
        ("137000000", 2, ([], [])),
        # VIN tail or plate (6 characters: none), work orders by number prefix (none)
        ("WO2026", 2, ([], [])),
    ],
)
def test_every_query_shape_runs_a_fixed_number_of_queries(
    advisor_client, django_assert_num_queries, query, search_queries, found
):
    rules_in_cache()
    _people_named_wang(3)

    with django_assert_num_queries(FIXED_QUERIES + search_queries):
        response = _search(advisor_client, query)

    assert _found(response) == found


def test_a_whole_key_opens_its_record_after_a_fixed_number_of_queries(
    advisor_client, django_assert_num_queries
):
    rules_in_cache()
    _people_named_wang(3)

    # Session, user, permissions; customers by phone, their plates, work orders by
    # number tail. Nothing is rendered: the answer is a redirect.
    with django_assert_num_queries(3 + 3):
        url = _opened(advisor_client, "13700000001")

    assert url == _customer_url(Customer.objects.get(name="王01"))


@pytest.mark.parametrize("query", ["王", "粤A8888", "8888"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_matches(advisor_client, query):
    _page_size(10)
    _people_named_wang(12)
    with CaptureQueriesContext(connection) as few:
        few_response = _search(advisor_client, query)
    _people_named_wang(22, start=12)
    with CaptureQueriesContext(connection) as many:
        many_response = _search(advisor_client, query)

    # Both are more than a page: one page of rows, one bounded count.
    few_result, many_result = few_response.context["result"], many_response.context["result"]
    assert (few_result.count, len(few_result.customers + few_result.vehicles)) == (12, 10)
    assert (many_result.count, len(many_result.customers + many_result.vehicles)) == (34, 10)
    assert [q["sql"][:60] for q in many] == [q["sql"][:60] for q in few]


# --- index use (PostgreSQL EXPLAIN) -------------------------------------------------------

_INDEX_USED = (
    "(?:Index Scan on|Index Scan using|Index Only Scan using|Index Scan Backward using) {index} "
)


def _search_statements(query: str, *, page_size: int = 50) -> dict[str, str]:
    """The SQL that search_archive runs for `query`: {"customer", "vehicle", "work_order",
    and "<that>_count" when a section has more than `page_size` matches: sql}."""
    with CaptureQueriesContext(connection) as captured:
        search_archive(query, page_size=page_size)
    statements = {}
    tables = {
        "customers_customer": "customer",
        "customers_vehicle": "vehicle",
        "workorders_workorder": "work_order",
    }
    for item in captured.captured_queries:
        sql = item["sql"]
        if '"owner_id" IN (' in sql:
            continue  # the plates of the customers found (by primary key)
        count = "_count" if sql.startswith("SELECT COUNT(*)") else ""
        table = re.search(r'FROM "(\w+)"', sql).group(1)
        statements[f"{tables[table]}{count}"] = sql
    return statements


def _plan(sql: str, *, sequential_scans: bool = False, in_order: bool = False) -> str:
    with connection.cursor() as cursor:
        if not sequential_scans:
            # SET LOCAL ends with the test's transaction (rolled back), so it never leaks.
            cursor.execute("SET LOCAL enable_seqscan = off")
        if in_order:
            # Whether an index can give the rows in the page's order: a plan without a
            # Sort exists only if it can. (On a big table the planner picks that plan by
            # cost; on a test's few rows the choice follows statistics other tests skew.)
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _uses(plan: str, index: str) -> bool:
    return re.search(_INDEX_USED.format(index=index), plan) is not None


SHAPES = [
    ("张伟芳", "customer", ["customer_name_trgm_idx"]),
    ("华为技术", "customer", ["customer_name_trgm_idx"]),
    ("MOTORS", "customer", ["customer_name_trgm_idx"]),
    ("张", "customer", ["customer_surname_idx"]),
    ("伟芳", "customer", ["customer_name_prefix_idx", "customer_name_suffix_idx"]),
    ("5678", "customer", ["customer_mobile_last4_idx"]),
    # (mobile, name) is unique: its index serves a whole-mobile lookup.
    ("13812345678", "customer", ["customer_mobile_name_unique", "customer_phone_other_idx"]),
    ("075526001234", "customer", ["customer_phone_other_idx"]),
    (
        ZHANG_ID_NUMBER,
        "customer",
        ["customer_id_number_(?:idx|unique)", "customer_credit_code_idx"],
    ),
    ("91440300708461136T", "customer", ["customer_credit_code_idx"]),
    ("123456", "vehicle", ["vehicle_vin_last6_idx", "vehicle_plate_trgm_idx"]),
    ("粤B12345", "vehicle", ["vehicle_plate_trgm_idx"]),
    ("B123", "vehicle", ["vehicle_plate_trgm_idx"]),
    ("5678", "vehicle", ["vehicle_plate_trgm_idx"]),
    ("粤B", "vehicle", ["vehicle_plate_trgm_idx"]),
    ("WO2023", "work_order", ["workorder_number_bytes_idx"]),
    ("WO2023051800012", "work_order", ["workorder_number_bytes_idx"]),
    ("800012", "work_order", ["workorder_number_suffix_idx"]),
    ("13812345678", "work_order", ["workorder_number_suffix_idx"]),
]


def _flush_gin_pending_lists() -> None:
    """What autovacuum does on a live server: move the rows inserted since the last vacuum
    from each GIN index's pending list into the index proper. Left in the pending list,
    they must all be read by every search, and the planner rightly avoids the index."""
    with connection.cursor() as cursor:
        for index in ("customer_name_trgm_idx", "vehicle_plate_trgm_idx"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])


@pytest.mark.parametrize("query", ["WO202305", "WO2023051800012", "B1234567"])
def test_eight_characters_without_a_province_are_no_plate_and_read_no_vehicle(query, archive):
    # A plate has at most 7 characters after its province: "WO202305" (a month of work
    # orders) is a work-order prefix, and searching plates for it would only cost time.
    assert "vehicle" not in _search_statements(query)


def test_a_whole_new_energy_plate_without_its_province_is_still_a_plate(archive):
    assert "vehicle" in _search_statements("AD12345")


@pytest.mark.parametrize(("query", "statement", "indexes"), SHAPES)
def test_each_query_shape_reads_the_index_made_for_it(query, statement, indexes, archive):
    _flush_gin_pending_lists()
    sql = _search_statements(query)[statement]

    plan = _plan(sql)

    for index in indexes:
        assert _uses(plan, index), plan


@pytest.mark.parametrize(
    ("query", "statement", "index"),
    [
        ("苏", "customer", "customer_surname_idx"),
        ("WO2023", "work_order", "workorder_number_bytes_idx"),
    ],
)
def test_a_surname_and_a_number_prefix_read_their_page_in_index_order_without_sorting(
    query, statement, index, archive
):
    # The page is the first rows of the index: whatever the number of matches (a common
    # surname, a year of work orders), no sort of all of them.
    WorkOrderFactory(vehicle=archive["su_car"], number="WO2023061900001")

    plan = _plan(_search_statements(query, page_size=1)[statement], in_order=True)

    assert re.search(rf"Index Scan Backward using {index} ", plan), plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize(
    ("query", "statement", "index"),
    [
        ("苏", "customer_count", "customer_surname_idx"),
        ("WO2023", "work_order_count", "workorder_number_bytes_idx"),
    ],
)
def test_the_bounded_count_of_a_long_result_reads_its_index(query, statement, index, archive):
    WorkOrderFactory(vehicle=archive["su_car"], number="WO2023061900001")

    sql = _search_statements(query, page_size=1)[statement]
    plan = _plan(sql)

    # At most COUNT_CAP + 1 entries of the index (an index-only scan once vacuum has set
    # the visibility map, as on a live server; a test's rows are too fresh for that).
    assert f"LIMIT {COUNT_CAP + 1}" in sql
    assert _uses(plan, index), plan


@pytest.fixture
def big_archive(archive):
    """2,000 more customers with a car and a work order each, then what autovacuum does on a
    live server: the GIN pending lists flushed and fresh statistics, so the planner costs
    every plan (not only index ones) as it would on a real archive."""
    customers = Customer.objects.bulk_create(
        Customer(name=f"{'赵钱孙李周吴郑王'[n % 8]}{n:04d}号", mobile=f"150{n:08d}")
        for n in range(2000)
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            vin=valid_vin(500000 + n),
            plate=f"湘C{n:05d}",
            brand="大众",
            model_name="朗逸",
            owner=customer,
        )
        for n, customer in enumerate(customers)
    )
    opened = archive["work_order"].opened_at
    WorkOrder.objects.bulk_create(
        WorkOrder(
            number=f"WO{2016 + n % 8}{n:08d}",
            vehicle=vehicle,
            customer=vehicle.owner,
            opened_at=opened,
        )
        for n, vehicle in enumerate(vehicles)
    )
    _flush_gin_pending_lists()
    with connection.cursor() as cursor:
        for table in ("customers_customer", "customers_vehicle", "workorders_workorder"):
            cursor.execute(f"ANALYZE {table}")
    return archive


@pytest.mark.parametrize(
    ("query", "statement", "indexes"),
    [shape for shape in SHAPES if shape[0] not in {"粤B"}],
)
def test_on_a_realistic_archive_the_planner_itself_chooses_the_index(
    query, statement, indexes, big_archive
):
    # Sequential scans stay allowed: with 2,000 rows and statistics, the index must win on
    # cost, as it will on 10 years of data.
    sql = _search_statements(query)[statement]

    plan = _plan(sql, sequential_scans=True)

    for index in indexes:
        assert _uses(plan, index), plan


def test_a_whole_vin_reads_the_unique_vin_index(archive):
    sql = _search_statements(archive["zhang_car"].vin)["vehicle"]

    plan = _plan(sql)

    assert _uses(plan, "vehicle_vin_unique"), plan


def test_the_name_fragment_index_is_on_upper_name_as_icontains_compiles(archive):
    # Django compiles icontains to UPPER("name"::text) LIKE UPPER(%s); an index on plain
    # "name" would not serve it (STYLE.md). Guard the query shape the index relies on.
    sql = _search_statements("张伟芳")["customer"]

    assert 'UPPER("customers_customer"."name"::text) LIKE UPPER(' in sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", ["customer_name_trgm_idx"]
        )
        (definition,) = cursor.fetchone()
    assert "gin (upper((name)::text) gin_trgm_ops)" in definition
