"""The work-order page, the list and the advisor's home: the buttons the transition table
gives each role, the flow driven through the page's forms (services underneath), the
services' refusals shown in Chinese, and query counts that do not grow with the data."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.workorders import documents, services
from apps.workorders.models import (
    LineStatus,
    Payer,
    Payment,
    Recommendation,
    StatusChange,
    WorkOrder,
    WorkOrderLine,
)
from tests.factories.clock import SHANGHAI
from tests.factories.customers import VehicleFactory
from tests.factories.parts import PartFactory
from tests.factories.workorders import (
    LabourOperationFactory,
    WorkOrderFactory,
    WorkOrderLineFactory,
    flow_user,
    order_in_state,
)
from tests.pages import html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]

NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
S = WorkOrder.Status


def _detail(order) -> str:
    return reverse("workorders:detail", args=[order.pk])


def _buttons(body: str) -> list[str]:
    """The labels of the state bar's forward buttons (enabled or not)."""
    block = body[body.index('id="state-actions"') :] if 'id="state-actions"' in body else ""
    block = block[: block.find("</div>\n    </div>")] if block else ""
    return re.findall(r'<(?:button|a) class="btn btn-primary"[^>]*>([^<]+)</', block)


def _lines(count: int) -> list[services.NewLine]:
    return [
        services.NewLine(
            kind=[WorkOrderLine.Kind.LABOUR, WorkOrderLine.Kind.PART, WorkOrderLine.Kind.MATERIAL][
                n % 3
            ],
            description=f"项目{n}",
            quantity=Decimal("1"),
            unit_price=Decimal("100.00"),
            payer=Payer.CUSTOMER if n % 2 else Payer.WARRANTY,
        )
        for n in range(count)
    ]


# --- the state buttons follow the transition table -----------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "status", [S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.SELF_CHECKED, S.TEAM_CHECKED]
)
def test_a_qc_inspector_sees_final_qc_only_when_the_team_has_checked(role_client, status):
    order = order_in_state(status)

    body = html(role_client("qc").get(_detail(order)))

    assert ("终检通过" in _buttons(body)) is (status == S.TEAM_CHECKED)


@time_machine.travel(NOW, tick=False)
def test_the_vehicle_is_a_link_only_for_who_may_open_its_page(role_client):
    order = order_in_state(S.TEAM_CHECKED)
    vehicle_page = reverse("customers:vehicle_detail", args=[order.vehicle_id])

    for role, linked in (("advisor", True), ("qc", False)):
        client = role_client(role)
        body = html(client.get(_detail(order)))
        assert order.vehicle.plate in body
        assert (f'href="{vehicle_page}"' in body) is linked, role
        assert client.get(vehicle_page).status_code == (200 if linked else 403)


@time_machine.travel(NOW, tick=False)
def test_the_buttons_of_an_approved_order_for_advisor_and_supervisor(role_client):
    order = order_in_state(S.APPROVED)

    supervisor = html(role_client("supervisor").get(_detail(order)))
    advisor = html(role_client("advisor").get(_detail(order)))

    assert _buttons(supervisor) == ["派工"]
    assert "退回草稿" in supervisor and "取消工单" not in supervisor
    assert _buttons(advisor) == []  # the advisor dispatches nothing
    assert "退回草稿" in advisor and "取消工单" in advisor


@time_machine.travel(NOW, tick=False)
def test_a_blocked_move_is_shown_disabled_with_the_guard_sentence(role_client, user_with_role):
    order = order_in_state(S.IN_PROGRESS)  # lines not done yet
    client = role_client("advisor", "technician")

    body = html(client.get(_detail(order)))

    assert '<button class="btn btn-primary" type="button" disabled>自检完成</button>' in body
    assert "还有客户已确认的项目未完工。" in body


@time_machine.travel(NOW, tick=False)
def test_the_approval_button_leads_to_its_form_only_when_there_are_lines_to_decide(role_client):
    empty = order_in_state(S.DRAFT, lines=[])
    ready = order_in_state(S.DRAFT)
    client = role_client("advisor")

    empty_page, ready_page = html(client.get(_detail(empty))), html(client.get(_detail(ready)))

    assert '<button class="btn btn-primary" type="button" disabled>客户确认</button>' in empty_page
    assert "客户至少确认一项维修项目后才能进入下一步。" in empty_page
    assert '<a class="btn btn-primary" href="#approval">客户确认</a>' in ready_page
    assert 'id="approval-form"' in ready_page


