"""The job board (车间看板): the page, and its body alone for the page's own refresh.

The page asks for the body every JOB_BOARD_REFRESH_SECONDS while it is visible
(static/js/jobboard.js; no polling in a hidden tab) and swaps only the body, so the screen
never reloads. The body answers with the header X-Job-Board, by which the script tells the
board from anything else (a login page after the session ended: then it reloads the page).
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.http import require_perm

from .selectors_board import job_board as read_job_board

# How often the board refreshes itself: a job changes state every few minutes, a
# technician glances at the screen from across the floor; 10 s reads as "live" and costs
# one request of two queries per screen.
JOB_BOARD_REFRESH_SECONDS = 10


@require_perm("workshop.view_jobboard")
def job_board(request):
    return render(
        request,
        "workshop/job_board.html",
        {"board": read_job_board(now=timezone.now()), "refresh_seconds": JOB_BOARD_REFRESH_SECONDS},
    )


@require_perm("workshop.view_jobboard")
def job_board_body(request):
    # Rendered without the request: the body needs none of the page's context processors
    # (the navigation reads the user's groups: a query each refresh).
    body = render_to_string(
        "workshop/partials/job_board_body.html", {"board": read_job_board(now=timezone.now())}
    )
    response = HttpResponse(body)
    response["X-Job-Board"] = "1"
    response["Cache-Control"] = "no-store"
    return response
