"""Find one kind of module in every installed app, as admin.autodiscover finds admin.py.

`seed_demo` runs each app's `demo` module and `bench` each app's `bench` module, in
INSTALLED_APPS order (lower layers first), without core importing any app by name.
"""

from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def app_modules(name: str) -> list[ModuleType]:
    """The `<app>.<name>` module of every installed app that has one, in INSTALLED_APPS
    order."""
    return [
        import_module(f"{config.name}.{name}")
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, name)
    ]
