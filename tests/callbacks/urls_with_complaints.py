"""The project's URLs plus a stand-in for the complaints app's 'create from problem' page:
the problem pages link to it only when it exists."""

from django.http import HttpResponse
from django.urls import include, path

from dms.urls import urlpatterns as project_urlpatterns


def _create_from_problem(request, pk):
    return HttpResponse(f"complaint from problem {pk}")


complaints = (
    [path("from-problem/<int:pk>/", _create_from_problem, name="create_from_problem")],
    "complaints",
)
urlpatterns = [*project_urlpatterns, path("complaints-stand-in/", include(complaints))]
