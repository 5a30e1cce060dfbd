"""The warranty pages (namespace `warranty`)."""

from django.urls import path

from . import views

app_name = "warranty"
CLAIM = "claims/<int:pk>/"
urlpatterns = [
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/new/<int:order_pk>/", views.claim_create, name="claim_create"),
    path(CLAIM, views.claim_detail, name="claim_detail"),
    path(CLAIM + "edit/", views.claim_update, name="claim_update"),
    path(CLAIM + "delete/", views.claim_delete, name="claim_delete"),
    path(CLAIM + "transition/", views.claim_transition, name="claim_transition"),
    path(CLAIM + "approve/", views.claim_approve, name="claim_approve"),
    path(CLAIM + "pay/", views.claim_pay, name="claim_pay"),
    path("documents/", views.documents, name="documents"),
    path("documents/sign/", views.documents_sign, name="documents_sign"),
    path("documents/batches/new/", views.batch_create, name="batch_create"),
    path("documents/batches/<int:pk>/send/", views.batch_send, name="batch_send"),
    path("statements/", views.statement_page, name="statement"),
    path("statements/excel/", views.statement_excel, name="statement_excel"),
    path("statements/invoice/", views.statement_invoice, name="statement_invoice"),
    path("vehicles/<int:vehicle_pk>/", views.vehicle_status, name="vehicle_status"),
    path("watch/", views.watch_list, name="watch_list"),
]
