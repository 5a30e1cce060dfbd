"""CSP-ready templates (issue 6 point 15): every page of the role × page matrix renders
with no inline script, inline style, event-handler attribute or javascript: URL, icon-only
buttons and links have an accessible name, and every response carries a strict
Content-Security-Policy.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from apps.customers.models import ImportBatch
from tests.accounts.test_role_access import (  # the matrix and its fixture
    ALLOWED,
    APPOINTMENT_POSTS,
    FLOOR_POSTS,
    MATRIX_ROLES,
    STOCK_POSTS,
    WARRANTY_POSTS,
    WORK_ORDER_POSTS,
    WORKSHOP_POSTS,
    _request,
    archive,  # noqa: F401 (a fixture, used by name)
    floor_belongs_to,
)

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# <script type="application/json"> (json_script) is data, not code: CSP allows it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would refuse, and icon-only controls without a name."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._controls: list[dict] = []  # open <a>/<button> elements

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        code = attributes.get("type") not in DATA_SCRIPT_TYPES
        if tag == "script" and not attributes.get("src") and code:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=…> event handler")
            elif name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f'<{tag} {name}="{value}">')
        if tag in {"a", "button"}:
            self._controls.append({"tag": tag, "label": attributes.get("aria-label"), "text": ""})

    def handle_data(self, data):
        for control in self._controls:
            control["text"] += data

    def handle_endtag(self, tag):
        if tag in {"a", "button"} and self._controls:
            control = self._controls.pop()
            if not control["text"].strip() and not (control["label"] or "").strip():
                self.problems.append(f"<{control['tag']}> with only an icon and no aria-label")


def _problems(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


GET_PAGES = [
    page
    for page in ALLOWED
    if page
    not in {
        "accounts:login",
        "accounts:logout",
        "core:dealership_logo",
        "customers:customer_reveal",  # POST only; answers a fragment (test_pii_reveal.py)
        # Licence photos: the camera buttons' uploads (POST only) and the photo (an image).
        "customers:vehicle_scan",
        "workorders:reception_scan",
        "customers:licence_scan_photo",
        # Reception: POST only (the sheet's forms, rendered by the test below), and images.
        "workorders:damage_mark_add",
        "workorders:damage_mark_remove",
        "workorders:inspection_photo_add",
        "workorders:inspection_sign",
        "workorders:recommendation_add",
        "workorders:inspection_photo",
        "workorders:inspection_signature",
        "workorders:document_download",  # a PDF, not a page (test_documents.py)
        "workorders:document_issue",  # POST only; redirects to the PDF
        "workshop:proposal_photo",  # an image
        "appointments:unreachable",  # POST only (the targets list's button)
        "callbacks:queue_next",  # POST only; redirects to callbacks:queue
        "callbacks:queue_release",
        # Opens only for the clerk holding the call (else back to the queue): rendered and
        # checked in tests/callbacks/test_call_screen.py.
        "callbacks:call_screen",
        "warranty:statement_excel",  # a workbook (test_monthly_statement.py)
        "stock:commission_excel",  # a workbook (test_accessories.py)
        "complaints:create_from_problem",  # redirects to complaints:create (rendered)
        # POST only: their forms are on the complaint's page (test_pages.py)
        "complaints:transition",
        "complaints:propose",
        "complaints:resolve",
        "complaints:close",
    }
    and page not in APPOINTMENT_POSTS  # POST only; their forms are on the appointment page
    and not page.endswith(("receive", "unreceive", "import_template"))
    and page.removeprefix("workorders:") not in WORK_ORDER_POSTS  # POST only
    and page.removeprefix("workshop:") not in FLOOR_POSTS  # POST only
    and page not in WORKSHOP_POSTS  # POST only; their refusals: test_dispatch_board.py
    and page.removeprefix("stock:") not in STOCK_POSTS  # POST only
    and page != "stock:slip_signature"  # an image
    and page.removeprefix("warranty:") not in WARRANTY_POSTS
]


@pytest.mark.parametrize("page", GET_PAGES)
def test_every_page_of_the_matrix_renders_without_inline_code(page, role_client, archive):  # noqa: F811
    role = next(role for role in MATRIX_ROLES if role in ALLOWED[page])
    request = _request(page, archive)
    client = role_client(role)
    floor_belongs_to(client, archive)

    response = client.get(request.url, request.data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert _problems(response.content.decode()) == []


def test_the_login_403_404_and_500_pages_render_without_inline_code(client, role_client):
    login = client.get(reverse("accounts:login"))
    refused = role_client("technician").get(reverse("customers:customer_list"))
    missing = role_client("manager").get(reverse("customers:customer_detail", args=[0]))
    server_error = render_to_string("500.html")

    assert (login.status_code, refused.status_code, missing.status_code) == (200, 403, 404)
    for html in (login.content.decode(), refused.content.decode(), missing.content.decode()):
        assert _problems(html) == []
    assert "系统暂时出错" in server_error
    assert _problems(server_error) == []


def test_a_form_with_errors_and_a_polling_import_render_without_inline_code(
    role_client,
    archive,  # noqa: F811
):
    client = role_client("manager")
    archive["batch"].status = ImportBatch.Status.RUNNING
    archive["batch"].save(update_fields=["status"])

    form = client.post(reverse("customers:customer_create"), {"kind": "person"})
    polling = client.get(reverse("customers:import_detail", args=[archive["batch"].pk]))
    partial = client.get(
        reverse("customers:import_detail", args=[archive["batch"].pk]), HTTP_HX_REQUEST="true"
    )

    assert form.status_code == 200
    assert "is-invalid" in form.content.decode()  # the form shows its errors
    body = polling.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert re.search(r'<div aria-live="polite">\s*<div id="import-status"', body)
    for response in (form, polling, partial):
        assert _problems(response.content.decode()) == []


def test_every_response_carries_a_strict_content_security_policy(role_client):
    response = role_client("advisor").get(reverse("dashboard:home"))

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_htmx_is_configured_not_to_inject_styles_and_its_indicator_css_is_ours(role_client):
    body = role_client("advisor").get(reverse("dashboard:home")).content.decode()
    css = (Path(settings.BASE_DIR) / "static" / "css" / "dms.css").read_text()

    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, '
        '"allowEval": false, "allowScriptTags": false}\'>'
    ) in body
    assert ".htmx-request .htmx-indicator" in css


def _template_sources() -> dict[str, str]:
    """Every template's source with Django comments removed."""
    sources = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
        text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)
        sources[str(path.relative_to(TEMPLATES))] = text
    return sources


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("a style attribute", r"\sstyle\s*="),
        ("a <style> element", r"<style[\s>]"),
        ("an inline <script>", r"<script(?![^>]*\ssrc=)[^>]*>"),
        ("a javascript: URL", r"javascript:"),
        ("an event-handler attribute", r"\s(on[a-z]+|hx-on[:\w-]*)\s*="),
        ("a status compared with a string literal", r"\.(status|source|kind|segment)\s*==\s*['\"]"),
        ("a count written as a literal (like /9)", r"\}\}\s*/\s*\d"),
    ],
)
def test_no_template_source_holds(what, pattern):
    found = {
        name: match.group(0)
        for name, text in _template_sources().items()
        if (match := re.search(pattern, text))
    }

    assert found == {}, f"{what}: {found}"


def test_the_inspection_sheet_with_errors_and_its_outline_fragment_render_without_inline_code(
    role_client,
    archive,  # noqa: F811
):
    client = role_client("advisor")
    order = archive["work_order"]

    sheet = client.post(reverse("workorders:inspection", args=[order.pk]), {"fuel_level": "9"})
    outline = client.post(
        reverse("workorders:damage_mark_add", args=[order.pk]),
        {"x": "10", "y": "120", "kind": "dent"},
        HTTP_HX_REQUEST="true",
    )
    signed = client.get(reverse("workorders:inspection", args=[archive["signed"].pk]))
    walk_in = client.post(reverse("workorders:reception_walk_in"), {"customer-name": "李"})

    assert (sheet.status_code, outline.status_code, signed.status_code) == (200, 200, 200)
    assert "请选择冷却液。" in sheet.content.decode()
    assert "纵向位置不能大于 100。" in outline.content.decode()
    assert "已签字" in signed.content.decode()
    for response in (sheet, outline, signed, walk_in):
        assert _problems(response.content.decode()) == []
