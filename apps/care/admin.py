from django.contrib import admin

from apps.core.admin import AreaSettingsAdmin

from .models import ReminderSettings

admin.site.register(ReminderSettings, AreaSettingsAdmin)
