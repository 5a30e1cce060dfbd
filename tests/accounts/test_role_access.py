"""Who may open what (DOMAIN.md §1): the role × page matrix, the 403 page, the navigation,
login and logout, and the groups the data migration made from apps/accounts/roles.py.

The matrix below is written out by hand from DOMAIN.md §1 and roles.py, not computed from
the permissions, so a change to a role's permissions that opens or closes a page fails here
until someone decides the new access is right and edits this table.
"""

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from apps.accounts.roles import NAVIGATION, ROLES
from apps.callbacks.models import Callback, CallItem, Problem
from apps.complaints import services as complaint_services
from apps.core.models import DealershipSettings
from apps.core.selectors import settings_row_for_edit
from apps.core.settings import current_settings, forget_cached
from apps.customers.models import Customer, ImportBatch, SalesDocument, SalesFile
from apps.warranty.models import DocumentBatch, WarrantyClaim
from apps.workorders.models import WorkOrder, WorkOrderDocument
from apps.workshop.models import CheckItem, Job, Skill
from tests.factories import reception
from tests.factories import warranty as warranty_factories
from tests.factories.appointments import appointment_row
from tests.factories.clock import SHANGHAI
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory
from tests.factories.licences import licence_scan
from tests.factories.parts import PartFactory
from tests.factories.stock import documents_of_every_kind
from tests.factories.workorders import (
    CannedJobFactory,
    LabourOperationFactory,
    MaintenanceIntervalFactory,
    flow_user,
    order_in_state,
)
from tests.factories.workshop import BayFactory, TechnicianFactory
from tests.workshop.floor import hand_floor_to, matrix_floor

pytestmark = pytest.mark.django_db

