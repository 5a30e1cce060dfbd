from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import WarrantySettings

admin.site.register(WarrantySettings, AreaSettingsAdmin)
