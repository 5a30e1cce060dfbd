"""Crawl the pages every demo login may open; fail on any answer of 500 or more, and on a
403 (a page linking to what its reader may not open).

The test suite runs on PostgreSQL only, so SQL that SQLite does not know (STRING_AGG,
ARRAY_AGG, JSON operators, DISTINCT ON, …) can break a page of the embedded demo of
`make run` unnoticed. This walks the demo in-process with Django's test client, against
whatever database the settings name (the embedded SQLite when DATABASE_URL is unset):

1. Log in as each demo login (apps/accounts/demo.py: the user name is the role code).
2. GET every navigation item the login may open (roles.NAVIGATION filtered by has_perm,
   as the top bar does).
3. From each page, follow up to --links same-site links (<a href> and htmx hx-get) down to
   --depth clicks from the menu, each a page shape (URL name + query keys) the login has
   not opened yet: the first detail page of a list, its first filter, its next page, and
   from a detail page the pages it links to.
4. Submit each GET form (filters, periods, searches) once per crawl: as it stands, with
   each other option of its selects, sample texts and a date range; open the first record
   each answer lists (a work order, a claim, a complaint … in that status).
5. Print every 5xx with its exception and where our code raised it, and every 403 (the
   menu and the links of pages the login was shown), then one summary line last; exit 1 if
   there was any (or a login failed).

Only GETs, and the app's state-changing views are POST-only: the crawl changes nothing but
the logins' sessions. Run it like manage.py (DEBUG=1 for a development database):

    DEBUG=1 .venv/bin/python scripts/crawl_pages.py [--links N] [--depth N] [--login advisor] [-v]
"""

import argparse
import datetime as dt
import logging
import os
import sys
import time
import traceback
from collections import Counter, deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")

# Never followed: leaving, the admin (Django's own), uploaded and static files, and the
# printable pick list (预先捡料's query again).
SKIP_PREFIXES = ("/logout/", "/admin/", "/media/", "/static/")
SKIP_URL_NAMES = {"logout", "prepick_print"}
SERVER_ERROR = 500
FORBIDDEN = 403
# A GET form is submitted as it stands and with one field changed at a time, at most this
# many times; an empty text field gets these samples, the search box one of each kind of
# query it tells apart (apps/customers/search.py): surname, names, a province alone, plate
# fragments, mobile tail, whole mobile, landline, work-order prefix and tail, VIN tail,
# VIN, ID number.
FORM_VARIANTS = 16
TEXT_SAMPLES = ("王", "机油滤清", "1234", "WO2026")
SEARCH_SAMPLES = (
    "王",
    "王芳",
    "王建国",
    "苏",
    "苏B",
    "B12",
    "1234",
    "13812345678",
    "075526001234",
    "WO2026",
    "202611",
    "AB1234",
    "LSVAB4BR5EN123456",
    "110101199001011234",
)