# Y: the role opens the page (200, or the redirect its request leads to); .: it gets 403.
# The columns are every role of roles.py, in ROLES order. A row is a URL pattern by its
# name, under its namespace in [brackets]; a test walks the URL resolver and fails when a
# pattern has no row. The admin site is not a role page: staff only, tested below.
MATRIX = """
page                 advisor supervisor technician qc parts warranty callback complaint manager admin
[dashboard]
home                 Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
[accounts]
login                Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
logout               Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
password_change      Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
[customers]
search               Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_list        Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_detail      Y       Y          .          .  .     Y        Y        Y         Y       Y
customer_create      Y       .          .          .  .     .        .        .         Y       Y
customer_update      Y       .          .          .  .     .        .        .         Y       Y
customer_merge       .       .          .          .  .     .        .        .         Y       .
customer_reveal      Y       .          .          .  .     Y        Y        Y         Y       .
pii_reveal_list      .       .          .          .  .     .        .        .         Y       .
vehicle_list         Y       Y          .          .  Y     Y        Y        Y         Y       Y
vehicle_detail       Y       Y          .          .  Y     Y        Y        Y         Y       Y
vehicle_create       Y       .          .          .  .     .        .        .         Y       Y
vehicle_scan         Y       .          .          .  .     .        .        .         Y       Y
vehicle_scan_confirm Y       .          .          .  .     .        .        .         Y       Y
licence_scan_photo   Y       .          .          .  .     Y        .        .         Y       .
vehicle_update       Y       .          .          .  .     .        .        .         Y       Y
vehicle_change_owner Y       .          .          .  .     .        .        .         Y       Y
vehicle_free_plate   Y       .          .          .  .     .        .        .         Y       Y
salesfile_list       .       .          .          .  .     .        Y        Y         Y       Y
salesfile_detail     .       .          .          .  .     .        Y        Y         Y       Y
salesfile_create     .       .          .          .  .     .        .        .         Y       Y
salesfile_receive    .       .          .          .  .     .        Y        Y         Y       Y
salesfile_unreceive  .       .          .          .  .     .        Y        Y         Y       Y
import_list          .       .          .          .  .     .        .        .         Y       Y
import_detail        .       .          .          .  .     .        .        .         Y       Y
import_template      .       .          .          .  .     .        .        .         Y       Y
[parts]
part_list            Y       .          .          .  Y     .        .        .         Y       .
part_create          .       .          .          .  Y     .        .        .         Y       .
part_update          .       .          .          .  Y     .        .        .         Y       .
[catalogue]
labour_list          Y       .          .          .  .     .        .        .         Y       .
labour_create        .       .          .          .  .     .        .        .         Y       .
labour_update        .       .          .          .  .     .        .        .         Y       .
cannedjob_list       Y       .          .          .  .     .        .        .         Y       .
cannedjob_detail     Y       .          .          .  .     .        .        .         Y       .
cannedjob_create     .       .          .          .  .     .        .        .         Y       .
cannedjob_update     .       .          .          .  .     .        .        .         Y       .
interval_list        .       .          .          .  .     .        .        .         Y       .
interval_update      .       .          .          .  .     .        .        .         Y       .
line_search          Y       .          .          .  .     .        .        .         Y       .
[core]
settings_edit        .       .          .          .  .     .        .        .         .       Y
calendar_list        .       .          .          .  .     .        .        .         .       Y
calendar_year        .       .          .          .  .     .        .        .         .       Y
dealership_logo      Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
job_run_list         .       .          .          .  .     .        .        .         Y       Y
[callbacks]
queue                .       .          .          .  .     .        Y        .         .       .
queue_next           .       .          .          .  .     .        Y        .         .       .
queue_release        .       .          .          .  .     .        Y        .         .       .
call_screen          .       .          .          .  .     .        Y        .         .       .
problem_list         .       .          .          .  .     .        Y        Y         Y       .
problem_handle       .       .          .          .  .     .        Y        Y         Y       .
satisfaction         .       .          .          .  .     .        .        Y         Y       .
[workorders]
reception            Y       .          .          .  .     .        .        .         Y       .
reception_walk_in    Y       .          .          .  .     .        .        .         Y       .
reception_scan       Y       .          .          .  .     .        .        .         Y       .
reception_scan_confirm Y     .          .          .  .     .        .        .         Y       .
inspection           Y       Y          .          Y  Y     Y        Y        Y         Y       Y
damage_mark_add      Y       .          .          .  .     .        .        .         Y       .
damage_mark_remove   Y       .          .          .  .     .        .        .         Y       .
inspection_photo_add Y       .          .          .  .     .        .        .         Y       .
inspection_photo     Y       Y          .          Y  Y     Y        Y        Y         Y       Y
inspection_sign      Y       .          .          .  .     .        .        .         Y       .
inspection_signature Y       Y          .          Y  Y     Y        Y        Y         Y       Y
recommendation_add   Y       .          .          .  .     .        .        .         Y       .
list                 Y       Y          .          Y  Y     Y        Y        Y         Y       Y
advisor_home         Y       .          .          .  .     .        .        .         Y       .
detail               Y       Y          .          Y  Y     Y        Y        Y         Y       Y
add_line             Y       .          .          .  .     .        .        .         Y       .
add_catalogue_line   Y       .          .          .  .     .        .        .         Y       .
line_edit_form       Y       .          .          .  .     .        .        .         Y       .
line_update          Y       .          .          .  .     .        .        .         Y       .
line_remove          Y       .          .          .  .     .        .        .         Y       .
line_approve_discount .      .          .          .  .     .        .        .         Y       .
line_done            .       .          Y          .  .     .        .        .         .       .
line_qc_pass         .       .          .          Y  .     .        .        .         .       .
approve              Y       .          .          .  .     .        .        .         Y       .
transition           Y       Y          .          Y  Y     Y        Y        Y         Y       Y
delay_notice         Y       .          .          .  .     .        .        .         Y       .
internal_check       Y       .          .          .  .     .        .        .         Y       .
deliver              Y       .          .          .  .     .        .        .         Y       .
settle               Y       .          .          .  .     .        .        .         Y       .
document_download    Y       Y          .          Y  Y     Y        Y        Y         Y       Y
document_issue       Y       .          .          .  .     .        .        .         Y       .
[appointments]
board                Y       .          .          .  .     .        Y        .         Y       .
targets              Y       .          .          .  .     .        Y        .         Y       .
unreachable          Y       .          .          .  .     .        .        .         Y       .
book                 Y       .          .          .  .     .        .        .         Y       .
slots                Y       .          .          .  .     .        Y        .         Y       .
confirmations        Y       .          .          .  .     .        .        .         Y       .
stats                Y       .          .          .  .     .        Y        .         Y       .
detail               Y       .          .          .  .     .        Y        .         Y       .
confirm              Y       .          .          .  .     .        .        .         Y       .
cancel               Y       .          .          .  .     .        .        .         Y       .
no_show              Y       .          .          .  .     .        .        .         Y       .
rebook               Y       .          .          .  .     .        .        .         Y       .
receive              Y       .          .          .  .     .        .        .         Y       .
[workshop]
team_list            .       Y          .          .  .     .        .        .         Y       .
team_create          .       .          .          .  .     .        .        .         Y       .
team_update          .       .          .          .  .     .        .        .         Y       .
technician_list      .       Y          .          .  .     .        .        .         Y       .
technician_create    .       .          .          .  .     .        .        .         Y       .
technician_update    .       .          .          .  .     .        .        .         Y       .
bay_list             .       Y          .          .  .     .        .        .         Y       .
bay_create           .       .          .          .  .     .        .        .         Y       .
bay_update           .       .          .          .  .     .        .        .         Y       .
skill_list           .       .          .          .  .     .        .        .         Y       .
skill_create         .       .          .          .  .     .        .        .         Y       .
skill_update         .       .          .          .  .     .        .        .         Y       .
checkitem_list       .       .          .          .  .     .        .        .         Y       .
checkitem_create     .       .          .          .  .     .        .        .         Y       .
checkitem_update     .       .          .          .  .     .        .        .         Y       .
dispatch_board       .       Y          .          .  .     .        .        .         .       .
dispatch             .       Y          .          .  .     .        .        .         .       .
undispatch           .       Y          .          .  .     .        .        .         .       .
job_reassign         .       Y          .          .  .     .        .        .         .       .
job_cancel           .       Y          .          .  .     .        .        .         .       .
job_board            .       Y          .          Y  .     .        .        .         Y       .
job_board_body       .       Y          .          Y  .     .        .        .         Y       .
my_jobs              .       .          Y          .  .     .        .        .         .       .
job_detail           .       .          Y          .  .     .        .        .         .       .
job_start            .       .          Y          .  .     .        .        .         .       .
job_pause            .       .          Y          .  .     .        .        .         .       .
job_resume           .       .          Y          .  .     .        .        .         .       .
job_finish           .       .          Y          .  .     .        .        .         .       .
job_propose          .       .          Y          .  .     .        .        .         .       .
proposal_photo       Y       Y          Y          Y  Y     Y        Y        Y         Y       Y
proposal_add_lines   Y       .          .          .  .     .        .        .         Y       .
proposal_decline     Y       .          .          .  .     .        .        .         Y       .
team_queue           .       Y          Y          .  .     .        .        .         .       .
team_check           .       Y          Y          .  .     .        .        .         .       .
qc_queue             .       .          .          Y  .     .        .        .         .       .
final_check          .       .          .          Y  .     .        .        .         .       .
order_self_check     .       .          Y          .  .     .        .        .         .       .
order_wash           .       .          Y          .  .     .        .        .         .       .
order_release        .       .          .          Y  .     .        .        .         .       .
stats                .       Y          .          .  .     .        .        .         Y       .
[stock]
stock_list           Y       .          .          .  Y     .        .        .         Y       .
part_detail          Y       .          .          .  Y     .        .        .         Y       .
stock_update         .       .          .          .  Y     .        .        .         .       .
issue_list           .       .          .          .  Y     .        .        .         Y       .
work_order_parts     .       .          .          .  Y     .        .        .         .       .
work_order_block     Y       Y          .          Y  Y     Y        Y        Y         Y       Y
issue_create         .       .          .          .  Y     .        .        .         .       .
return_create        .       .          .          .  Y     .        .        .         .       .
reserve              .       .          .          .  Y     .        .        .         .       .
request_for_line     .       .          .          .  Y     .        .        .         .       .
slip_detail          .       .          .          .  Y     .        .        .         Y       .
slip_signature       .       .          .          .  Y     .        .        .         Y       .
slip_confirm         .       .          Y          .  .     .        .        .         .       .
prepick              .       .          .          .  Y     .        .        .         Y       .
prepick_print        .       .          .          .  Y     .        .        .         Y       .
prepick_run          .       .          .          .  Y     .        .        .         .       .
prepick_pick         .       .          .          .  Y     .        .        .         .       .
prepick_transfer     .       .          .          .  Y     .        .        .         .       .
request_list         .       .          .          .  Y     .        .        .         Y       .
request_create       .       .          .          .  Y     .        .        .         .       .
request_cancel       .       .          .          .  Y     .        .        .         .       .
arrival_seen         Y       .          .          .  .     .        .        .         Y       .
receipt_list         .       .          .          .  Y     .        .        .         Y       .
receipt_create       .       .          .          .  Y     .        .        .         .       .
receipt_detail       .       .          .          .  Y     .        .        .         Y       .
count_list           .       .          .          .  Y     .        .        .         Y       .
count_create         .       .          .          .  Y     .        .        .         .       .
count_detail         .       .          .          .  Y     .        .        .         Y       .
count_enter          .       .          .          .  Y     .        .        .         .       .
count_move           .       .          .          .  Y     .        .        .         Y       .
counter_sale_list    .       .          .          .  Y     .        .        .         Y       .
counter_sale_create  .       .          .          .  Y     .        .        .         .       .
counter_sale_detail  .       .          .          .  Y     .        .        .         Y       .
accessory_seller_set Y       .          .          .  Y     .        .        .         Y       .
commission           .       .          .          .  Y     .        .        .         Y       .
commission_excel     .       .          .          .  Y     .        .        .         Y       .
[warranty]
claim_list           Y       .          .          .  .     Y        .        .         Y       .
claim_create         Y       .          .          .  .     Y        .        .         .       .
claim_detail         Y       .          .          .  .     Y        .        .         Y       .
claim_update         Y       .          .          .  .     Y        .        .         .       .
claim_delete         .       .          .          .  .     Y        .        .         .       .
claim_transition     Y       .          .          .  .     Y        .        .         .       .
claim_approve        .       .          .          .  .     Y        .        .         .       .
claim_pay            .       .          .          .  .     Y        .        .         .       .
documents            .       .          .          .  .     Y        .        .         .       .
documents_sign       .       .          .          .  .     Y        .        .         .       .
batch_create         .       .          .          .  .     Y        .        .         .       .
batch_send           .       .          .          .  .     Y        .        .         .       .
statement            .       .          .          .  .     Y        .        .         Y       .
statement_excel      .       .          .          .  .     Y        .        .         Y       .
statement_invoice    .       .          .          .  .     Y        .        .         Y       .
vehicle_status       Y       .          .          .  .     Y        .        .         Y       .
watch_list           .       .          .          .  .     Y        .        .         Y       .
[complaints]
list                 .       .          .          .  .     .        Y        Y         Y       .
create               .       .          .          .  .     .        Y        Y         Y       .
create_from_problem  .       .          .          .  .     .        Y        Y         Y       .
stats                .       .          .          .  .     .        Y        Y         Y       .
detail               .       .          .          .  .     .        Y        Y         Y       .
transition           .       .          .          .  .     .        Y        Y         Y       .
propose              .       .          .          .  .     .        .        Y         .       .
resolve              .       .          .          .  .     .        .        Y         .       .
close                .       .          .          .  .     .        .        Y         .       .
"""  # noqa: E501 (the header of role codes is one character too wide)
# Pages that answer without a session (the login page, and the logo it shows).
PUBLIC = {"accounts:login", "core:dealership_logo"}
# A 1x1 transparent PNG: the dealership's logo in the fixture.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def _parse_matrix(text: str) -> tuple[list[str], dict[str, set[str]]]:
    """(roles, {namespaced page name: roles that open it})."""
    header, *rows = text.strip().splitlines()
    roles = header.split()[1:]
    allowed = {}
    namespace = ""
    for row in rows:
        if row.startswith("["):
            namespace = row.strip("[]")
            continue
        name, *marks = row.split()
        page = f"{namespace}:{name}"
        assert len(marks) == len(roles), f"row {page} has {len(marks)} marks"
        assert page not in allowed, f"two rows for {page}"
        allowed[page] = {role for role, mark in zip(roles, marks, strict=True) if mark == "Y"}
    return roles, allowed


