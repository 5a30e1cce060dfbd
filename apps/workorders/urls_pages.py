"""Work-order pages: the document page, its actions, the list, the advisor's home (included
by urls.py)."""

from django.urls import path

from . import views_pages as views

LINE = "<int:pk>/lines/<int:line_pk>/"
urlpatterns = [
    path("", views.workorder_list, name="list"),
    path("mine/", views.advisor_home, name="advisor_home"),
    path("<int:pk>/", views.workorder_detail, name="detail"),
    path("<int:pk>/lines/add/", views.workorder_add_line, name="add_line"),
    path(
        "<int:pk>/lines/add-from-catalogue/",
        views.workorder_add_catalogue_line,
        name="add_catalogue_line",
    ),
    path(LINE + "edit-form/", views.workorder_line_edit_form, name="line_edit_form"),
    path(LINE + "edit/", views.workorder_line_update, name="line_update"),
    path(LINE + "remove/", views.workorder_line_remove, name="line_remove"),
    path(
        LINE + "approve-discount/",
        views.workorder_line_approve_discount,
        name="line_approve_discount",
    ),
    path(LINE + "done/", views.workorder_line_done, name="line_done"),
    path(LINE + "qc-pass/", views.workorder_line_qc_pass, name="line_qc_pass"),
    path("<int:pk>/approve/", views.workorder_approve, name="approve"),
    path("<int:pk>/transition/", views.workorder_transition, name="transition"),
    path("<int:pk>/delay/", views.workorder_delay_notice, name="delay_notice"),
    path("<int:pk>/internal-check/", views.workorder_internal_check, name="internal_check"),
    path("<int:pk>/deliver/", views.workorder_deliver, name="deliver"),
    path("<int:pk>/settle/", views.workorder_settle, name="settle"),
]
