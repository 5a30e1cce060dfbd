"""The demo dealership's own settings: its name, address and plate prefix (the other
rules keep the DOMAIN.md defaults). Run by `seed_demo` through apps.core.seeding."""

from .models import DealershipSettings
from .services import area_settings_save


def seed(run) -> None:
    settings_row, _created = DealershipSettings.objects.get_or_create(
        pk=DealershipSettings.SINGLETON_PK
    )
    settings_row.name = "深圳鹏城一汽-大众4S店"
    settings_row.short_name = "鹏城大众"
    settings_row.address = "深圳市南山区深南大道 9688 号"
    settings_row.phone = "0755-2660 8888"
    settings_row.plate_prefix = "粤B"
    area_settings_save(rows=[settings_row], by=None)
