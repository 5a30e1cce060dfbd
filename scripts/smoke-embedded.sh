#!/usr/bin/env bash
# Smoke test of the embedded default (called by .ci/run): with no DATABASE_URL,
# CELERY_BROKER_URL or REDIS_URL, `scripts/run.sh` must migrate a fresh SQLite database,
# seed the demo, and serve it with a Celery worker on the filesystem broker.
#
# 1. Start run.sh in its own process group, on a free port, with a fresh DMS_VAR_DIR.
# 2. Wait (bounded) until /login/ answers 200.
# 3. As `advisor`: the 工作台, a search, the customer list and a customer card, whose mobile
#    is masked until 显示 (the reveal answers the whole number); as `manager`, the reveal log
#    lists that reveal.
# 4. As `manager`: download the import template, replace its example rows (which the import
#    refuses when left in) with a customer, a car and a work order of its own, upload it,
#    and poll the import page until it says 导入完成 (only the worker, fed through the
#    filesystem broker, can get it there).
# 5. As `advisor`: 我的工单 lists today's demo orders, an order page opens, and a PDF that
#    the demo's approvals queued is rendered by the worker and downloads.
# 6. scripts/crawl_pages.py, in-process on the same SQLite: every demo login opens every
#    menu page it may and the pages they link to; any 5xx fails (SQL that only PostgreSQL,
#    where the suite runs, knows).
# 7. Stop everything it started (trap) and remove the directory. Any failure exits
#    non-zero with a one-line reason as the last line (after the tail of the logs).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SERVER_WAIT=900  # seconds: migrate + a year of demo data on SQLite: ~2-4 min on 2 busy cores
IMPORT_WAIT=90   # seconds: the worker starts, picks the file up and imports 3 rows
DOCUMENT_WAIT=180  # seconds: the worker renders the PDFs today's demo orders queued

fail() {
  echo "smoke-embedded: FAIL: $*" >&2
  exit 1
}

for name in DATABASE_URL CELERY_BROKER_URL REDIS_URL; do
  if [ -f .env ] && grep -Eq "^[[:space:]]*$name=.+" .env; then
    fail "./.env sets $name, so this would not test the embedded default"
  fi
done
unset DATABASE_URL CELERY_BROKER_URL REDIS_URL

DMS_VAR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dms-smoke.XXXXXX")"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DMS_VAR_DIR PORT
RUN_LOG="$DMS_VAR_DIR/run.log"
RUN_PID=""

stop() {
  status=$?
  if [ -n "$RUN_PID" ]; then
    # run.sh leads its own process group: runserver, its autoreloader child, the Celery
    # worker, its pool and beat all get the signal.
    kill -TERM -- "-$RUN_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 -- "-$RUN_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$RUN_PID" 2>/dev/null || true
  fi
  if [ $status -ne 0 ]; then
    for log in "$RUN_LOG" "$DMS_VAR_DIR/log/celery.log"; do
      [ -f "$log" ] && { echo "--- last lines of $(basename "$log")"; tail -n 15 "$log"; } >&2
    done
    # Repeat the reason last, where a CI log is read first.
    [ -f "$DMS_VAR_DIR/reason" ] && echo "smoke-embedded: FAIL: $(cat "$DMS_VAR_DIR/reason")" >&2
  fi
  rm -rf "$DMS_VAR_DIR"
  exit $status
}
trap stop EXIT
trap 'exit 130' INT TERM

setsid ./scripts/run.sh >"$RUN_LOG" 2>&1 &
RUN_PID=$!
echo "smoke-embedded: run.sh (pid $RUN_PID) on port $PORT, DMS_VAR_DIR=$DMS_VAR_DIR"

if ! "$PY" - "http://127.0.0.1:$PORT" "$RUN_PID" "$SERVER_WAIT" "$IMPORT_WAIT" "$DOCUMENT_WAIT" \
  >"$DMS_VAR_DIR/client.out" 2>&1 <<'PY'; then
"""The browser-less client: urllib with a cookie jar, Django's CSRF token from the cookie."""

import http.cookiejar
import io
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

BASE, RUN_PID = sys.argv[1], int(sys.argv[2])
SERVER_WAIT, IMPORT_WAIT, DOCUMENT_WAIT = map(int, sys.argv[3:])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Failed(Exception):
    pass


