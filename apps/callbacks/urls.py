from django.urls import path

from . import views

app_name = "callbacks"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("queue/<int:pk>/release/", views.queue_release, name="queue_release"),
    path("queue/<int:pk>/call/", views.call_screen, name="call_screen"),
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/<int:pk>/", views.problem_handle, name="problem_handle"),
    path("satisfaction/", views.satisfaction_page, name="satisfaction"),
]