def _url_names(resolver=None, namespace: str = "") -> list[str]:
    """Every URL pattern of the resolver by namespaced name, the admin site's aside."""
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(_url_names(pattern, inner))
        else:
            assert pattern.name, f"the URL pattern {pattern.pattern} has no name"
            names.append(namespace + pattern.name)
    return names


MATRIX_ROLES, ALLOWED = _parse_matrix(MATRIX)


@pytest.fixture
def archive(user_with_role, settings, tmp_path):
    """One of everything the pages show: a customer with a vehicle and its sales file (its
    invoice received), a second vehicle with no sales file yet, an import batch and the
    dealership's logo; an open work order of the vehicle with its inspection sheet, a
    damage mark, a photo and a recommendation, and a signed sheet of the second vehicle."""
    settings_row = settings_row_for_edit(DealershipSettings)
    settings_row.logo.save("logo.png", ContentFile(PNG))
    forget_cached()  # the header reads the logo from the cached row
    customer = CustomerFactory(name="王建国", mobile="13912345678")
    vehicle = VehicleFactory(owner=customer)
    sales_file = SalesFileFactory(vehicle=vehicle)
    SalesDocument.objects.create(
        sales_file=sales_file, kind=SalesFile.Document.INVOICE, received_on=date(2026, 11, 16)
    )
    unsold = VehicleFactory(owner=customer)
    batch = ImportBatch.objects.create(
        file="imports/2026/11/old.xlsx", original_name="old.xlsx", created_by=user_with_role()
    )
    settings.PRIVATE_ROOT = tmp_path / "private"  # the photos and signature below
    work_order = order_in_state(WorkOrder.Status.DRAFT, vehicle=vehicle)
    mark = reception.damage_mark(work_order)
    signed = reception.open_order(vehicle=unsold)
    reception.sign_sheet(signed, by=user_with_role())
    document = WorkOrderDocument(
        work_order=work_order,
        kind=WorkOrderDocument.Kind.ESTIMATE,
        sha256="0" * 64,
        content_sha256="0" * 64,
        created_at=work_order.opened_at,
    )
    # Stored bytes stand in for a rendered PDF: the matrix checks access, not rendering.
    document.file.save("estimate.pdf", ContentFile(b"%PDF-1.7 matrix"), save=True)
    technician = TechnicianFactory()
    # A job row of the draft order: the dispatch actions' refusals need only a job to name.
    job = Job.objects.create(
        work_order=work_order,
        team=technician.team,
        technician=technician,
        assigned_by=technician.user,
        assigned_at=work_order.opened_at,
    )
    stock = documents_of_every_kind()
    clerk = user_with_role("warranty")
    claim = warranty_factories.claim_in_state(
        WarrantyClaim.Status.SUBMITTED,
        by=clerk,
        order=warranty_factories.warranty_order(by=flow_user(), vehicle=vehicle),
    )
    return {
        **stock,
        "work_order": work_order,
        "line": work_order.lines.order_by("id").first(),
        "technician": technician,
        "bay": BayFactory(),
        "job": job,
        "customer": customer,
        "vehicle": vehicle,
        "sales_file": sales_file,
        "unsold": unsold,
        "batch": batch,
        "mark": mark,
        "photo": reception.inspection_photo(work_order, by=user_with_role()),
        "signed": signed,
        "recommendation": reception.recommendation(vehicle),
        "part": PartFactory(),
        "labour_operation": LabourOperationFactory(),
        "canned_job": CannedJobFactory(),
        "interval": MaintenanceIntervalFactory(),
        "document": document,
        # A booked appointment of the vehicle (a fixed day ahead: the matrix reads no clock).
        "appointment": appointment_row(
            at=dt.datetime(2030, 1, 7, 10, 30, tzinfo=SHANGHAI),
            status="booked",
            advisor_user=user_with_role("advisor"),
            vehicle=vehicle,
        ),
        "call_item": CallItem.objects.create(
            customer=customer, day=date(2026, 11, 17), due_on=date(2026, 11, 17)
        ),
        "problem": Problem.objects.create(
            callback=Callback.objects.create(
                kind=Callback.Kind.SERVICE_3DC,
                customer=customer,
                vehicle=vehicle,
                work_order=work_order,
                event_on=date(2026, 11, 14),
                opens_on=date(2026, 11, 17),
                due_on=date(2026, 11, 19),
            ),
            customer=customer,
            what="维修质量 2 分",
            department="workshop",
        ),
        "claim": claim,
        "complaint": complaint_services.complaint_create(
            by=user_with_role("complaint"),
            customer=customer,
            vehicle=vehicle,
            channel="phone",
            category="attitude",
            description="接待态度差",
        ),
        "document_batch": DocumentBatch.objects.create(
            number="SD20261101", month=date(2026, 11, 1), created_by=clerk
        ),
        "licence_scan": licence_scan(by=user_with_role()),  # read, not yet confirmed
    }