# --- transitions through the page ----------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_dispatches_through_the_page_and_a_second_press_is_refused(role_client):
    order = order_in_state(S.APPROVED)
    client = role_client("supervisor")
    url = reverse("workorders:transition", args=[order.pk])

    first = client.post(url, {"name": "dispatch"})
    second = client.post(url, {"name": "dispatch"})

    assert first.status_code == 302
    assert first["Location"] == _detail(order)
    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert second.status_code == 200
    assert "工单当前为“已派工”,不能“派工”。" in html(second)
    assert StatusChange.objects.filter(work_order=order, transition="dispatch").count() == 1


@time_machine.travel(NOW, tick=False)
def test_going_back_needs_a_reason_shown_on_the_form(role_client):
    order = order_in_state(S.APPROVED)
    client = role_client("advisor")
    url = reverse("workorders:transition", args=[order.pk])

    refused = client.post(url, {"name": "back_to_draft", "reason": " "})
    done = client.post(url, {"name": "back_to_draft", "reason": "客户要求重新报价"})

    assert "“退回草稿”必须填写原因。" in html(refused)
    assert done.status_code == 302
    change = StatusChange.objects.get(work_order=order, transition="back_to_draft")
    assert (change.from_status, change.to_status, change.reason) == (
        S.APPROVED,
        S.DRAFT,
        "客户要求重新报价",
    )


# --- lines, approval, delivery and settlement through the page -------------------------------


