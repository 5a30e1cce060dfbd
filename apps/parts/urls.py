"""The parts catalogue pages (namespace `parts`)."""

app_name = "parts"
urlpatterns = []