@dataclass(frozen=True)
class PageRequest:
    method: str
    url: str
    data: dict
    opened: int = 200  # the status when the role may open the page
    location: str = ""  # where that answer redirects, if it does


def _request(page: str, archive: dict) -> PageRequest:
    """The request that opens `page` for the archive fixture."""
    customer, vehicle = archive["customer"], archive["vehicle"]
    sales_file = archive["sales_file"]
    sales_file_url = reverse("customers:salesfile_detail", args=[sales_file.pk])
    args = {
        "customers:customer_detail": [customer.pk],
        "customers:customer_update": [customer.pk],
        "customers:customer_merge": [customer.pk],
        "customers:customer_reveal": [customer.pk, "mobile"],
        "customers:vehicle_create": [customer.pk],
        "customers:vehicle_scan": [customer.pk],
        "customers:vehicle_scan_confirm": [customer.pk, archive["licence_scan"].pk],
        "customers:licence_scan_photo": [archive["licence_scan"].pk],
        "workorders:reception_scan_confirm": [archive["licence_scan"].pk],
        "customers:vehicle_detail": [vehicle.pk],
        "customers:vehicle_update": [vehicle.pk],
        "customers:vehicle_change_owner": [vehicle.pk],
        "customers:vehicle_free_plate": [vehicle.pk],
        "core:calendar_year": [2027],
        "customers:salesfile_detail": [sales_file.pk],
        "customers:salesfile_create": [archive["unsold"].pk],
        "customers:salesfile_receive": [sales_file.pk],
        "customers:salesfile_unreceive": [sales_file.pk, SalesFile.Document.INVOICE],
        "customers:import_detail": [archive["batch"].pk],
        "callbacks:queue_release": [archive["call_item"].pk],
        "callbacks:call_screen": [archive["call_item"].pk],
        "callbacks:problem_handle": [archive["problem"].pk],
        "workorders:inspection": [archive["work_order"].pk],
        "workorders:damage_mark_add": [archive["work_order"].pk],
        "workorders:damage_mark_remove": [archive["work_order"].pk, archive["mark"].pk],
        "workorders:inspection_photo_add": [archive["work_order"].pk],
        "workorders:inspection_photo": [archive["photo"].pk, "thumb"],
        "workorders:inspection_sign": [archive["work_order"].pk],
        "workorders:inspection_signature": [archive["signed"].pk],
        "workorders:recommendation_add": [archive["work_order"].pk, archive["recommendation"].pk],
        "parts:part_update": [archive["part"].pk],
        "catalogue:labour_update": [archive["labour_operation"].pk],
        "catalogue:cannedjob_detail": [archive["canned_job"].pk],
        "catalogue:cannedjob_update": [archive["canned_job"].pk],
        "catalogue:interval_update": [archive["interval"].pk],
        "workorders:document_download": [archive["document"].pk],
        # The settlement statement of a draft order: refused with a message and sent back
        # to the order, so the matrix needs no rendering (test_documents.py renders).
        "workorders:document_issue": [archive["work_order"].pk, "settlement"],
        "appointments:unreachable": [customer.pk],
        **{f"appointments:{name}": [archive["appointment"].pk] for name in APPOINTMENT_PAGES},
        "workshop:team_update": [archive["technician"].team_id],
        "workshop:technician_update": [archive["technician"].pk],
        "workshop:bay_update": [archive["bay"].pk],
        "workshop:skill_update": [Skill.objects.order_by("id").first().pk],
        "workshop:checkitem_update": [CheckItem.objects.order_by("id").first().pk],
        "workshop:dispatch": [archive["work_order"].pk],
        "workshop:undispatch": [archive["work_order"].pk],
        "workshop:job_reassign": [archive["job"].pk],
        "workshop:job_cancel": [archive["job"].pk],
    }
    if page.startswith("workorders:") and page.split(":")[1] in WORK_ORDER_PAGES:
        return _work_order_request(page, archive)
    if page.startswith("workshop:") and page.split(":")[1] in FLOOR_PAGES:
        return _floor_request(page, archive)
    if page.startswith("stock:"):
        return _stock_request(page, archive)
    if page.startswith("warranty:"):
        return _warranty_request(page, archive)
    if page.startswith("complaints:"):
        return _complaints_request(page, archive)
    url = reverse(page, args=args.get(page, []))
    if page == "customers:search":
        return PageRequest("get", url, {"q": "王建国"})
    if page == "catalogue:line_search":  # the work-order page's "add line" box
        return PageRequest("get", url, {"q": "机油", "work_order": archive["work_order"].pk})
    if page == "customers:salesfile_receive":
        data = {"kinds": [SalesFile.Document.DELIVERY_CONFIRMATION], "received_on": "2026-11-17"}
        return PageRequest("post", url, data, 302, sales_file_url)
    if page == "customers:customer_reveal":  # 显示: logged, answers the whole number
        return PageRequest("post", url, {})
    if page == "customers:salesfile_unreceive":
        return PageRequest("post", url, {}, 302, sales_file_url)
    if page == "customers:vehicle_scan":  # no photo: back to the form with the reason
        return PageRequest(
            "post", url, {}, 302, reverse("customers:vehicle_create", args=args[page])
        )
    if page == "workorders:reception_scan":
        return PageRequest("post", url, {}, 302, reverse("workorders:reception"))
    inspection_url = reverse("workorders:inspection", args=[archive["work_order"].pk])
    if page == "workorders:reception":
        return PageRequest("get", url, {"vehicle": vehicle.pk})
    if page == "workorders:damage_mark_add":
        return PageRequest("post", url, {"x": "10", "y": "20", "kind": "dent"}, 302, inspection_url)
    if page == "workorders:damage_mark_remove":
        return PageRequest("post", url, {}, 302, inspection_url)
    if page in ("workorders:inspection_photo_add", "workorders:inspection_sign"):
        return PageRequest("post", url, {}, 422)  # the form again: no photo, no signature
    if page == "workorders:recommendation_add":
        return PageRequest("post", url, {}, 302, f"{inspection_url}#recommendations")
    if page in ("callbacks:queue_next", "callbacks:queue_release"):
        # 下一个 with nothing to call, 放回队列 of a call not held: back to the queue page
        return PageRequest("post", url, {}, 302, reverse("callbacks:queue"))
    if page == "callbacks:call_screen":  # a call the clerk does not hold: the queue page
        return PageRequest("get", url, {}, 302, reverse("callbacks:queue"))
    if page == "accounts:login":  # a signed-in user is sent on to the 工作台
        return PageRequest("get", url, {}, 302, reverse("dashboard:home"))
    if page == "workorders:document_issue":
        return PageRequest("post", url, {}, 302, archive["work_order"].get_absolute_url())
    if page in APPOINTMENT_POSTS:
        status = APPOINTMENT_POSTS[page]
        target = reverse("appointments:detail", args=[archive["appointment"].pk])
        return PageRequest("post", url, {}, status, target if status == 302 else "")
    if page == "appointments:unreachable":
        targets = reverse("appointments:targets")
        return PageRequest("post", url, {"reason": "空号"}, 302, targets)
    if page == "accounts:logout":
        return PageRequest("post", url, {}, 302, reverse("accounts:login"))
    if page in WORKSHOP_POSTS:  # sent empty: the board again with the refusal
        return PageRequest("post", url, {}, 422)
    return PageRequest("get", url, {})