class Client:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path, data=None, headers=None, timeout=30):
        request = urllib.request.Request(BASE + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.geturl(), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read()

    def page(self, path, *expected, data=None, headers=None):
        """GET (or POST) a page that must answer 200 and contain every expected text."""
        status, url, body = self.request(path, data=data, headers=headers)
        text = body.decode("utf-8", "replace")
        if status != 200:
            raise Failed(f"{path} answered {status}")
        for snippet in expected:
            if snippet not in text:
                raise Failed(f"{path} answered 200 without “{snippet}”")
        return url, text

    def csrf(self):
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def log_in(self, username):
        self.page("/login/", "登录")
        form = {"username": username, "password": "demo1234", "csrfmiddlewaretoken": self.csrf()}
        url, _ = self.page("/login/", data=urllib.parse.urlencode(form).encode())
        if urllib.parse.urlparse(url).path != "/":
            raise Failed(f"logging in as {username} did not reach the 工作台 (at {url})")

    def upload(self, path, fields, file_field, filename, content):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{filename}"\r\nContent-Type: {XLSX}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.page(path, data=b"".join(parts), headers=headers)


def wait_for_server():
    started = time.monotonic()
    while time.monotonic() - started < SERVER_WAIT:
        try:
            os.kill(RUN_PID, 0)
        except ProcessLookupError:
            raise Failed("run.sh exited before the server answered") from None
        try:
            status, _, _ = Client().request("/login/", timeout=5)
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(1)
    raise Failed(f"/login/ did not answer 200 within {SERVER_WAIT} s")


def advisor_pages():
    advisor = Client()
    advisor.log_in("advisor")
    advisor.page("/", "工作台", "查找客户或车辆", "最近进厂")
    _, text = advisor.page("/archive/search/?q=" + urllib.parse.quote("王"), "搜索“王”", "按 姓氏 查找")
    found = re.search(r"共 (\d+) 条结果", text)
    if not found or int(found.group(1)) == 0:
        raise Failed("the search for 王 found nothing in the demo data")
    _, text = advisor.page("/archive/customers/", "客户档案", "建档日期")
    card = re.search(r'href="(/archive/customers/\d+/)"', text)
    if not card:
        raise Failed("the customer list shows no customer")
    _, text = advisor.page(card.group(1), "客户售后信息卡", "车辆", "维修档案", 'id="visits"')
    # The mobile is masked until 显示; the button's htmx POST logs the reveal and answers the
    # whole number as a tel: link.
    if not re.search(r'id="customer-mobile"><span [^>]*>1\d\d\*{4}\d{4}\s*<button', text):
        raise Failed(f"{card.group(1)} does not show the advisor the masked mobile and 显示")
    reveal = re.search(r'hx-post="(/archive/customers/\d+/reveal/mobile/)"', text)
    if not reveal:
        raise Failed(f"{card.group(1)} has no 显示 button for the mobile")
    headers = {
        "X-CSRFToken": advisor.csrf(),
        "HX-Request": "true",
        "HX-Current-URL": BASE + card.group(1),
    }
    _, text = advisor.page(reveal.group(1), data=b"", headers=headers)
    if not re.search(r'<a href="tel:1\d{10}">1\d{10}</a>', text):
        raise Failed(f"{reveal.group(1)} did not answer the whole mobile number")
    return card.group(1)


def manager_reveal_log(card):
    manager = Client()
    manager.log_in("manager")
    _, text = manager.page("/archive/pii-reveals/", "号码查看记录")
    if card not in text:
        raise Failed(f"the reveal log does not list the advisor's reveal on {card}")


def filled_in(template: bytes) -> bytes:
    """The template with its example rows replaced by a record of the smoke's own."""
    from openpyxl import load_workbook

    own = {
        "客户": {"姓名*": "冒烟测试", "手机*": "13700000001", "身份证号": None},
        "车辆": {"车主姓名*": "冒烟测试", "车主手机*": "13700000001"},
        "维修记录": {"工单号*": "SMOKE0001"},
    }
    workbook = load_workbook(io.BytesIO(template))
    for title, values in own.items():
        sheet = workbook[title]
        headers = [cell.value for cell in sheet[1]]
        for header, value in values.items():
            sheet.cell(row=2, column=headers.index(header) + 1).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def manager_import():
    manager = Client()
    manager.log_in("manager")
    manager.page("/archive/imports/", "导入客户档案")
    status, _, template = manager.request("/archive/imports/template.xlsx")
    if status != 200 or not template.startswith(b"PK"):
        raise Failed(f"/archive/imports/template.xlsx answered {status} without a workbook")
    url, _ = manager.upload(
        "/archive/imports/",
        {"csrfmiddlewaretoken": manager.csrf()},
        "file",
        "导入模板.xlsx",
        filled_in(template),
    )
    path = urllib.parse.urlparse(url).path
    if not re.fullmatch(r"/archive/imports/\d+/", path):
        raise Failed(f"the upload did not lead to an import page (at {path})")
    started = time.monotonic()
    while time.monotonic() - started < IMPORT_WAIT:
        _, text = manager.page(path)
        if "导入完成" in text:
            return path, time.monotonic() - started
        if "没有导入任何数据" in text:
            row = re.search(r'id="import-errors">.*?<tbody>\s*<tr>(.*?)</tr>', text, re.S)
            cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip() if row else ""
            raise Failed(f"the filled-in template was rejected: {cells}")
        time.sleep(1)
    raise Failed(f"{path} did not show 导入完成 within {IMPORT_WAIT} s (is the worker running?)")


def advisor_work_orders():
    """我的工单 lists today's demo orders; an order page opens; the PDFs the approvals and
    settlements queued are rendered by the worker (through the filesystem broker) and
    download as PDFs."""
    advisor = Client()
    advisor.log_in("advisor")
    _, text = advisor.page("/workorders/mine/", "我的工单")
    orders = list(dict.fromkeys(re.findall(r'href="(/workorders/\d+/)"', text)))
    if not orders:
        raise Failed("我的工单 lists no work order of today's demo")
    advisor.page(orders[0], "维修项目", "状态记录")
    started = time.monotonic()
    while time.monotonic() - started < DOCUMENT_WAIT:
        for order in orders:
            _, text = advisor.page(order)
            document = re.search(r'href="(/workorders/documents/\d+/)"', text)
            if document:
                status, _, body = advisor.request(document.group(1))
                if status != 200 or not body.startswith(b"%PDF"):
                    raise Failed(f"{document.group(1)} answered {status} without a PDF")
                return len(orders), document.group(1), time.monotonic() - started
        time.sleep(3)
    raise Failed(f"no order of 我的工单 showed a printed document within {DOCUMENT_WAIT} s")


try:
    waited = wait_for_server()
    print(f"ok: /login/ answered 200 after {waited:.0f} s (migrate + seed_demo + start)")
    card = advisor_pages()
    print("ok: advisor: 工作台, search 王, customer list, customer card (mobile masked, 显示)")
    manager_reveal_log(card)
    print("ok: manager: the reveal log lists the advisor's reveal")
    path, waited = manager_import()
    print(f"ok: manager: filled-in template uploaded, {path} showed 导入完成 after {waited:.0f} s")
    count, document, waited = advisor_work_orders()
    print(f"ok: advisor: 我的工单 ({count} orders), an order page, {document} (PDF) after {waited:.0f} s")
except Failed as reason:
    print(reason)
    sys.exit(1)
except Exception as error:  # an unexpected error is a failure with its own one line
    print(f"{type(error).__name__}: {error}")
    sys.exit(1)
PY
  cat "$DMS_VAR_DIR/client.out"
  tail -n 1 "$DMS_VAR_DIR/client.out" >"$DMS_VAR_DIR/reason"
  exit 1
fi
cat "$DMS_VAR_DIR/client.out"

# The crawl reads the database run.sh seeded (DMS_VAR_DIR is exported) while the server and
# the worker keep running; it only GETs, so it changes nothing the steps above checked.
if ! DEBUG="${DEBUG:-1}" "$PY" scripts/crawl_pages.py >"$DMS_VAR_DIR/crawl.out" 2>&1; then
  cat "$DMS_VAR_DIR/crawl.out"
  tail -n 1 "$DMS_VAR_DIR/crawl.out" >"$DMS_VAR_DIR/reason"
  exit 1
fi
cat "$DMS_VAR_DIR/crawl.out"
echo "smoke-embedded: OK (SQLite, filesystem broker, Celery worker + beat; nothing else running)"
