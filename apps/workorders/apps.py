from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "apps.workorders"
    verbose_name = "维修工单"
