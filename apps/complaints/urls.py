"""The complaint pages (namespace `complaints`)."""

from django.urls import path

from . import views

app_name = "complaints"
ONE = "<int:pk>/"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_create, name="create"),
    path(
        "from-problem/<int:problem_pk>/",
        views.complaint_create_from_problem,
        name="create_from_problem",
    ),
    path("stats/", views.complaint_stats, name="stats"),
    path(ONE, views.complaint_detail, name="detail"),
    path(ONE + "transition/", views.complaint_transition, name="transition"),
    path(ONE + "propose/", views.complaint_propose, name="propose"),
    path(ONE + "resolve/", views.complaint_resolve, name="resolve"),
    path(ONE + "close/", views.complaint_close, name="close"),
]
