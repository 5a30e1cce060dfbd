from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class DmsUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "mobile", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("门店信息", {"fields": ("display_name", "mobile")}))
