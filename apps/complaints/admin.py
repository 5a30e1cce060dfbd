from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import ComplaintSettings

admin.site.register(ComplaintSettings, AreaSettingsAdmin)