class Page(HTMLParser):
    """What a page offers to GET: the href of every <a>, the hx-get of any element (also
    in `htmx`), and its GET forms (action, fields), all in document order."""

    def __init__(self):
        super().__init__()
        self.links, self.htmx = [], []
        self.forms = []  # {"action": str, "fields": [(name, kind, value, options)]}
        self.form = self.select = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("hx-get"):
            self.links.append(attributes["hx-get"])
            self.htmx.append(attributes["hx-get"])
        if tag == "form":
            get = attributes.get("method", "get").lower() == "get" and "hx-post" not in attributes
            self.form = {"action": attributes.get("action", ""), "fields": []} if get else None
            if self.form is not None:
                self.forms.append(self.form)
        elif tag == "option" and self.select is not None:
            self.select[3].append((attributes.get("value", ""), "selected" in attributes))
        elif self.form is None or not attributes.get("name"):
            return
        elif tag == "input":
            name, kind = attributes["name"], attributes.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                value = attributes.get("value", "on")
                self.form["fields"].append((name, kind, value, "checked" in attributes))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self.form["fields"].append((name, kind, attributes.get("value", ""), None))
        elif tag == "select":
            self.select = (attributes["name"], "select", "", [])
            self.form["fields"].append(self.select)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def form_urls(action, fields, today):
    """GET URLs of one form: as it stands, then one field changed at a time (each other
    option of a select, a box ticked, a sample text typed) and the empty dates as a range."""
    base, variants = [], []
    for name, kind, value, extra in fields:
        if kind == "select":
            chosen = next((v for v, selected in extra if selected), extra[0][0] if extra else "")
            base.append((name, chosen))
            variants += [(name, v) for v, _ in extra if v != chosen]
        elif kind in ("checkbox", "radio"):
            (base if extra else variants).append((name, value))
        else:
            base.append((name, value))
            if kind in ("text", "search") and not value:
                search = name == "q" and action.endswith("/search/")
                variants += [
                    (name, sample) for sample in (SEARCH_SAMPLES if search else TEXT_SAMPLES)
                ]
    queries = [base] + [with_value(base, name, value) for name, value in variants]
    dates = [name for name, kind, value, _ in fields if kind == "date" and not value]
    if dates:
        queries.append(with_value(base, dates[0], (today - dt.timedelta(days=90)).isoformat()))
        for name in dates[1:]:
            queries[-1] = with_value(queries[-1], name, today.isoformat())
    return [f"{action}?{urlencode(query)}" for query in queries[:FORM_VARIANTS]]


def with_value(query, name, value):
    """The query with name's value replaced (added when the form does not send name)."""
    if any(n == name for n, _ in query):
        return [(n, value if n == name else v) for n, v in query]
    return [*query, (name, value)]


def page_shape(url):
    """(view name, query keys, whether it is one record's page) of a same-site page worth
    following, else None."""
    from django.urls import Resolver404, resolve

    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.url_name in SKIP_URL_NAMES:
        return None
    keys = tuple(sorted({key for key, _ in parse_qsl(parts.query)}))
    return match.view_name, keys, bool(match.kwargs)


def is_record(url, visited):
    """A page of one record (its URL names it: /workorders/12/) not opened yet."""
    shape = page_shape(url)
    return shape is not None and shape[2] and url not in visited


