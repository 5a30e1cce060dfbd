from .models import DealershipSettings


def dealership_settings() -> DealershipSettings:
    """The settings row; created with the DOMAIN.md defaults on first use."""
    settings_row, _created = DealershipSettings.objects.get_or_create(
        pk=DealershipSettings.SINGLETON_PK
    )
    return settings_row
