from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.settings_edit, name="settings_edit"),
    path("calendar/", views.calendar_list, name="calendar_list"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("logo/", views.dealership_logo, name="dealership_logo"),
    path("jobs/", views.job_run_list, name="job_run_list"),
]