# An appointment's pages; its moves are POSTs: 确认 succeeds and goes back to the
# appointment, the others (sent empty) answer their form again with the errors.
APPOINTMENT_PAGES = ("detail", "confirm", "cancel", "no_show", "rebook", "receive")
APPOINTMENT_POSTS = {
    "appointments:confirm": 302,
    "appointments:cancel": 422,
    "appointments:no_show": 422,
    "appointments:rebook": 422,
}

# The dispatch board's actions (POST only).
WORKSHOP_POSTS = {
    "workshop:dispatch",
    "workshop:undispatch",
    "workshop:job_reassign",
    "workshop:job_cancel",
}


# The stock pages' actions (POST), sent empty: (status, where a redirect leads).
STOCK_POSTS = {
    "stock_update": (200, ""),  # the part's page again: the minimum is missing
    "issue_create": (422, ""),  # the order's parts page again: no technician, no quantity
    "return_create": (422, ""),
    "reserve": (302, "work_order_parts#parts"),  # reserved (or refused with a message)
    "request_for_line": (422, ""),  # the issued line needs no purchase
    "slip_confirm": (302, "home"),  # refused: not the slip's technician
    "request_create": (302, "stock_list"),  # no part chosen
    "request_cancel": (302, "request_list"),  # no reason: told so
    "arrival_seen": (302, "home"),
    "count_create": (422, ""),  # every part is on the open count already
    "count_enter": (302, "count_detail"),  # nothing entered: the sheet again
    "count_move": (422, ""),  # no move named
    # 预先捡料: back to the list of the day (tomorrow; the appointment's day)
    "prepick_run": (302, "prepick"),
    "prepick_pick": (302, "prepick"),  # nothing ticked: told so
    "prepick_transfer": (302, "prepick"),
    "accessory_seller_set": (302, "work_order#parts-block"),  # no seller chosen: told so
}