class Crawl:
    def __init__(self, links, depth, verbose):
        self.links, self.depth, self.verbose = links, depth, verbose
        self.requests = 0
        self.statuses = Counter()
        self.failures = []  # (login, url, reason)
        self.timings = []  # (seconds, login, url)
        # A form's answers are fetched once per crawl, by the first login that sees it.
        self.forms = set()
        self.htmx = set()  # URLs fetched as htmx does (HX-Request): fragments

    def fail(self, login, url, reason):
        self.failures.append((login, url, reason))
        print(f"  FAIL {login} {url}: {reason}")

    def get(self, client, login, url):
        """GET url as the client's login: (the HTML answered or "", where it redirects or "")."""
        self.requests += 1
        started = time.monotonic()
        try:
            response = client.get(url, headers={"HX-Request": "true"} if url in self.htmx else {})
        except Exception as error:  # the test client re-raises what the view raised
            self.statuses[SERVER_ERROR] += 1
            self.fail(login, url, f"500 {describe(error)}")
            if self.verbose:
                traceback.print_exception(error)
            return "", ""
        finally:
            self.timings.append((time.monotonic() - started, login, url))
        status = response.status_code
        self.statuses[status] += 1
        if self.verbose:
            print(f"  {status} {login} {url}")
        if status >= SERVER_ERROR:
            self.fail(login, url, f"{status} (answered without an exception)")
            return "", ""
        if status == FORBIDDEN:
            # Every URL crawled is the menu's or a link a page showed this login: a page
            # offering what its reader may not open is a bug of that page.
            self.fail(login, url, "403: a page links here, but this login may not open it")
            return "", ""
        if 300 <= status < 400:
            return "", response.get("Location", "")
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return "", ""
        return response.content.decode("utf-8", "replace"), ""

    def crawl_as(self, username):
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from apps.accounts.demo import DEMO_PASSWORD
        from apps.accounts.roles import NAVIGATION

        client = Client(raise_request_exception=True)
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not client.login(username=username, password=DEMO_PASSWORD):
            self.fail(username, "/login/", "cannot log in with the demo password (seed_demo?)")
            return
        menu = [
            reverse(i.url_name)
            for i in NAVIGATION
            if not i.permission or user.has_perm(i.permission)
        ]
        seen = {page_shape(url) for url in menu}
        visited = set()
        # (url, clicks from the menu, whether it is a form's answer)
        queue = deque((url, 0, False) for url in menu)
        before = self.requests
        today = timezone.localdate()
        while queue:
            url, depth, answer = queue.popleft()
            if url in visited:
                continue
            visited.add(url)
            body, redirect = self.get(client, username, url)
            target = urljoin(url, redirect) if redirect else ""
            shape = page_shape(target) if target else None
            if shape is not None and shape not in seen:  # a redirect is not a click
                seen.add(shape)
                queue.append((target, depth, False))
            if not body:
                continue
            page = Page()
            page.feed(body)
            links = [urljoin(url, href.split("#")[0]) for href in page.links]
            self.htmx.update(urljoin(url, href.split("#")[0]) for href in page.htmx)
            if answer:
                # A filter's answer: its first record not opened yet (an order, a claim, a
                # complaint … in that status), and no further.
                record = next((link for link in links if is_record(link, visited)), None)
                if record:
                    queue.append((record, self.depth, False))
                continue
            if depth >= self.depth:
                continue
            followed = 0
            for link in links:
                shape = page_shape(link)
                if shape is None or shape in seen:
                    continue
                seen.add(shape)
                queue.append((link, depth + 1, False))
                followed += 1
                if followed == self.links:
                    break
            for form in page.forms:
                action = urljoin(url, form["action"] or urlsplit(url).path)
                shape = page_shape(action)
                key = (shape, tuple(field[0] for field in form["fields"]))
                if shape is None or key in self.forms:
                    continue
                self.forms.add(key)
                answers = form_urls(action, form["fields"], today)
                queue.extend((link, self.depth, True) for link in answers)
        client.logout()
        print(f"  {username}: {len(menu)} menu pages, {self.requests - before} requests")


def describe(error):
    """The exception's first line and the two innermost frames of the project's code."""
    text = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    ours = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename
    ]
    if ours:
        where = [f"{Path(f.filename).relative_to(ROOT)}:{f.lineno}" for f in ours[-2:]]
        text += f" (at {' < '.join(reversed(where))})"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=3, help="new links followed per page (3)")
    parser.add_argument("--depth", type=int, default=2, help="clicks from the menu (2)")
    parser.add_argument("--login", action="append", help="only this login (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="every URL, full tracebacks")
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from apps.accounts.roles import ROLES

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Each failure is printed once below; Django's request log would add its traceback.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)

    started = time.monotonic()
    crawl = Crawl(options.links, options.depth, options.verbose)
    print(f"crawl_pages: {connection.vendor} {connection.settings_dict['NAME']}")
    for username in options.login or [role.code for role in ROLES]:
        crawl.crawl_as(username)
    seconds = time.monotonic() - started

    slowest = sorted(crawl.timings, reverse=True)[:3]
    print("  slowest: " + ", ".join(f"{url} ({login}) {s:.1f} s" for s, login, url in slowest))
    statuses = " ".join(f"{status}×{n}" for status, n in sorted(crawl.statuses.items()))
    summary = f"{crawl.requests} GETs in {seconds:.0f} s on {connection.vendor} ({statuses})"
    if crawl.failures:
        login, url, reason = crawl.failures[0]
        failed = f"{len(crawl.failures)} failed of {summary}"
        print(f"crawl_pages: FAIL: {failed}; first: {url} as {login}: {reason}")
        return 1
    print(f"crawl_pages: OK: {summary}, no 5xx, no 403")
    return 0


if __name__ == "__main__":
    sys.exit(main())
