from django.utils.functional import SimpleLazyObject

from .selectors import dealership_settings


def dealership(request):
    return {"dealership": SimpleLazyObject(dealership_settings)}