def _stock_request(page: str, archive: dict) -> PageRequest:
    name = page.split(":")[1]
    order, line = archive["stock_order"], archive["stock_line"]
    args = {
        "part_detail": [archive["stock_part"].pk],
        "stock_update": [archive["stock_part"].pk],
        "work_order_parts": [order.pk],
        "work_order_block": [order.pk],
        "issue_create": [order.pk],
        "return_create": [order.pk],
        "reserve": [order.pk, line.pk],
        "request_for_line": [order.pk, line.pk],
        "slip_detail": [archive["slip"].pk],
        "slip_signature": [archive["slip"].pk],
        "slip_confirm": [archive["slip"].pk],
        "request_cancel": [archive["purchase"].pk],
        "arrival_seen": [archive["purchase"].pk],
        "receipt_detail": [archive["receipt"].pk],
        "count_detail": [archive["count"].pk],
        "count_enter": [archive["count"].pk],
        "count_move": [archive["count"].pk],
        "prepick_transfer": [archive["appointment"].pk],
        "counter_sale_detail": [archive["counter_sale"].pk],
        "accessory_seller_set": [order.pk, line.pk],
    }.get(name, [])
    url = reverse(page, args=args)
    if name not in STOCK_POSTS:
        return PageRequest("get", url, {})
    status, target = STOCK_POSTS[name]
    location = ""
    if target == "home":
        location = reverse("dashboard:home")
    elif target == "work_order_parts#parts":
        location = reverse("stock:work_order_parts", args=[order.pk]) + "#parts"
    elif target == "work_order#parts-block":
        location = reverse("workorders:detail", args=[order.pk]) + "#parts-block"
    elif target == "count_detail":
        location = reverse("stock:count_detail", args=[archive["count"].pk])
    elif target == "prepick":  # the appointment's day (ahead: the matrix reads no clock)
        day = archive["appointment"].date
        location = f"{reverse('stock:prepick')}?date={day:%Y-%m-%d}"
        return PageRequest("post", url, {"date": f"{day:%Y-%m-%d}"}, status, location)
    elif target:
        location = reverse(f"stock:{target}")
    return PageRequest("post", url, {}, status, location)


# The work-order page's actions (POST): sent empty, each answers the page again with the
# form's errors (200), or, for a button, redirects back to the page (302 to the anchor).
WORK_ORDER_POSTS = {
    "add_line": (200, ""),
    "add_catalogue_line": (302, "#lines"),
    "line_update": (200, ""),
    "line_remove": (302, "#lines"),
    "line_approve_discount": (302, "#lines"),
    "line_done": (302, ""),  # refused (the line is not approved yet): back to the page
    "line_qc_pass": (302, ""),
    "approve": (200, ""),
    "transition": (200, ""),
    "delay_notice": (200, ""),
    "internal_check": (200, ""),
    "deliver": (200, ""),
    "settle": (200, ""),
}


WORK_ORDER_PAGES = {"list", "advisor_home", "detail", "line_edit_form", *WORK_ORDER_POSTS}


def _work_order_request(page: str, archive: dict) -> PageRequest:
    order, line = archive["work_order"], archive["line"]
    name = page.split(":")[1]
    if name in ("list", "advisor_home"):
        return PageRequest("get", reverse(page), {})
    if name == "detail":
        return PageRequest("get", reverse(page, args=[order.pk]), {})
    if name == "line_edit_form":  # loaded into the page by 修改
        return PageRequest("get", reverse(page, args=[order.pk, line.pk]), {})
    args = [order.pk, line.pk] if name.startswith("line_") else [order.pk]
    status, anchor = WORK_ORDER_POSTS[name]
    detail = reverse("workorders:detail", args=[order.pk])
    return PageRequest(
        "post", reverse(page, args=args), {}, status, detail + anchor if status == 302 else ""
    )


# The floor's actions (POST), sent empty: (status, the page its redirect goes to).
FLOOR_POSTS = {
    "job_start": (302, "job"),  # the job starts: its page
    "job_pause": (422, ""),  # no reason: the job's page with the form's error
    "job_resume": (302, "job"),  # refused (not paused): its page with the message
    "job_finish": (422, ""),  # refused (not started): the page with the form's error
    "job_propose": (422, ""),  # no description
    "proposal_add_lines": (302, "order"),  # nothing chosen: the order with the message
    "proposal_decline": (302, "order"),
    "order_self_check": (302, "workshop:team_queue"),  # refused: jobs not finished
    "order_wash": (302, "workshop:my_jobs"),  # refused: not QC-passed
    "order_release": (302, "workshop:qc_queue"),
}
# The floor's pages after dispatch (urls_floor), opened on the rows of matrix_floor.
FLOOR_PAGES = {
    "my_jobs",
    "job_detail",
    "proposal_photo",
    "team_queue",
    "team_check",
    "qc_queue",
    "final_check",
    "stats",
    *FLOOR_POSTS,
}
FLOOR_JOB_PAGES = {
    "job_detail",
    "job_start",
    "job_pause",
    "job_resume",
    "job_finish",
    "job_propose",
}


def floor_belongs_to(client, archive: dict) -> None:
    """The matrix's floor job, once a floor page asked for it, becomes the signed-in
    user's (see hand_floor_to)."""
    if "floor" in archive:
        user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
        hand_floor_to(user, archive["floor"])


def _floor_request(page: str, archive: dict) -> PageRequest:
    """A floor page's request; its rows (tests.workshop.floor.matrix_floor) are made for
    the floor's pages only, so the rest of the matrix does not pay for them."""
    name = page.split(":")[1]
    if "floor" not in archive:
        archive["floor"] = matrix_floor()
    floor = archive["floor"]
    job, order, proposal = floor["job"], floor["order"], floor["proposal"]
    if name in FLOOR_JOB_PAGES:
        url = reverse(page, args=[job.pk])
    elif name.startswith("proposal_"):
        url = reverse(page, args=[proposal.pk])
    elif name in ("team_check", "final_check") or name.startswith("order_"):
        url = reverse(page, args=[order.pk])
    else:
        url = reverse(page)
    if name not in FLOOR_POSTS:
        return PageRequest("get", url, {})
    status, target = FLOOR_POSTS[name]
    location = {
        "job": reverse("workshop:job_detail", args=[job.pk]),
        "order": reverse("workorders:detail", args=[order.pk]) + "#proposals",
        "": "",
    }.get(target) or (reverse(target) if target else "")
    return PageRequest("post", url, {}, status, location)


