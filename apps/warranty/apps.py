from django.apps import AppConfig


class WarrantyConfig(AppConfig):
    name = "apps.warranty"
    verbose_name = "三包索赔"
