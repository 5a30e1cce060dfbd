"""The service catalogue (namespace `catalogue`): labour operations, canned jobs."""

app_name = "catalogue"
urlpatterns = []
