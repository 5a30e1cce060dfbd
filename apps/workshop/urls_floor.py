"""The floor after dispatch (included by urls.py, namespace `workshop`): the technician's
tablet, the proposals' actions of the work-order page, the check queues, the figures."""

from django.urls import path

from . import views_floor as views

JOB = "my-jobs/<int:pk>/"
urlpatterns = [
    path("my-jobs/", views.my_jobs, name="my_jobs"),
    path(JOB, views.job_detail, name="job_detail"),
    path(JOB + "start/", views.job_start, name="job_start"),
    path(JOB + "pause/", views.job_pause, name="job_pause"),
    path(JOB + "resume/", views.job_resume, name="job_resume"),
    path(JOB + "finish/", views.job_finish, name="job_finish"),
    path(JOB + "propose/", views.job_propose, name="job_propose"),
    path("proposals/<int:pk>/photo/", views.proposal_photo, name="proposal_photo"),
    path("proposals/<int:pk>/add-lines/", views.proposal_add_lines, name="proposal_add_lines"),
    path("proposals/<int:pk>/decline/", views.proposal_decline, name="proposal_decline"),
    path("checks/team/", views.team_queue, name="team_queue"),
    path("checks/team/<int:pk>/", views.team_check, name="team_check"),
    path("checks/final/", views.qc_queue, name="qc_queue"),
    path("checks/final/<int:pk>/", views.final_check, name="final_check"),
    path("orders/<int:pk>/self-check/", views.order_self_check, name="order_self_check"),
    path("orders/<int:pk>/wash/", views.order_wash, name="order_wash"),
    path("orders/<int:pk>/release/", views.order_release, name="order_release"),
    path("stats/", views.stats, name="stats"),
]
