from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The 工作台: the top layer, reading every app's selectors (no models of its own)."""

    name = "apps.dashboard"
    verbose_name = "工作台"
