from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import CallbackSettings, ChurnSettings

admin.site.register(CallbackSettings, AreaSettingsAdmin)
admin.site.register(ChurnSettings, AreaSettingsAdmin)
