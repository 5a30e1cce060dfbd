import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from apps.core.services import area_settings_save
from apps.core.settings import current_settings
from apps.customers import services
from apps.customers.models import ArchiveSettings, Customer, SalesFile
from tests.factories.customers import CustomerFactory, SalesFileFactory, VehicleFactory
from tests.factories.workorders import visit

pytestmark = pytest.mark.django_db


def _visit(customer, *, on: dt.date, paid: str):
    vehicle = customer.vehicles.first() or VehicleFactory(owner=customer)
    return visit(vehicle, on=on, total=paid, paid=paid, lines=())


def test_sales_file_documents_are_due_two_working_days_after_delivery_skipping_the_weekend():
    vehicle = VehicleFactory()
    sales_file = SalesFile(
        vehicle=vehicle, delivered_on=dt.date(2026, 11, 20), salesperson="李思琪"
    )

    services.sales_file_save(sales_file=sales_file)

    # Friday 20 November + 2 working days = Tuesday 24 November.
    assert sales_file.documents_due_on == dt.date(2026, 11, 24)


def test_sales_file_deadline_skips_the_national_day_holiday():
    vehicle = VehicleFactory()
    sales_file = SalesFile(vehicle=vehicle, delivered_on=dt.date(2025, 9, 30), salesperson="李思琪")

    services.sales_file_save(sales_file=sales_file)

    # 1-8 October 2025 are holidays; Saturday 11 October 2025 is a swapped working day.
    assert sales_file.documents_due_on == dt.date(2025, 10, 10)


def test_sales_file_deadline_follows_the_dealership_setting():
    settings_row = current_settings(ArchiveSettings)
    settings_row.sales_documents_due_working_days = 5
    area_settings_save(rows=[settings_row], by=None)
    sales_file = SalesFile(
        vehicle=VehicleFactory(), delivered_on=dt.date(2026, 11, 20), salesperson="李思琪"
    )

    services.sales_file_save(sales_file=sales_file)

    assert sales_file.documents_due_on == dt.date(2026, 11, 27)


def test_receiving_every_document_completes_the_sales_file_on_the_last_receipt(user_with_role):
    clerk = user_with_role("callback")
    sales_file = SalesFileFactory()
    kinds = [kind for kind, _ in SalesFile.Document.choices]

    services.sales_file_receive_documents(
        sales_file=sales_file, kinds=kinds[:5], on=dt.date(2026, 11, 17), by=clerk
    )
    assert sales_file.documents_completed_on is None
    services.sales_file_receive_documents(
        sales_file=sales_file, kinds=kinds, on=dt.date(2026, 11, 19), by=clerk
    )

    sales_file.refresh_from_db()
    assert sales_file.documents_completed_on == dt.date(2026, 11, 19)
    assert sales_file.documents.count() == 9
    assert sales_file.documents.filter(received_on=dt.date(2026, 11, 17)).count() == 5


def test_undoing_a_receipt_reopens_a_completed_sales_file(user_with_role):
    sales_file = SalesFileFactory()
    kinds = [kind for kind, _ in SalesFile.Document.choices]
    services.sales_file_receive_documents(
        sales_file=sales_file, kinds=kinds, on=dt.date(2026, 11, 17), by=user_with_role("callback")
    )

    services.sales_file_remove_document(sales_file=sales_file, kind="invoice")

    assert sales_file.documents_completed_on is None
    assert sales_file.documents.count() == 8


def test_customer_save_derives_birthday_and_sex_from_the_id_number():
    customer = Customer(name="王小明", mobile="13800000001", id_number="11010519491231002X")

    services.customer_save(customer=customer)

    customer.refresh_from_db()
    assert customer.birthday == dt.date(1949, 12, 31)
    assert customer.sex == "F"


@time_machine.travel(dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC), tick=False)
def test_segments_follow_paid_spend_and_visits_of_the_last_twelve_months():
    vip = CustomerFactory()
    _visit(vip, on=dt.date(2026, 3, 1), paid="25000")
    major = CustomerFactory()
    for month in (2, 4, 6, 8):
        _visit(major, on=dt.date(2026, month, 1), paid="500")
    small = CustomerFactory()
    _visit(small, on=dt.date(2026, 5, 1), paid="300")
    lapsed = CustomerFactory(segment=Customer.Segment.VIP)
    _visit(lapsed, on=dt.date(2024, 5, 1), paid="90000")  # outside the 12 months

    changed = services.customers_recompute_segments(on=dt.date(2026, 12, 1))

    segments = dict(Customer.objects.values_list("pk", "segment"))
    assert segments[vip.pk] == Customer.Segment.VIP
    assert segments[major.pk] == Customer.Segment.MAJOR
    assert segments[small.pk] == Customer.Segment.SMALL
    assert segments[lapsed.pk] == Customer.Segment.SMALL
    # `small` was created today as a small customer (segment computed on creation), so the
    # recompute leaves it as it is.
    assert changed == 3


@time_machine.travel(dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC), tick=False)
def test_recomputing_segments_twice_on_one_day_changes_nothing_the_second_time():
    customer = CustomerFactory()
    _visit(customer, on=timezone.localdate(), paid="9000")
    services.customers_recompute_segments(on=timezone.localdate())

    changed = services.customers_recompute_segments(on=timezone.localdate())

    assert changed == 0
    assert Customer.objects.get(pk=customer.pk).segment == Customer.Segment.MAJOR
