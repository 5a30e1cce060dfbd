import datetime as dt

import pytest

from apps.customers import services
from apps.workorders.models import Payer
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_id_number
from tests.factories.workorders import visit

WANG_ID_NUMBER = valid_id_number(35)  # 440305 19850615 071 + check digit


@pytest.fixture
def card():
    """王芳 owns 粤B11111, and owned 粤B22222 until she sold it to 李强 on 2025-06-30.

    Her three visits: two on the car she keeps, one on the car she sold (before the sale).
    李强's visit on 粤B22222 after the sale belongs to his card, not hers.
    """
    wang = CustomerFactory(name="王芳", mobile="13812345678", id_number=WANG_ID_NUMBER)
    li = CustomerFactory(name="李强", mobile="13900001111")
    kept = VehicleFactory(owner=wang, plate="粤B11111", sale_date=dt.date(2023, 4, 1))
    sold = VehicleFactory(owner=wang, plate="粤B22222", sale_date=dt.date(2022, 1, 15))
    first = visit(kept, on=dt.date(2024, 6, 1), total="600.00", paid="600.00")
    warranty = visit(
        sold,
        on=dt.date(2025, 1, 10),
        total="1200.00",
        paid="0.00",
        lines=("更换水泵",),
        payer=Payer.WARRANTY,
    )
    services.vehicle_change_owner(vehicle=sold, new_owner=li, on=dt.date(2025, 6, 30))
    sold.refresh_from_db()
    last = visit(kept, on=dt.date(2025, 12, 1), total="800.00", paid="800.00")
    visit(sold, on=dt.date(2026, 2, 1), total="300.00", paid="300.00", lines=("李强的保养",))
    return {"wang": wang, "li": li, "kept": kept, "sold": sold, "visits": [last, warranty, first]}
