"""Appointments for tests, made through the services (apps/appointments/services.py), and
the rules they run under."""

import datetime as dt

from django.contrib.auth.models import Group

from apps.appointments import services
from apps.appointments.models import Appointment, AppointmentSettings, Source
from apps.core.models import DealershipSettings
from apps.core.selectors import settings_row_for_edit
from apps.core.services import area_settings_save
from apps.workorders.models import ServiceSettings
from tests.factories.accounts import UserFactory
from tests.factories.customers import VehicleFactory

SETTINGS_MODELS = (ServiceSettings, DealershipSettings, AppointmentSettings)


def advisor(**fields):
    """A service advisor (the role's group, so the board shows a column for them)."""
    user = UserFactory(**fields)
    user.groups.set([Group.objects.get(name="advisor")])
    return user


def set_rules(**fields) -> None:
    """Change business rules through the settings service: each field goes to the area
    model that has it (ServiceSettings, DealershipSettings, AppointmentSettings)."""
    rows = []
    for model in SETTINGS_MODELS:
        names = {f.name for f in model._meta.concrete_fields}
        mine = {name: value for name, value in fields.items() if name in names}
        if mine:
            row = settings_row_for_edit(model)
            for name, value in mine.items():
                setattr(row, name, value)
            rows.append(row)
    area_settings_save(rows=rows, by=UserFactory())


def book(
    *,
    day: dt.date,
    at: str = "10:30",
    vehicle=None,
    advisor_user=None,
    by=None,
    work: str = "常规保养",
    source: str = Source.PHONE,
    **extra,
) -> Appointment:
    """An appointment booked through appointment_book (call under time_machine)."""
    advisor_user = advisor_user or advisor()
    return services.appointment_book(
        vehicle=vehicle or VehicleFactory(),
        by=by or advisor_user,
        day=day,
        starts_at=dt.time.fromisoformat(at),
        advisor=advisor_user,
        requested_work=work,
        source=source,
        **extra,
    )


def appointment_row(
    *,
    at: dt.datetime,
    status: str,
    advisor_user,
    arrived_at: dt.datetime | None = None,
    vehicle=None,
) -> Appointment:
    """A past appointment as the services would have left it (rows written directly: the
    services book only slots ahead of now)."""
    vehicle = vehicle or VehicleFactory()
    return Appointment.objects.create(
        date=at.date(),
        starts_at=at,
        advisor=advisor_user,
        customer_id=vehicle.owner_id,
        vehicle=vehicle,
        requested_work="常规保养",
        status=status,
        arrived_at=arrived_at,
        created_by=advisor_user,
    )