# The warranty pages' actions (POST): (status when allowed, where it redirects: "claim",
# "order", "documents" or "").
WARRANTY_POSTS = {
    "claim_create": (302, "order"),  # every warranty line is claimed: back with the reason
    "claim_update": (422, ""),  # the form again, with its errors
    "claim_delete": (302, "claim"),  # a submitted claim is not deleted: back to it
    "claim_transition": (422, ""),
    "claim_approve": (422, ""),
    "claim_pay": (422, ""),
    "documents_sign": (302, "documents"),
    "batch_create": (302, "documents"),
    "batch_send": (302, "documents"),
    "statement_invoice": (422, ""),
}


def _warranty_request(page: str, archive: dict) -> PageRequest:
    claim, batch = archive["claim"], archive["document_batch"]
    name = page.split(":")[1]
    args = {
        "claim_create": [claim.work_order_id],
        "vehicle_status": [archive["vehicle"].pk],
        "batch_send": [batch.pk],
    }.get(name, [claim.pk] if name.startswith("claim_") and name != "claim_list" else [])
    url = reverse(page, args=args)
    if name not in WARRANTY_POSTS:
        return PageRequest("get", url, {})
    status, where = WARRANTY_POSTS[name]
    data = {"month": f"{batch.month:%Y-%m}"} if where == "documents" else {}
    location = {
        "claim": claim.get_absolute_url(),
        "order": f"{claim.work_order.get_absolute_url()}#warranty",
        "documents": f"{reverse('warranty:documents')}?month={batch.month:%Y-%m}",
        "": "",
    }[where]
    return PageRequest("post", url, data, status, location)


def _complaints_request(page: str, archive: dict) -> PageRequest:
    """The complaint pages: the list, the create form (GET: the customer's form), the
    complaint's page; its actions are POSTs of empty forms, answered with the page and
    the forms' errors (422)."""
    name = page.split(":")[1]
    complaint = archive["complaint"]
    if name in ("list", "stats"):
        return PageRequest("get", reverse(page), {})
    if name == "create":
        return PageRequest("get", reverse(page), {"customer": archive["customer"].pk})
    if name == "create_from_problem":
        problem = archive["problem"]
        create = reverse("complaints:create")
        return PageRequest(
            "get", reverse(page, args=[problem.pk]), {}, 302, f"{create}?problem={problem.pk}"
        )
    url = reverse(page, args=[complaint.pk])
    if name == "detail":
        return PageRequest("get", url, {})
    return PageRequest("post", url, {}, 422)


def test_the_matrix_has_a_column_for_every_role_and_a_row_for_every_url_pattern():
    names = _url_names()

    assert [role.code for role in ROLES] == MATRIX_ROLES
    assert len(names) == len(set(names)), "two URL patterns share a name"
    assert sorted(ALLOWED) == sorted(names)
    assert len(ALLOWED) == len(names) > 20


@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_each_role_opens_exactly_the_pages_of_its_matrix_row(page, role_client, archive):
    """Every role against one page, on one fixture (built once per page, not per role:
    the matrix is ~1,300 cases): each role's request runs in a savepoint rolled back
    afterwards, so a role allowed to change something leaves the next role the same data."""
    request = _request(page, archive)  # what it makes lazily stays for every role
    wrong = []
    for role in MATRIX_ROLES:
        with transaction.atomic():
            client = role_client(role)
            floor_belongs_to(client, archive)
            response = getattr(client, request.method)(request.url, request.data)
            transaction.set_rollback(True)
        if role not in ALLOWED[page]:
            if response.status_code != 403 or "无权访问" not in response.content.decode():
                wrong.append(f"{role}: {response.status_code}, 403 with 无权访问 expected")
        elif response.status_code != request.opened:
            wrong.append(f"{role}: {response.status_code}, {request.opened} expected")
        elif request.location and response["Location"] != request.location:
            wrong.append(f"{role}: to {response['Location']}, {request.location} expected")
    assert wrong == []


def _documents() -> list[str]:
    return list(SalesDocument.objects.values_list("kind", flat=True))


@pytest.mark.parametrize("page", ["customers:salesfile_receive", "customers:salesfile_unreceive"])
def test_a_clerk_refused_a_change_to_the_documents_leaves_the_sales_file_unchanged(
    page, role_client, archive
):
    client = role_client("advisor")
    request = _request(page, archive)

    response = client.post(request.url, request.data)

    assert response.status_code == 403
    assert _documents() == [SalesFile.Document.INVOICE]


def test_a_callback_clerk_undoes_a_receipt_recorded_by_mistake(role_client, archive):
    client = role_client("callback")
    request = _request("customers:salesfile_unreceive", archive)

    response = client.post(request.url)

    assert response.status_code == 302
    assert _documents() == []


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
    before = set(Customer.objects.values_list("pk", flat=True))

    response = client.post(
        reverse("customers:customer_create"),
        {"kind": "person", "name": "新客户", "mobile": "13700000000", "source": "service_only"},
    )

    assert response.status_code == 403
    assert set(Customer.objects.values_list("pk", flat=True)) == before
    assert not Customer.objects.filter(name="新客户").exists()


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


@pytest.mark.parametrize("page", sorted(set(ALLOWED) - PUBLIC))
def test_an_anonymous_visitor_is_sent_to_the_login_page(page, client, archive):
    request = _request(page, archive)

    response = getattr(client, request.method)(request.url, request.data)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    query = f"?{urlencode(request.data)}" if request.method == "get" and request.data else ""
    assert parse_qs(location.query) == {"next": [request.url + query]}


