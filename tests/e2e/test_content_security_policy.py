"""The strict Content-Security-Policy in Chromium: every page of the role × page matrix
loads with no violation reported (no inline script or style refused, nothing injected by
htmx), Bootstrap's dropdowns still work, and the import page keeps polling.
"""

import pytest
from playwright.sync_api import expect

from apps.customers.models import ImportBatch
from tests.accounts.test_role_access import (  # the matrix and its fixture
    _request,
    archive,  # noqa: F401 (a fixture, used by name)
)
from tests.core.test_csp_templates import GET_PAGES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _watch_violations(page) -> list[str]:
    """Every CSP violation the page reports, and every script error."""
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: found.append(f"script error: {error}"))
    return found


def test_every_page_loads_in_chromium_without_a_csp_violation(
    live_server,
    new_page,
    role_user,
    log_in,
    screenshot,
    archive,  # noqa: F811
):
    admin = role_user("admin", display_name="系统管理员")
    page = new_page()
    violations = _watch_violations(page)
    log_in(page, admin)

    for name in GET_PAGES:
        request = _request(name, archive)
        query = "?" + "&".join(f"{k}={v}" for k, v in request.data.items()) if request.data else ""
        page.goto(f"{live_server.url}{request.url}{query}")
        page.wait_for_load_state("networkidle")
        assert violations == [], f"{name}: {violations}"
    screenshot(page, "csp-settings-admin")

    # Bootstrap's dropdown (Popper positions it through the CSSOM, which CSP allows)
    page.goto(f"{live_server.url}/")
    page.locator("nav .user-menu").click()
    expect(page.get_by_role("link", name="修改密码")).to_be_visible()
    screenshot(page, "csp-home-admin-menu-open")
    # the cancel link of a form page leads back to the record, not through javascript:
    page.goto(f"{live_server.url}{_request('customers:customer_update', archive).url}")
    page.get_by_role("link", name="取消").click()
    expect(page.get_by_role("heading", name="王建国")).to_be_visible()
    assert violations == []


def test_the_import_page_polls_under_the_policy_and_announces_the_result(
    live_server,
    new_page,
    role_user,
    log_in,
    screenshot,
    archive,  # noqa: F811
):
    manager = role_user("manager")
    batch = archive["batch"]
    batch.status = ImportBatch.Status.RUNNING
    batch.save(update_fields=["status"])
    page = new_page()
    violations = _watch_violations(page)
    log_in(page, manager)
    page.goto(f"{live_server.url}/archive/imports/{batch.pk}/")
    live_region = page.locator("[aria-live=polite]")
    expect(live_region).to_contain_text("导入中")

    # When the job finishes (as the worker would record it)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.REJECTED,
        summary={"error_count": 1},
        errors=[{"sheet": "客户", "row": 2, "column": "手机", "message": "手机号应为 11 位数字"}],
    )

    # Then the next poll (every 2 s) shows it in the live region, with no violation
    expect(live_region).to_contain_text("没有导入任何数据", timeout=6_000)
    screenshot(page, "csp-import-polled")
    assert violations == []
