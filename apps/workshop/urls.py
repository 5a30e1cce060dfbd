"""The workshop floor's pages (namespace `workshop`): the master data (车间设置), the
dispatch board, the job board; the floor after dispatch (urls_floor: the technician's
tablet, the checks, the figures)."""

from django.urls import path

from . import urls_floor, views_board, views_dispatch, views_setup

app_name = "workshop"
urlpatterns = [
    # 车间设置 (managers edit; the supervisor reads teams, technicians and bays)
    path("teams/", views_setup.team_list, name="team_list"),
    path("teams/new/", views_setup.team_create, name="team_create"),
    path("teams/<int:pk>/edit/", views_setup.team_update, name="team_update"),
    path("technicians/", views_setup.technician_list, name="technician_list"),
    path("technicians/new/", views_setup.technician_create, name="technician_create"),
    path("technicians/<int:pk>/edit/", views_setup.technician_update, name="technician_update"),
    path("bays/", views_setup.bay_list, name="bay_list"),
    path("bays/new/", views_setup.bay_create, name="bay_create"),
    path("bays/<int:pk>/edit/", views_setup.bay_update, name="bay_update"),
    path("skills/", views_setup.skill_list, name="skill_list"),
    path("skills/new/", views_setup.skill_create, name="skill_create"),
    path("skills/<int:pk>/edit/", views_setup.skill_update, name="skill_update"),
    path("checklists/", views_setup.checkitem_list, name="checkitem_list"),
    path("checklists/new/", views_setup.checkitem_create, name="checkitem_create"),
    path("checklists/<int:pk>/edit/", views_setup.checkitem_update, name="checkitem_update"),
    # 派工看板
    path("dispatch/", views_dispatch.dispatch_board, name="dispatch_board"),
    path("dispatch/<int:pk>/", views_dispatch.dispatch, name="dispatch"),
    path("dispatch/<int:pk>/undispatch/", views_dispatch.undispatch, name="undispatch"),
    path("jobs/<int:pk>/reassign/", views_dispatch.job_reassign, name="job_reassign"),
    path("jobs/<int:pk>/cancel/", views_dispatch.job_cancel, name="job_cancel"),
    # 车间看板
    path("board/", views_board.job_board, name="job_board"),
    path("board/body/", views_board.job_board_body, name="job_board_body"),
    *urls_floor.urlpatterns,
]
