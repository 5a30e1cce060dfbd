"""Factories of the archive: every identifier they make passes the real validators."""

import datetime as dt

import factory
from stdnum.cn import ric

from apps.customers import services
from apps.customers.models import Customer, SalesFile, Vehicle
from apps.customers.validators import vin_check_digit


def valid_vin(serial: int, wmi: str = "LFV", vds: str = "2A21K") -> str:
    body = f"{wmi}{vds}0P1{serial:06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def valid_id_number(serial: int, birthday=dt.date(1985, 6, 15), male=True) -> str:
    sequence = (serial % 499) * 2 + (1 if male else 0)
    body = f"440305{birthday:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


class CustomerFactory(factory.django.DjangoModelFactory):
    """Customers are created through services.customer_create, as every writer does."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"张{'伟芳娜敏静'[n % 5]}{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    kind = Customer.Kind.PERSON

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A segment is computed by the service (on creation, then monthly); a test that
        # asks for one sets the state a later recompute would have reached.
        computed = {k: kwargs.pop(k) for k in ("segment", "segment_computed_on") if k in kwargs}
        customer = services.customer_create(customer=model_class(*args, **kwargs))
        if computed:
            model_class.objects.filter(pk=customer.pk).update(**computed)
            for attr, value in computed.items():
                setattr(customer, attr, value)
        return customer


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle
        skip_postgeneration_save = True

    vin = factory.Sequence(valid_vin)
    plate = factory.Sequence(lambda n: f"粤B{n:05d}")
    brand = "大众"
    model_name = "速腾 2023款 300TSI"
    owner = factory.SubFactory(CustomerFactory)
    sale_date = dt.date(2024, 5, 18)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Through services.vehicle_register: the vehicle and its open ownership row. A
        VIN with a bad check digit needs `by` (a user allowed to keep one) and a reason."""
        owner = kwargs.pop("owner")
        by = kwargs.pop("by", None)
        reason = kwargs.pop("vin_exception_reason", "")
        vehicle = model_class(*args, **kwargs)
        return services.vehicle_register(
            vehicle=vehicle,
            owner=owner,
            by=by,
            # A fixed date when there is no sale date, so no test depends on today.
            started_on=vehicle.sale_date or dt.date(2024, 1, 1),
            vin_exception_reason=reason,
        )


class SalesFileFactory(factory.django.DjangoModelFactory):
    """Through services.sales_file_save: the documents' due date and what the sale implies
    (the vehicle's sale date and warranty, the owner's source) come from the service."""

    class Meta:
        model = SalesFile

    vehicle = factory.SubFactory(VehicleFactory)
    delivered_on = dt.date(2026, 11, 16)
    salesperson = "李思琪"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.sales_file_save(sales_file=model_class(*args, **kwargs))


# Every document kind of the sales-file checklist, in checklist order.
ALL_DOCUMENTS = [kind for kind, _label in SalesFile.Document.choices]
