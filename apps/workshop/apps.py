from django.apps import AppConfig


class WorkshopConfig(AppConfig):
    name = "apps.workshop"
    verbose_name = "车间"