@pytest.mark.parametrize("page", sorted(PUBLIC))
def test_the_public_pages_open_without_a_session(page, client, archive):
    request = _request(page, archive)

    response = client.get(request.url)

    assert response.status_code == 200
    if page == "core:dealership_logo":
        assert b"".join(response.streaming_content) == PNG


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


# --- the admin site: staff only ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/customers/customer/"])
def test_a_signed_in_user_who_is_not_staff_gets_our_403_page_from_the_admin(
    path, role_client, any_role
):
    response = role_client(any_role).get(path)

    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    assert "无权访问" in response.content.decode()


def test_staff_open_the_admin_and_anonymous_visitors_go_to_the_login_page(client, user_with_role):
    anonymous = client.get("/admin/")

    assert urlsplit(anonymous["Location"]).path == "/admin/login/"
    follow = client.get(anonymous["Location"])  # admin's login page sends on to ours
    assert follow.status_code == 302
    assert follow["Location"] == f"{reverse('accounts:login')}?next=/admin/"
    client.force_login(user_with_role("admin", is_staff=True))
    assert client.get("/admin/").status_code == 200


# --- a refused request is logged as one line -------------------------------------------------


@pytest.fixture
def log_lines(settings):
    """What the configured log handlers print, as lines (DEBUG on: Django's own console
    handler prints only then, which used to double every record)."""
    settings.DEBUG = True
    stream = io.StringIO()
    loggers = [logging.getLogger(name) for name in ("django.request", "django", "")]
    # The handlers the settings configure (pytest's own capture handlers aside).
    handlers = {
        handler
        for logger in loggers
        for handler in logger.handlers
        if type(handler) is logging.StreamHandler
    }
    saved = {handler: handler.setStream(stream) for handler in handlers}
    yield lambda: stream.getvalue().splitlines()
    for handler, previous in saved.items():
        handler.setStream(previous)


def test_a_refused_request_logs_one_line_naming_user_path_and_permission(
    role_client, user_with_role, client, log_lines
):
    client.force_login(user_with_role("technician", username="wanggong"))

    response = client.get(reverse("customers:customer_list"))

    assert response.status_code == 403
    [line] = log_lines()
    assert line.endswith(
        "WARNING django.request: 403 user=wanggong path=/archive/customers/ "
        "perm=customers.view_customer"
    )


def test_a_refused_admin_page_logs_one_line_too(client, user_with_role, log_lines):
    client.force_login(user_with_role("advisor", username="zhangsan"))

    assert client.get("/admin/").status_code == 403
    [line] = log_lines()
    assert line.endswith("403 user=zhangsan path=/admin/ perm=admin site (staff only)")


# --- navigation -------------------------------------------------------------------------

_NAV = re.compile(
    r'<ul class="navbar-nav me-auto" id="main-menu">(.*?)</ul>\s*(?:<form|<div)', re.S
)
_NAV_LINK = re.compile(r'<a class="(?:nav-link|dropdown-item)[^"]*" href="([^"]+)">([^<]+)</a>')


def _navigation(response) -> list[tuple[str, str]]:
    """(label, url) of every item of the top navigation bar, in order."""
    block = _NAV.search(response.content.decode())
    assert block, "the page has no navigation bar"
    return [(label, url) for url, label in _NAV_LINK.findall(block.group(1))]


@pytest.mark.parametrize(
    ("roles", "labels"),
    [
        (("technician",), ["工作台", "我的作业", "班组检验"]),
        (("qc",), ["工作台", "工单列表", "车间看板", "终检"]),
        (
            ("supervisor",),
            [
                "工作台",
                "工单列表",
                "派工看板",
                "车间看板",
                "班组检验",
                "车间统计",
                "车间设置",
                "客户档案",
                "车辆",
            ],
        ),
        (
            ("parts",),
            [
                "工作台",
                "工单列表",
                "车辆",
                "配件目录",
                "库存",
                "出库",
                "预先捡料",
                "请购",
                "入库",
                "盘点",
                "柜台销售",
                "精品提成",
            ],
        ),
        (
            ("advisor",),
            [
                "工作台",
                "我的工单",
                "接车开单",
                "工单列表",
                "预约看板",
                "待确认预约",
                "预约对象",
                "预约统计",
                "客户档案",
                "车辆",
                "维修项目",
                "配件目录",
                "库存",
                "索赔单",
            ],
        ),
        (
            ("callback",),
            [
                "工作台",
                "工单列表",
                "预约看板",
                "预约对象",
                "预约统计",
                "客户档案",
                "车辆",
                "销售档案",
                "投诉",
                "问题处理",  # in the 档案 menu, before the top-level 回访拨打
                "回访拨打",
            ],
        ),
        (
            ("manager",),
            [
                "工作台",
                "我的工单",
                "接车开单",
                "工单列表",
                "预约看板",
                "待确认预约",
                "预约对象",
                "预约统计",
                "车间看板",
                "车间统计",
                "车间设置",
                "客户档案",
                "车辆",
                "销售档案",
                "档案导入",
                "号码查看记录",
                "投诉",
                "问题处理",
                "满意度统计",
                "维修项目",
                "配件目录",
                "库存",
                "出库",
                "预先捡料",
                "请购",
                "入库",
                "盘点",
                "柜台销售",
                "精品提成",
                "索赔单",
                "三包预警",
                "月结单",
                "定时任务",
            ],
        ),
        (
            ("admin",),
            [
                "工作台",
                "工单列表",
                "客户档案",
                "车辆",
                "销售档案",
                "档案导入",
                "经销商设置",
                "定时任务",
            ],
        ),
        (
            ("parts", "callback"),
            [
                "工作台",
                "工单列表",
                "预约看板",
                "预约对象",
                "预约统计",
                "客户档案",
                "车辆",
                "销售档案",
                "投诉",
                "问题处理",  # in the 档案 menu, before the top-level 回访拨打
                "回访拨打",
                "配件目录",
                "库存",
                "出库",
                "预先捡料",
                "请购",
                "入库",
                "盘点",
                "柜台销售",
                "精品提成",
            ],
        ),
        (
            ("warranty",),
            ["工作台", "工单列表", "客户档案", "车辆", "索赔单", "三包预警", "单据寄送", "月结单"],
        ),
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
