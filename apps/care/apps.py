from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "apps.care"
    verbose_name = "提醒与关怀"
