from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.settings_edit, name="settings_edit"),
    path("logo/", views.dealership_logo, name="dealership_logo"),
]
