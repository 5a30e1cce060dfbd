"""Appointment pages (namespace `appointments`)."""

from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("", views.board, name="board"),
    path("targets/", views.targets, name="targets"),
    path("targets/unreachable/<int:customer_pk>/", views.unreachable, name="unreachable"),
    path("new/", views.book, name="book"),
    path("slots/", views.slots, name="slots"),
    path("confirmations/", views.confirmations, name="confirmations"),
    path("stats/", views.stats, name="stats"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/no-show/", views.no_show, name="no_show"),
    path("<int:pk>/rebook/", views.rebook, name="rebook"),
    path("<int:pk>/receive/", views.receive, name="receive"),
]
