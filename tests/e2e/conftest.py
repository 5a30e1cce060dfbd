"""Browser tests: Debian's headless Chromium driven by Playwright's sync API.

One browser per session (starting Chromium costs about a second); every test gets its own
context, so cookies and sessions never leak between tests. Never a downloaded browser:
the Chromium of the Debian package (scripts/ensure-browser.sh installs it).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from tests.factories.accounts import UserFactory

# Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses
# ORM calls from a thread with a running loop. The test code itself is synchronous, so the
# check does not apply here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-pass-1"  # the password UserFactory sets
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 1024, "height": 768}  # a 10" tablet in landscape, the service lane's device
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# A page of this app answers in milliseconds; 10 s only bounds a broken test.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One headless Chromium for the session.

    1. Django keeps database connections in a thread-local store, but in a thread whose
       asyncio loop is running it uses a separate context-local store; Playwright's sync
       API keeps its loop running in this thread. So once Playwright starts, the test code
       gets new connection objects, which lack the migration data that pytest-django saved
       for serialized_rollback on the old ones: copy it across.
    2. Close the connections of both stores when done, so the test database can be dropped.
    """
    saved = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in saved.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        # Assertions wait as long as actions do (Playwright's own default is 5 s): on a
        # shared 2-core machine a page can take longer while a worker renders a PDF.
        expect.set_options(timeout=TIMEOUT_MS)
        yield browser
        browser.close()
        connections.close_all()
    connections.close_all()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh context: new_page() on a desktop, new_page(TABLET) on a tablet,
    new_page(TABLET, has_touch=True) on a touch tablet (CSS sees `pointer: coarse`)."""
    contexts = []

    def make(viewport=DESKTOP, *, has_touch=False) -> Page:
        context = browser.new_context(viewport=viewport, locale="zh-CN", has_touch=has_touch)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def role_user():
    """A user holding one role (its group comes from the migrations): role_user("advisor")."""

    def make(code, **fields):
        user = UserFactory(**fields)
        # UserFactory skips the save after its post-generation set_password (tests that
        # force_login never notice); logging in through the page needs it stored.
        user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=code)])
        return user

    return make


@pytest.fixture
def log_in(live_server):
    """Log in through the login page and land on the 工作台: log_in(page, user)."""

    def act(page: Page, user) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    return act


@pytest.fixture(scope="session")
def screenshot():
    """Keep a full-page picture of a main page in var/screenshots/ for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take
