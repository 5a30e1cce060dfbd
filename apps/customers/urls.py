from django.urls import path

from . import views, views_licence

app_name = "customers"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_update, name="customer_update"),
    path("customers/<int:pk>/reveal/<str:field>/", views.customer_reveal, name="customer_reveal"),
    path("pii-reveals/", views.pii_reveal_list, name="pii_reveal_list"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("customers/<int:customer_pk>/vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path(
        "customers/<int:customer_pk>/vehicles/scan/",
        views_licence.vehicle_scan,
        name="vehicle_scan",
    ),
    path(
        "customers/<int:customer_pk>/vehicles/scan/<int:pk>/",
        views_licence.vehicle_scan_confirm,
        name="vehicle_scan_confirm",
    ),
    path(
        "licence-scans/<int:pk>/photo/",
        views_licence.licence_scan_photo,
        name="licence_scan_photo",
    ),
    path("vehicles/", views.vehicle_list, name="vehicle_list"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<int:pk>/edit/", views.vehicle_update, name="vehicle_update"),
    path("vehicles/<int:pk>/owner/", views.vehicle_change_owner, name="vehicle_change_owner"),
    path("vehicles/<int:pk>/free-plate/", views.vehicle_free_plate, name="vehicle_free_plate"),
    path(
        "vehicles/<int:vehicle_pk>/sales-file/new/", views.salesfile_create, name="salesfile_create"
    ),
    path("sales-files/", views.salesfile_list, name="salesfile_list"),
    path("sales-files/<int:pk>/", views.salesfile_detail, name="salesfile_detail"),
    path("sales-files/<int:pk>/receive/", views.salesfile_receive, name="salesfile_receive"),
    path(
        "sales-files/<int:pk>/documents/<str:kind>/undo/",
        views.salesfile_unreceive,
        name="salesfile_unreceive",
    ),
    path("imports/", views.import_list, name="import_list"),
    path("imports/template.xlsx", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
