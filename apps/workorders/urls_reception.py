"""Work-order pages: reception (included by urls.py)."""

from django.urls import path

from . import views_reception as views

urlpatterns = [
    path("reception/", views.reception, name="reception"),
    path("reception/new-customer/", views.reception_walk_in, name="reception_walk_in"),
    path("reception/scan/", views.reception_scan, name="reception_scan"),
    path("reception/scan/<int:pk>/", views.reception_scan_confirm, name="reception_scan_confirm"),
    path("<int:pk>/inspection/", views.inspection, name="inspection"),
    path("<int:pk>/inspection/marks/", views.damage_mark_add, name="damage_mark_add"),
    path(
        "<int:pk>/inspection/marks/<int:mark_pk>/remove/",
        views.damage_mark_remove,
        name="damage_mark_remove",
    ),
    path("<int:pk>/inspection/photos/", views.inspection_photo_add, name="inspection_photo_add"),
    path(
        "inspection-photos/<int:pk>/<str:size>/",
        views.inspection_photo,
        name="inspection_photo",
    ),
    path("<int:pk>/inspection/sign/", views.inspection_sign, name="inspection_sign"),
    path(
        "<int:pk>/inspection/signature.png",
        views.inspection_signature,
        name="inspection_signature",
    ),
    path(
        "<int:pk>/inspection/recommendations/<int:recommendation_pk>/accept/",
        views.recommendation_add,
        name="recommendation_add",
    ),
]
