"""Work-order pages: reception (included by urls.py)."""

urlpatterns = []