@time_machine.travel(NOW, tick=False)
def test_an_advisor_adds_a_line_by_hand_and_one_from_the_catalogue(role_client):
    order = order_in_state(S.DRAFT)
    operation = LabourOperationFactory(name="四轮定位", standard_hours=Decimal("1.50"))
    part = PartFactory(name="空调滤芯", price=Decimal("85.00"))
    client = role_client("advisor")

    manual = client.post(
        reverse("workorders:add_line", args=[order.pk]),
        {"kind": "material", "description": "清洗剂", "quantity": "2", "unit_price": "15.00",
         "payer": "customer"},
    )  # fmt: skip
    labour = client.post(
        reverse("workorders:add_catalogue_line", args=[order.pk]),
        {"source": "labour", "source_id": operation.pk},
    )
    spare = client.post(
        reverse("workorders:add_catalogue_line", args=[order.pk]),
        {"source": "part", "source_id": part.pk, "quantity": "2"},
    )

    assert [r.status_code for r in (manual, labour, spare)] == [302, 302, 302]
    added = list(
        order.lines.order_by("id").values_list("description", "quantity", "amount", "status")
    )[2:]
    assert added == [
        ("清洗剂", Decimal("2.00"), Decimal("30.00"), LineStatus.PROPOSED),
        ("四轮定位", Decimal("1.50"), Decimal("300.00"), LineStatus.PROPOSED),
        ("空调滤芯", Decimal("2.00"), Decimal("170.00"), LineStatus.PROPOSED),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_line_refused_by_the_service_shows_its_message_on_the_form(role_client):
    order = order_in_state(S.DRAFT)

    response = role_client("advisor").post(
        reverse("workorders:add_line", args=[order.pk]),
        {"kind": "labour", "description": "x", "quantity": "1", "unit_price": "-1",
         "payer": "customer"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "单价不能小于 0。" in html(response)
    assert order.lines.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_proposed_lines_edit_form_loads_when_asked_and_comes_back_with_its_errors(
    role_client,
):
    order = order_in_state(S.DRAFT)
    line = order.lines.order_by("id").first()
    advisor = role_client("advisor")
    edit_form = reverse("workorders:line_edit_form", args=[order.pk, line.pk])

    page = html(advisor.get(_detail(order)))
    loaded = html(advisor.get(edit_form))
    refused = advisor.post(
        reverse("workorders:line_update", args=[order.pk, line.pk]),
        {f"line{line.pk}-{name}": value for name, value in
         [("quantity", "0"), ("unit_price", "180"), ("payer", "customer"),
          ("discount_percent", "0")]},
    )  # fmt: skip

    # The page renders no form per line, only the button that loads it.
    assert f'hx-get="{edit_form}"' in page
    assert f'name="line{line.pk}-quantity"' not in page
    assert f'name="line{line.pk}-quantity"' in loaded and "保存修改" in loaded
    assert refused.status_code == 200
    body = html(refused)
    assert f'name="line{line.pk}-quantity"' in body and "保存修改" in body


@time_machine.travel(NOW, tick=False)
def test_the_customer_approves_by_phone_through_the_page_declining_one_line(role_client):
    order = order_in_state(S.DRAFT)
    oil, filter_ = order.lines.order_by("id")

    response = role_client("advisor").post(
        reverse("workorders:approve", args=[order.pk]),
        {
            f"decision_{oil.pk}": "approve",
            f"decision_{filter_.pk}": "decline",
            f"reason_{filter_.pk}": "下次再换",
            "method": "phone",
            "customer_name": "王先生",
            "phone_number": "13912345678",
            "phone_note": "客户电话同意",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert list(order.lines.order_by("id").values_list("status", flat=True)) == [
        LineStatus.APPROVED,
        LineStatus.DECLINED,
    ]
    [recommendation] = Recommendation.objects.filter(vehicle=order.vehicle)
    assert (recommendation.description, recommendation.reason) == ("机油 5W-30", "下次再换")
    page = html(role_client("advisor").get(_detail(order)))
    assert "签字核验通过" in page
    assert "电话确认" in page


@time_machine.travel(NOW, tick=False)
def test_a_phone_approval_without_the_number_is_refused_on_the_form(role_client):
    order = order_in_state(S.DRAFT)
    line_ids = list(order.lines.values_list("pk", flat=True))

    response = role_client("advisor").post(
        reverse("workorders:approve", args=[order.pk]),
        {**{f"decision_{pk}": "approve" for pk in line_ids}, "method": "phone",
         "customer_name": "王先生"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "电话确认请填写所拨打的号码。" in html(response)
    order.refresh_from_db()
    assert order.status == S.DRAFT


@time_machine.travel(NOW, tick=False)
def test_the_advisor_checks_delivers_and_settles_with_two_payments(role_client):
    order = order_in_state(S.READY)  # 180.00 + 4 × 60.00 = 420.00, the customer pays
    client = role_client("advisor")

    checked = client.post(
        reverse("workorders:internal_check", args=[order.pk]), {"old_parts": "shown"}
    )
    page = html(client.get(_detail(order)))
    delivered = client.post(
        reverse("workorders:deliver", args=[order.pk]),
        {"next_maintenance_on": "2027-05-18", "next_maintenance_km": "20000",
         "callback_preferred_time": "", "callback_told": "on"},
    )  # fmt: skip
    short = client.post(reverse("workorders:settle", args=[order.pk]), _payments(("cash", "100")))
    settled = client.post(
        reverse("workorders:settle", args=[order.pk]),
        _payments(("cash", "120.00"), ("wechat", "300.00", "4200001234")),
    )

    assert (checked.status_code, delivered.status_code) == (302, 302)
    assert 'name="next_maintenance_km"' in page
    assert "收款合计 100.00 元,客户应付 420.00 元,少收 320.00 元" in html(short)
    assert settled.status_code == 302
    order.refresh_from_db()
    assert order.status == S.SETTLED
    assert sorted(order.payments.values_list("method", "amount", "reference")) == [
        (Payment.Method.CASH, Decimal("120.00"), ""),
        (Payment.Method.WECHAT, Decimal("300.00"), "4200001234"),
    ]
    final = html(client.get(_detail(order)))
    assert "本工单已结算,只读。" in final
    assert 'id="settle-form"' not in final


def _payments(*rows) -> dict:
    data = {"pay-TOTAL_FORMS": "3", "pay-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        method, amount, *reference = row
        data |= {
            f"pay-{index}-method": method,
            f"pay-{index}-amount": amount,
            f"pay-{index}-reference": reference[0] if reference else "",
        }
    return data


@time_machine.travel(NOW, tick=False)
def test_an_imported_order_shows_read_only_with_no_forms(role_client):
    order = WorkOrderFactory(source=WorkOrder.Source.IMPORT)
    WorkOrderLineFactory(work_order=order)

    body = html(role_client("manager").get(_detail(order)))

    assert "旧系统导入的历史工单,只读。" in body
    for form in ("add-line", "approval-form", "state-actions", "settle-form"):
        assert f'id="{form}"' not in body


@time_machine.travel(NOW, tick=False)
def test_a_promise_about_to_pass_shows_the_red_badge(role_client):
    order = order_in_state(S.IN_PROGRESS, promised_at=NOW + dt.timedelta(minutes=30))
    later = order_in_state(S.IN_PROGRESS, promised_at=NOW + dt.timedelta(hours=5))
    client = role_client("advisor")

    assert 'id="at-risk"' in html(client.get(_detail(order)))
    assert 'id="at-risk"' not in html(client.get(_detail(later)))


# --- the documents and the inspection sheet -----------------------------------------------


def _issue(order, kind) -> str:
    return reverse("workorders:document_issue", args=[order.pk, kind])


@time_machine.travel(NOW, tick=False)
def test_a_draft_offers_to_print_its_reception_sheet_and_estimate_and_links_the_sheet(
    role_client,
):
    order = order_in_state(S.DRAFT)  # its empty inspection sheet and two proposed lines

    body = html(role_client("advisor").get(_detail(order)))

    assert _issue(order, "reception") in body and _issue(order, "estimate") in body
    assert _issue(order, "work_order") not in body and _issue(order, "settlement") not in body
    assert f'href="{reverse("workorders:inspection", args=[order.pk])}"' in body
    assert 'hx-get="/catalogue/line-search/"' in body


@time_machine.travel(NOW, tick=False)
def test_an_issued_document_is_listed_with_its_version_and_download_link(
    role_client, settings, tmp_path
):
    settings.PRIVATE_ROOT = tmp_path / "private"
    order = order_in_state(S.SETTLED)
    document = documents.document_issue(work_order=order, kind="settlement", by=None)

    advisor = html(role_client("advisor").get(_detail(order)))
    reader = html(role_client("qc").get(_detail(order)))

    download = reverse("workorders:document_download", args=[document.pk])
    assert f'href="{download}"' in advisor and "v1 · 11-18 10:00" in advisor
    # A settled order still prints (all four kinds), for those who may change orders.
    for kind in ("reception", "estimate", "work_order", "settlement"):
        assert _issue(order, kind) in advisor
    assert f'href="{download}"' in reader
    assert "/issue/" not in reader


# --- query counts --------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_the_page_of_an_order_with_40_lines_runs_the_queries_of_one_with_5(role_client):
    small = order_in_state(S.IN_PROGRESS, lines=_lines(5))
    large = order_in_state(S.IN_PROGRESS, lines=_lines(40))
    client = role_client("advisor", "technician")
    client.get(_detail(small))  # warm the permission and settings caches

    assert _queries(client, _detail(large)) == _queries(client, _detail(small)) <= 25


@time_machine.travel(NOW, tick=False)
def test_the_list_runs_the_same_queries_for_1_and_30_orders(role_client, django_db_blocker):
    client = role_client("advisor")
    WorkOrderFactory(opened_at=NOW)
    url = reverse("workorders:list")
    one = _queries(client, url)
    vehicle = VehicleFactory()
    for n in range(29):
        WorkOrderFactory(vehicle=vehicle, opened_at=NOW - dt.timedelta(hours=n + 1))

    assert _queries(client, url) == one
    assert _queries(client, url + "?status=settled&payer=customer&number=WO2026") == one


@time_machine.travel(NOW, tick=False)
def test_the_advisor_home_runs_the_same_queries_for_1_and_20_orders(user_with_role, client):
    advisor = user_with_role("advisor")
    client.force_login(advisor)
    by = flow_user()
    order_in_state(S.DRAFT, by=by)
    WorkOrder.objects.update(advisor=advisor)
    url = reverse("workorders:advisor_home")
    one = _queries(client, url)
    for n in range(19):
        order_in_state(S.IN_PROGRESS, by=by, promised_at=NOW + dt.timedelta(minutes=10 * n))
    WorkOrder.objects.update(advisor=advisor)

    body = html(client.get(url))
    assert _queries(client, url) == one
    # Promised within the 60 minutes' warning (0, 10, … 60 minutes from now): 7.
    assert re.findall(r"承诺交车将超时\(\d+\)|维修中\(\d+\)", body) == [
        "承诺交车将超时(7)",
        "维修中(19)",
    ]
    assert "维修中(19)" in body


# --- the list's filters --------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_list_filters_by_status_payer_number_and_date(role_client):
    warranty = order_in_state(
        S.DRAFT,
        lines=[
            services.NewLine(
                kind="labour",
                description="三包更换",
                quantity=Decimal(1),
                unit_price=Decimal(100),
                payer=Payer.WARRANTY,
            )
        ],
    )
    old = WorkOrderFactory(number="WO2025010100007", opened_at=NOW - dt.timedelta(days=400))
    client = role_client("advisor")
    url = reverse("workorders:list")

    def numbers(**query):
        return re.findall(r'font-monospace" href="[^"]+">(WO\d+)</a>', html(client.get(url, query)))

    assert numbers(payer="warranty") == [warranty.number]
    assert numbers(status="settled") == [old.number]
    assert numbers(number="WO2025") == [old.number]
    assert numbers(number="100007") == [old.number]
    assert numbers(number=" wo 2025-01 ") == [old.number]  # typed like the search box takes it
    assert numbers(number="１００００７") == [old.number]
    assert numbers(opened_from="2026-11-18", opened_to="2026-11-18") == [warranty.number]
