from decimal import Decimal

import factory

from apps.parts.models import Part


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    number = factory.Sequence(lambda n: f"5QD{n:06d}")
    name = factory.Sequence(lambda n: f"机油滤清器{n}")
    unit = "个"
    price = Decimal("60.00")
