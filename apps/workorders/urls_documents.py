"""Work-order pages: documents (included by urls.py)."""

from django.urls import path

from . import views_documents

urlpatterns = [
    path("documents/<int:pk>/", views_documents.document_download, name="document_download"),
    path(
        "<int:pk>/documents/<str:kind>/issue/",
        views_documents.document_issue,
        name="document_issue",
    ),
]
