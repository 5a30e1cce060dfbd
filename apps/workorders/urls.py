"""The work-order pages (namespace `workorders`), one module of patterns per area."""

from . import urls_documents, urls_pages, urls_reception

app_name = "workorders"
urlpatterns = [*urls_pages.urlpatterns, *urls_reception.urlpatterns, *urls_documents.urlpatterns]
