from django.utils.functional import SimpleLazyObject

from .models import DealershipSettings
from .settings import current_settings


def dealership(request):
    return {"dealership": SimpleLazyObject(lambda: current_settings(DealershipSettings))}
