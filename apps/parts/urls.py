"""The parts catalogue pages (namespace `parts`)."""

from django.urls import path

from . import views

app_name = "parts"
urlpatterns = [
    path("", views.part_list, name="part_list"),
    path("new/", views.part_create, name="part_create"),
    path("<int:pk>/edit/", views.part_update, name="part_update"),
]
