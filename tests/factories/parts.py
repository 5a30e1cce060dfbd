from decimal import Decimal

import factory

from apps.parts.models import Part


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    number = factory.Sequence(lambda n: f"PT-{n:05d}")
    name = factory.Sequence(lambda n: f"机油滤清器{n}")
    unit = "个"
    price = Decimal("60.00")
