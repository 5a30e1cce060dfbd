"""The service catalogue (namespace `catalogue`): labour operations, canned jobs,
maintenance intervals, and the work-order page's "add line" search box."""

from django.urls import path

from . import catalogue_views as views

app_name = "catalogue"
urlpatterns = [
    path("labour/", views.labour_list, name="labour_list"),
    path("labour/new/", views.labour_create, name="labour_create"),
    path("labour/<int:pk>/edit/", views.labour_update, name="labour_update"),
    path("canned-jobs/", views.cannedjob_list, name="cannedjob_list"),
    path("canned-jobs/new/", views.cannedjob_create, name="cannedjob_create"),
    path("canned-jobs/<int:pk>/", views.cannedjob_detail, name="cannedjob_detail"),
    path("canned-jobs/<int:pk>/edit/", views.cannedjob_update, name="cannedjob_update"),
    path("intervals/", views.interval_list, name="interval_list"),
    path("intervals/<int:pk>/edit/", views.interval_update, name="interval_update"),
    path("line-search/", views.line_search, name="line_search"),
]
