"""The parts catalogue (DOMAIN.md §3 "Parts"): what a work-order line can sell.

This first version is the catalogue only (part number, name, unit, price, the models it
fits); stock, issue slips, returns and purchase requests arrive with the parts issue and
build on `Part`.
"""

from django.db import models

from apps.core.models import TimeStampedModel


class Part(TimeStampedModel):
    number = models.CharField("配件编号", max_length=40, unique=True)
    name = models.CharField("配件名称", max_length=100)
    unit = models.CharField("单位", max_length=10, default="个")
    price = models.DecimalField("销售单价", max_digits=12, decimal_places=2)
    # Model names as Vehicle.model_name spells them, separated by "、"; empty fits every model.
    fits_models = models.CharField("适用车型", max_length=500, blank=True)
    is_accessory = models.BooleanField("精品", default=False)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "配件"
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"

    def fits(self, model_name: str) -> bool:
        models_ = [name.strip() for name in self.fits_models.split("、") if name.strip()]
        return not models_ or model_name in models_
