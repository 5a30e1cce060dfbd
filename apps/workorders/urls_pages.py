"""Work-order pages: pages (included by urls.py)."""

urlpatterns = []
