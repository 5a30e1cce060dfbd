"""Work-order pages: documents (included by urls.py)."""

urlpatterns = []
