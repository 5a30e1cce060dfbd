"""A database that already holds duplicates reaches the unique constraints: the data
migrations merge exact duplicate customers and free plates held twice (0004, 0005) before
the constraints (0006). The test starts from the state before them."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

WORK_ORDERS = ("workorders", "0002_created_at_default")
BEFORE = [("customers", "0003_customer_merge_and_named_vin_constraint"), WORK_ORDERS]
AFTER = [("customers", "0006_customer_mobile_name_and_plate_unique"), WORK_ORDERS]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Whatever happens in the test, the database ends at the latest migrations."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_duplicates_already_stored_are_merged_and_freed_before_the_constraints(back_to_latest):
    old = _migrate(BEFORE)
    customer_model = old.get_model("customers", "Customer")
    vehicle_model = old.get_model("customers", "Vehicle")
    ownership_model = old.get_model("customers", "VehicleOwnership")
    work_order_model = old.get_model("workorders", "WorkOrder")
    first = customer_model.objects.create(name="张伟", mobile="13812345678", address="")
    second = customer_model.objects.create(
        name="张伟", mobile="13812345678", address="深圳市南山区", id_number="440305198506150011"
    )
    other = customer_model.objects.create(name="李娜", mobile="13900000000")
    old_car = vehicle_model.objects.create(
        vin="LFV2A21K6P1000001", plate="粤B12345", brand="大众", model_name="速腾", owner=second
    )
    new_car = vehicle_model.objects.create(
        vin="LFV2A21K8P1000002", plate="粤B12345", brand="大众", model_name="途观", owner=other
    )
    ownership_model.objects.create(vehicle=old_car, customer=second, started_on=dt.date(2024, 1, 1))
    work_order_model.objects.create(
        number="WO1",
        vehicle=old_car,
        customer=second,
        opened_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )

    new = _migrate(AFTER)

    customer_model = new.get_model("customers", "Customer")
    kept = customer_model.objects.get(mobile="13812345678")
    assert kept.pk == first.pk  # the oldest row stays
    assert (kept.address, kept.id_number) == ("深圳市南山区", "440305198506150011")
    assert new.get_model("customers", "Vehicle").objects.get(pk=old_car.pk).owner_id == first.pk
    assert new.get_model("workorders", "WorkOrder").objects.get().customer_id == first.pk
    merge = new.get_model("customers", "CustomerMerge").objects.get()
    assert (merge.kept_id, merge.duplicate_id, merge.merged_by_id) == (first.pk, second.pk, None)
    assert merge.moved == {
        "customers.vehicle": 1,
        "customers.vehicleownership": 1,
        "workorders.workorder": 1,
    }
    # The plate stays on the vehicle registered last; the other one's history says why.
    plates = dict(new.get_model("customers", "Vehicle").objects.values_list("pk", "plate"))
    assert plates == {old_car.pk: "", new_car.pk: "粤B12345"}
    freed = new.get_model("customers", "HistoricalVehicle").objects.get(id=old_car.pk)
    assert freed.plate == ""
    assert freed.history_change_reason.startswith("迁移:该车牌同时登记在多辆车上")
    # And from now on the database refuses new duplicates.
    with connection.cursor() as cursor:
        cursor.execute(
            # A partial unique constraint is a unique index in PostgreSQL.
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('customer_mobile_name_unique', 'vehicle_plate_unique') ORDER BY indexname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "customer_mobile_name_unique",
            "vehicle_plate_unique",
        ]
