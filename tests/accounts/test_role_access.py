"""Who may open what (DOMAIN.md §1): the role × page matrix, the 403 page, the navigation,
login and logout, and the groups the data migration made from apps/accounts/roles.py.

The matrix below is written out by hand from DOMAIN.md §1 and roles.py, not computed from
the permissions, so a change to a role's permissions that opens or closes a page fails here
until someone decides the new access is right and edits this table.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from apps.accounts.roles import NAVIGATION, ROLES
from apps.core.models import DealershipSettings
from apps.core.settings import current_settings
from apps.customers.models import Customer, ImportBatch, SalesDocument, SalesFile
from tests.factories.core import rules_in_cache
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory

pytestmark = pytest.mark.django_db

# Y: the role opens the page (200, or a redirect after a POST); .: it gets 403.
# The columns are every role of roles.py, in ROLES order. A row is a page: its URL name
# without the namespace (vehicle_owner is customers:vehicle_change_owner, the owner change).
MATRIX = """
page              advisor supervisor technician qc parts warranty callback complaint manager admin
home              Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
search            Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_list     Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_detail   Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_create   Y       .          .          .  .     .        .        .         Y       Y
customer_update   Y       .          .          .  .     .        .        .         Y       Y
customer_reveal   Y       .          .          .  .     Y        Y        Y         Y       .
pii_reveal_list   .       .          .          .  .     .        .        .         Y       .
customer_merge    .       .          .          .  .     .        .        .         Y       .
vehicle_list      Y       Y          .          .  Y     Y        Y        Y         Y       Y
vehicle_detail    Y       Y          .          .  Y     Y        Y        Y         Y       Y
vehicle_create    Y       .          .          .  .     .        .        .         Y       Y
vehicle_update    Y       .          .          .  .     .        .        .         Y       Y
vehicle_owner     Y       .          .          .  .     .        .        .         Y       Y
vehicle_free_plate Y      .          .          .  .     .        .        .         Y       Y
salesfile_list    .       .          .          .  .     .        Y        Y         Y       Y
salesfile_detail  .       .          .          .  .     .        Y        Y         Y       Y
salesfile_create  .       .          .          .  .     .        .        .         Y       Y
salesfile_receive .       .          .          .  .     .        Y        Y         Y       Y
import_list       .       .          .          .  .     .        .        .         Y       Y
import_detail     .       .          .          .  .     .        .        .         Y       Y
import_template   .       .          .          .  .     .        .        .         Y       Y
settings_edit     .       .          .          .  .     .        .        .         .       Y
calendar_list     .       .          .          .  .     .        .        .         .       Y
calendar_year     .       .          .          .  .     .        .        .         .       Y
"""


def _parse_matrix(text: str) -> tuple[list[str], dict[str, set[str]]]:
    header, *rows = text.strip().splitlines()
    roles = header.split()[1:]
    allowed = {}
    for row in rows:
        page, *marks = row.split()
        assert len(marks) == len(roles), f"row {page} has {len(marks)} marks"
        allowed[page] = {role for role, mark in zip(roles, marks, strict=True) if mark == "Y"}
    return roles, allowed


MATRIX_ROLES, ALLOWED = _parse_matrix(MATRIX)
CASES = [(page, role) for page in ALLOWED for role in MATRIX_ROLES]


@pytest.fixture
def archive(user_with_role):
    """One of everything the pages show: a customer with a vehicle and its sales file, a
    second vehicle with no sales file yet, and an import batch."""
    rules_in_cache()
    customer = CustomerFactory(name="王建国", mobile="13912345678")
    vehicle = VehicleFactory(owner=customer)
    sales_file = SalesFileFactory(vehicle=vehicle)
    unsold = VehicleFactory(owner=customer)
    batch = ImportBatch.objects.create(
        file="imports/2026/11/old.xlsx", original_name="old.xlsx", created_by=user_with_role()
    )
    return {
        "customer": customer,
        "vehicle": vehicle,
        "sales_file": sales_file,
        "unsold": unsold,
        "batch": batch,
    }


def _request(page: str, archive: dict) -> tuple[str, str, dict]:
    """(method, url, data) that opens `page` for the archive fixture."""
    customer, vehicle = archive["customer"], archive["vehicle"]
    urls = {
        "home": reverse("dashboard:home"),
        "search": reverse("customers:search"),
        "customer_list": reverse("customers:customer_list"),
        "customer_detail": reverse("customers:customer_detail", args=[customer.pk]),
        "customer_create": reverse("customers:customer_create"),
        "customer_update": reverse("customers:customer_update", args=[customer.pk]),
        "customer_reveal": reverse("customers:customer_reveal", args=[customer.pk, "mobile"]),
        "pii_reveal_list": reverse("customers:pii_reveal_list"),
        "customer_merge": reverse("customers:customer_merge", args=[customer.pk]),
        "vehicle_list": reverse("customers:vehicle_list"),
        "vehicle_detail": reverse("customers:vehicle_detail", args=[vehicle.pk]),
        "vehicle_create": reverse("customers:vehicle_create", args=[customer.pk]),
        "vehicle_update": reverse("customers:vehicle_update", args=[vehicle.pk]),
        "vehicle_owner": reverse("customers:vehicle_change_owner", args=[vehicle.pk]),
        "vehicle_free_plate": reverse("customers:vehicle_free_plate", args=[vehicle.pk]),
        "salesfile_list": reverse("customers:salesfile_list"),
        "salesfile_detail": reverse("customers:salesfile_detail", args=[archive["sales_file"].pk]),
        "salesfile_create": reverse("customers:salesfile_create", args=[archive["unsold"].pk]),
        "salesfile_receive": reverse(
            "customers:salesfile_receive", args=[archive["sales_file"].pk]
        ),
        "import_list": reverse("customers:import_list"),
        "import_detail": reverse("customers:import_detail", args=[archive["batch"].pk]),
        "import_template": reverse("customers:import_template"),
        "settings_edit": reverse("core:settings_edit"),
        "calendar_list": reverse("core:calendar_list"),
        "calendar_year": reverse("core:calendar_year", args=[2027]),
    }
    if page == "salesfile_receive":
        return "post", urls[page], {"kinds": ["invoice"], "received_on": "2026-11-17"}
    if page == "customer_reveal":
        return "post", urls[page], {}
    if page == "search":
        return "get", urls[page], {"q": "王建国"}
    return "get", urls[page], {}


def test_the_matrix_has_a_column_for_every_role_and_a_row_for_every_page():
    assert [role.code for role in ROLES] == MATRIX_ROLES
    assert len(ALLOWED) == 25


@pytest.mark.parametrize(("page", "role"), CASES)
def test_each_role_opens_exactly_the_pages_of_its_matrix_row(page, role, role_client, archive):
    client = role_client(role)
    method, url, data = _request(page, archive)

    response = getattr(client, method)(url, data)

    if role not in ALLOWED[page]:
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()
    elif page == "customer_reveal":
        assert response.status_code == 200
        assert "13912345678" in response.content.decode()
    elif method == "post":
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "customers:salesfile_detail", args=[archive["sales_file"].pk]
        )
    else:
        assert response.status_code == 200


def test_a_clerk_refused_the_receipt_of_a_document_leaves_the_sales_file_unchanged(
    role_client, archive
):
    client = role_client("advisor")
    method, url, data = _request("salesfile_receive", archive)

    response = client.post(url, data)

    assert response.status_code == 403
    assert SalesDocument.objects.count() == 0


def test_a_callback_clerk_cannot_edit_a_customer_and_the_customer_is_unchanged(
    role_client, archive
):
    customer = archive["customer"]
    client = role_client("callback")

    response = client.post(
        reverse("customers:customer_update", args=[customer.pk]),
        {"kind": "person", "name": "改名", "mobile": "13900000000", "source": "service_only"},
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert (customer.name, customer.mobile) == ("王建国", "13912345678")


def test_a_supervisor_cannot_create_a_customer_and_none_is_created(role_client, archive):
    client = role_client("supervisor")

    response = client.post(
        reverse("customers:customer_create"),
        {"kind": "person", "name": "新客户", "mobile": "13700000000", "source": "service_only"},
    )

    assert response.status_code == 403
    assert list(Customer.objects.values_list("name", flat=True)) == ["王建国"]


def test_an_advisor_cannot_open_a_sales_file_and_none_is_created(role_client, archive):
    client = role_client("advisor")
    unsold = archive["unsold"]

    response = client.post(
        reverse("customers:salesfile_create", args=[unsold.pk]),
        {"delivered_on": "2026-11-16", "salesperson": "李思琪"},
    )

    assert response.status_code == 403
    assert SalesFile.objects.filter(vehicle=unsold).exists() is False


def test_a_manager_cannot_change_the_dealership_settings_and_they_stay_as_they_were(
    role_client, archive
):
    client = role_client("manager")

    response = client.post(reverse("core:settings_edit"), {"name": "被改掉的名称"})

    assert response.status_code == 403
    assert current_settings(DealershipSettings).name == "示例汽车4S店"


@pytest.mark.parametrize("page", list(ALLOWED))
def test_an_anonymous_visitor_is_sent_to_the_login_page(page, client, archive):
    method, url, data = _request(page, archive)

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    expected_next = f"{url}?{urlencode(data)}" if method == "get" and data else url
    assert parse_qs(location.query) == {"next": [expected_next]}


def test_a_user_with_no_role_gets_the_chinese_403_page_naming_no_role(role_client, archive):
    client = role_client()

    response = client.get(reverse("customers:customer_list"))

    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    body = response.content.decode()
    assert "无权访问" in body
    assert "您的角色(未分配角色)不能打开此页面。" in body
    assert "Traceback" not in body


def test_the_403_page_names_the_roles_the_user_holds(role_client, archive):
    client = role_client("technician", "qc")

    response = client.get(reverse("customers:customer_list"))

    assert response.status_code == 403
    assert "您的角色(维修技师、质检员)不能打开此页面。" in response.content.decode()


def test_a_user_holding_two_roles_gets_the_pages_of_both(role_client, archive):
    client = role_client("parts", "callback")

    assert client.get(reverse("customers:salesfile_list")).status_code == 200
    assert client.get(reverse("customers:customer_list")).status_code == 200
    assert client.get(reverse("customers:import_list")).status_code == 403


# --- navigation -------------------------------------------------------------------------

_NAV = re.compile(r'<ul class="navbar-nav me-auto">(.*?)</ul>', re.S)
_NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="([^"]+)">([^<]+)</a>')


def _navigation(response) -> list[tuple[str, str]]:
    """(label, url) of every item of the top navigation bar, in order."""
    block = _NAV.search(response.content.decode())
    assert block, "the page has no navigation bar"
    return [(label, url) for url, label in _NAV_LINK.findall(block.group(1))]


@pytest.mark.parametrize(
    ("roles", "labels"),
    [
        (("technician",), ["工作台"]),
        (("qc",), ["工作台"]),
        (("parts",), ["工作台", "车辆"]),
        (("advisor",), ["工作台", "客户档案", "车辆"]),
        (("callback",), ["工作台", "客户档案", "车辆", "销售档案"]),
        (("manager",), ["工作台", "客户档案", "车辆", "销售档案", "档案导入", "号码查看记录"]),
        (("admin",), ["工作台", "客户档案", "车辆", "销售档案", "档案导入", "经销商设置"]),
        (("parts", "callback"), ["工作台", "客户档案", "车辆", "销售档案"]),
    ],
)
def test_the_navigation_shows_only_the_items_the_role_may_open(roles, labels, role_client):
    client = role_client(*roles)

    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 200
    items = _navigation(response)
    assert [label for label, _url in items] == labels
    urls = {item.label: reverse(item.url_name) for item in NAVIGATION}
    assert items == [(label, urls[label]) for label in labels]
    for _label, url in items:
        assert client.get(url).status_code == 200


def test_the_search_box_shows_only_to_roles_that_may_search(role_client):
    assert 'role="search"' in role_client("supervisor").get("/").content.decode()
    assert 'role="search"' not in role_client("parts").get("/").content.decode()


# --- login and logout --------------------------------------------------------------------


def test_a_user_logs_in_with_the_right_password_and_lands_on_the_home_page(client, user_with_role):
    user_with_role("advisor", username="zhangsan")

    response = client.post(
        reverse("accounts:login"), {"username": "zhangsan", "password": "secret-pass-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.get(reverse("customers:customer_list")).status_code == 200


def test_a_login_continues_to_the_page_that_asked_for_it(client, user_with_role):
    user_with_role("advisor", username="zhangsan")
    wanted = reverse("customers:vehicle_list")

    response = client.post(
        reverse("accounts:login"),
        {"username": "zhangsan", "password": "secret-pass-1", "next": wanted},
    )

    assert response.status_code == 302
    assert response["Location"] == wanted


def test_a_wrong_password_shows_the_login_page_again_with_a_chinese_error(client, user_with_role):
    user_with_role("advisor", username="zhangsan")

    response = client.post(
        reverse("accounts:login"), {"username": "zhangsan", "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert client.get(reverse("dashboard:home")).status_code == 302


def test_logging_out_ends_the_session(client, user_with_role):
    client.force_login(user_with_role("advisor"))

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("accounts:login"))


def test_the_login_page_opens_without_a_session(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "售后服务管理系统" in response.content.decode()


# --- the groups made by the data migration ------------------------------------------------


def _permission_names(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.code)
def test_the_migration_gave_each_role_group_exactly_its_permissions(role):
    group = Group.objects.get(name=role.code)

    assert _permission_names(group) == set(role.permissions)


def test_there_is_one_group_per_role_and_no_other():
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(r.code for r in ROLES)


def test_every_permission_named_in_roles_exists():
    named = {name for role in ROLES for name in role.permissions}
    named |= {item.permission for item in NAVIGATION if item.permission}

    missing = {
        name
        for name in named
        if not Permission.objects.filter(
            content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
        ).exists()
    }

    assert missing == set()


def test_no_role_holds_a_permission_twice():
    for role in ROLES:
        assert len(role.permissions) == len(set(role.permissions)), role.code
