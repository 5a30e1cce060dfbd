from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "apps.stock"
    verbose_name = "配件库存"
