"""The floor's pages: the technician's tablet through its views (and another's job: 403
to look at and to each action, the job unchanged), a proposal from the tablet to the
work-order page and its photo, the check queues and pages, the figures page, the
advisor's notices; each page's queries do not grow with the data."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.workorders.models import LineStatus, WorkOrder
from apps.workshop import services_floor as floor
from apps.workshop.models import Check, CheckItem, Job, JobClock, ProposedItem
from tests.factories.workorders import png_bytes
from tests.pages import PAGE_QUERIES, html
from tests.workshop.floor import (
    all_ticked,
    at,
    dispatched_order,
    job_for,
    role_user,
    team,
    technician,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settings_row")]
S = WorkOrder.Status
J = Job.Status
K = CheckItem.Kind
NOW = at(9)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def _job_url(name: str, job: Job) -> str:
    return reverse(f"workshop:{name}", args=[job.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- the tablet ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_technician_works_a_job_from_the_tablet(client):
    tech = technician(display_name="王师傅")
    job = job_for(dispatched_order(), tech)
    client.force_login(tech.user)

    started = client.post(_job_url("job_start", job))
    page = client.get(_job_url("job_detail", job))
    paused = client.post(
        _job_url("job_pause", job), {"pause-reason": "parts", "pause-note": "等刹车片"}
    )
    resumed = client.post(_job_url("job_resume", job))
    items = floor.checklist(K.SELF, floor.job_skill_ids(job))
    finished = client.post(
        _job_url("job_finish", job), {f"finish-item_{item.pk}": "on" for item in items}, follow=True
    )

    assert started["Location"] == _job_url("job_detail", job)
    assert 'id="pause-form"' in html(page) and 'id="finish-form"' in html(page)
    assert [item.text in html(page) for item in items] == [True] * len(items)
    assert (paused.status_code, resumed.status_code) == (302, 302)
    assert finished.redirect_chain == [(reverse("workshop:my_jobs"), 302)]
    number = job.work_order.number
    assert _messages(page) == [f"已开工:{number}"]
    assert _messages(finished) == [
        f"已暂停(等待配件):{number}",
        f"已继续作业:{number}",
        f"自检合格,已完工:{number}",
    ]
    job.refresh_from_db()
    assert job.status == J.FINISHED
    assert list(JobClock.objects.filter(job=job).values_list("end_reason", flat=True)) == [
        "parts",
        "finish",
    ]
    assert job.work_order.number in html(finished)  # today's finished list


@time_machine.travel(NOW, tick=False)
def test_a_refused_pause_and_an_unfinished_self_check_show_on_the_job_page(client):
    tech = technician()
    job = job_for(dispatched_order(), tech)
    client.force_login(tech.user)
    client.post(_job_url("job_start", job))

    no_reason = client.post(_job_url("job_pause", job), {"pause-note": ""})
    unticked = client.post(_job_url("job_finish", job), {}, follow=True)

    assert no_reason.status_code == 422
    assert "请选择暂停原因。" in html(no_reason)
    assert _messages(unticked)[0].startswith("自检未通过,作业继续进行。未合格:")
    assert Job.objects.get(pk=job.pk).status == J.IN_PROGRESS


@time_machine.travel(NOW, tick=False)
def test_a_technician_sees_only_their_own_jobs_on_the_tablet(client):
    mine, theirs = technician(), technician()
    my_order, their_order = dispatched_order(), dispatched_order()
    job_for(my_order, mine)
    job_for(their_order, theirs)
    client.force_login(mine.user)

    body = html(client.get(reverse("workshop:my_jobs")))

    assert my_order.number in body
    assert their_order.number not in body


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("job_detail", None),
        ("job_start", {}),
        ("job_pause", {"pause-reason": "break"}),
        ("job_resume", {}),
        ("job_finish", {}),
        ("job_propose", {"propose-description": "刹车片"}),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_another_technicians_job_is_403_to_look_at_and_to_each_action(client, name, data):
    owner, other = technician(), technician()
    job = job_for(dispatched_order(), owner)
    floor.job_start(job=job, by=owner.user)
    client.force_login(other.user)

    url = _job_url(name, job)
    response = client.get(url) if data is None else client.post(url, data)

    assert response.status_code == 403
    assert "无权访问" in html(response)
    job.refresh_from_db()
    assert (job.status, job.pause_reason) == (J.IN_PROGRESS, "")
    assert JobClock.objects.filter(job=job).count() == 1
    assert not ProposedItem.objects.exists()
    assert not Check.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_tablet_runs_the_same_queries_for_one_job_and_for_many(
    client, django_assert_num_queries
):
    tech = technician()
    client.force_login(tech.user)
    first = job_for(dispatched_order(), tech)
    floor.job_start(job=first, by=tech.user)

    # The technician (1), open jobs (1), their lines (1), their open stretches (1), today's
    # finished jobs (1), the orders waiting for the wash (1).
    with django_assert_num_queries(PAGE_QUERIES + 6):
        client.get(reverse("workshop:my_jobs"))
    for _ in range(4):
        job_for(dispatched_order(), tech)
    done = job_for(dispatched_order(), tech)
    floor.job_pause(job=first, by=tech.user, reason=Job.PauseReason.BREAK)
    floor.job_start(job=done, by=tech.user)
    floor.job_finish(job=done, by=tech.user, answers=all_ticked(K.SELF, job=done))

    with django_assert_num_queries(PAGE_QUERIES + 6):
        body = html(client.get(reverse("workshop:my_jobs")))
    assert body.count('class="card shadow-sm h-100 job-card') == 5
    assert "今日完工(1)" in body


@time_machine.travel(NOW, tick=False)
def test_a_user_who_is_no_technician_gets_a_word_instead_of_jobs(role_client):
    body = html(role_client("technician").get(reverse("workshop:my_jobs")))

    assert "您的账号还没有登记为技师" in body


# --- a proposal from the tablet to the work-order page -----------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_proposal_goes_from_the_tablet_to_the_work_order_page_and_into_the_approval(client):
    tech = technician(display_name="王师傅")
    order = dispatched_order()
    job = job_for(order, tech)
    advisor = role_user("advisor")
    WorkOrder.objects.filter(pk=order.pk).update(advisor=advisor)
    client.force_login(tech.user)
    client.post(_job_url("job_start", job))

    proposed = client.post(
        _job_url("job_propose", job),
        {
            "propose-description": "前刹车片磨损到极限",
            "propose-note": "剩余 2 mm",
            "propose-photo": SimpleUploadedFile("brake.png", png_bytes(), content_type="image/png"),
        },
    )
    item = ProposedItem.objects.get()
    own_photo = client.get(reverse("workshop:proposal_photo", args=[item.pk]))
    client.force_login(technician().user)
    other_photo = client.get(reverse("workshop:proposal_photo", args=[item.pk]))
    client.force_login(advisor)
    home = html(client.get(reverse("workorders:advisor_home")))
    order_page = html(client.get(reverse("workorders:detail", args=[order.pk])))
    photo = client.get(reverse("workshop:proposal_photo", args=[item.pk]))
    prefix = f"proposal{item.pk}-"
    added = client.post(
        reverse("workshop:proposal_add_lines", args=[item.pk]),
        {
            prefix + "kind": "labour",
            prefix + "description": "更换前刹车片",
            prefix + "quantity": "1.5",
            prefix + "unit_price": "200",
            prefix + "payer": "customer",
        },
    )
    after = html(client.get(reverse("workorders:detail", args=[order.pk])))

    assert proposed["Location"] == _job_url("job_detail", job) + "#proposals"
    assert (own_photo.status_code, other_photo.status_code, photo.status_code) == (200, 403, 200)
    assert photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == png_bytes()
    assert "技师增项建议待处理(1)" in home and "前刹车片磨损到极限" in home
    assert 'id="proposals"' in order_page and "剩余 2 mm" in order_page
    assert 'class="row g-2 align-items-end mt-2 proposal-lines-form"' in order_page
    assert added["Location"] == reverse("workorders:detail", args=[order.pk]) + "#proposals"
    line = order.lines.get(description="更换前刹车片")
    assert (line.status, line.is_added) == (LineStatus.PROPOSED, True)
    assert 'id="approval-form"' in after and "更换前刹车片" in after
    assert "已加入:更换前刹车片" in after


@time_machine.travel(NOW, tick=False)
def test_the_advisor_declines_a_proposal_from_the_work_order_page(client):
    tech = technician()
    order = dispatched_order()
    job = job_for(order, tech)
    item = floor.proposed_item_create(job=job, by=tech.user, description="轮胎花纹浅")
    client.force_login(role_user("advisor"))

    refused = client.post(reverse("workshop:proposal_decline", args=[item.pk]), follow=True)
    declined = client.post(
        reverse("workshop:proposal_decline", args=[item.pk]),
        {f"decline{item.pk}-reason": "上月刚换"},
        follow=True,
    )

    assert _messages(refused) == ["请填写不采纳的原因。"]
    assert _messages(declined) == ["已不采纳:轮胎花纹浅"]
    assert "未采纳:上月刚换" in html(declined)


# --- the checks ----------------------------------------------------------------------------------


@pytest.fixture
def checked_crew():
    lead = role_user("technician", display_name="张组长")
    tech = technician(team_=team("机修一组", lead=lead), display_name="王师傅")
    with time_machine.travel(NOW, tick=False):
        order = dispatched_order()
        job = job_for(order, tech)
        floor.job_start(job=job, by=tech.user)
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))
    return {"lead": lead, "tech": tech, "order": order, "job": job}


@time_machine.travel(NOW, tick=False)
def test_the_lead_fails_the_check_from_the_queue_and_the_job_comes_back_as_rework(
    client, checked_crew
):
    order, lead = checked_crew["order"], checked_crew["lead"]
    client.force_login(lead)

    queue = html(client.get(reverse("workshop:team_queue")))
    page = client.get(reverse("workshop:team_check", args=[order.pk]))
    no_reason = client.post(reverse("workshop:team_check", args=[order.pk]), {"decision": "fail"})
    failed = client.post(
        reverse("workshop:team_check", args=[order.pk]),
        {"decision": "fail", "reason": "放油螺栓力矩不足"},
        follow=True,
    )
    client.force_login(checked_crew["tech"].user)
    tablet = html(client.get(reverse("workshop:my_jobs")))

    assert order.number in queue and "待检验(自检已完成,1)" in queue
    assert page.status_code == 200 and 'id="check-form"' in html(page)
    assert no_reason.status_code == 422 and "不合格须填写原因(返工内容)。" in html(no_reason)
    assert failed.redirect_chain == [(reverse("workshop:team_queue"), 302)]
    assert _messages(failed) == [f"班组长检验不合格,已退回返工:{order.number}"]
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert '<span class="badge text-bg-danger">返工</span>' in tablet


@time_machine.travel(NOW, tick=False)
def test_a_technician_who_does_not_lead_the_team_gets_403_on_the_check(client, checked_crew):
    client.force_login(role_user("technician"))

    response = client.get(reverse("workshop:team_check", args=[checked_crew["order"].pk]))
    posted = client.post(
        reverse("workshop:team_check", args=[checked_crew["order"].pk]), {"decision": "pass"}
    )

    assert (response.status_code, posted.status_code) == (403, 403)
    checked_crew["order"].refresh_from_db()
    assert checked_crew["order"].status == S.SELF_CHECKED


@time_machine.travel(NOW, tick=False)
def test_the_inspector_passes_the_final_check_and_releases_the_washed_car(client, checked_crew):
    order, lead = checked_crew["order"], checked_crew["lead"]
    floor.team_check(
        work_order=order, by=lead, answers=all_ticked(K.TEAM, order=order), passed=True
    )
    qc = role_user("qc", display_name="冯质检")
    client.force_login(qc)
    items = floor.checklist(K.FINAL, floor.order_skill_ids(order))

    queue = html(client.get(reverse("workshop:qc_queue")))
    passed = client.post(
        reverse("workshop:final_check", args=[order.pk]),
        {"decision": "pass", **{f"item_{item.pk}": "on" for item in items}},
    )
    client.force_login(checked_crew["tech"].user)
    tablet = html(client.get(reverse("workshop:my_jobs")))
    washed = client.post(reverse("workshop:order_wash", args=[order.pk]))
    client.force_login(qc)
    release_queue = html(client.get(reverse("workshop:qc_queue")))
    released = client.post(reverse("workshop:order_release", args=[order.pk]), follow=True)

    assert "待终检(班组长已检验,1)" in queue
    assert passed["Location"] == reverse("workshop:qc_queue")
    assert "待洗车(1)" in tablet
    assert washed["Location"] == reverse("workshop:my_jobs")
    assert "已洗车,待转交服务顾问(1)" in release_queue
    assert _messages(released) == [f"已转待交车:{order.number}"]
    order.refresh_from_db()
    assert order.status == S.READY


@time_machine.travel(at(15), tick=False)
def test_the_advisor_is_told_on_my_orders_when_a_car_is_ready(client, checked_crew):
    order, lead = checked_crew["order"], checked_crew["lead"]
    advisor = role_user("advisor")
    WorkOrder.objects.filter(pk=order.pk).update(advisor=advisor)
    qc = role_user("qc")
    floor.team_check(
        work_order=order, by=lead, answers=all_ticked(K.TEAM, order=order), passed=True
    )
    floor.final_check(
        work_order=order, by=qc, answers=all_ticked(K.FINAL, order=order), passed=True
    )
    floor.work_order_wash_done(work_order=order, by=checked_crew["tech"].user)
    floor.work_order_release(work_order=order, by=qc)
    client.force_login(advisor)

    body = html(client.get(reverse("workorders:advisor_home")))

    ready = re.search(r'id="home-ready">(.*?)</ul>', body, re.S).group(1)
    assert "车间已完工,待交车(1)" in ready
    assert "15:00 转待交车" in ready


# --- figures -------------------------------------------------------------------------------------


@time_machine.travel(at(18), tick=False)
def test_the_figures_page_runs_the_same_queries_for_one_technician_and_for_many(
    role_client, django_assert_num_queries
):
    client = role_client("manager")
    url = reverse("workshop:stats") + "?period=today"

    def finish_one():
        tech = technician()
        job = job_for(dispatched_order(), tech)
        floor.job_start(job=job, by=tech.user)
        floor.job_finish(job=job, by=tech.user, answers=all_ticked(K.SELF, job=job))

    finish_one()
    # The finished jobs summed per technician and team (1), the failed checks (1), the
    # technicians' and the teams' names (2).
    with django_assert_num_queries(PAGE_QUERIES + 4):
        client.get(url)
    for _ in range(3):
        finish_one()
    with django_assert_num_queries(PAGE_QUERIES + 4):
        body = html(client.get(url))

    assert body.count("<tr><td>") == 4 + 4 + 1  # four teams, four technicians, the total
    assert "今天:2026-07-01 至 2026-07-01" in body
