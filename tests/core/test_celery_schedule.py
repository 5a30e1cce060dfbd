from celery.schedules import crontab

from dms.celery import app


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()

    missing = {
        name: entry["task"]
        for name, entry in app.conf.beat_schedule.items()
        if entry["task"] not in app.tasks
    }

    assert missing == {}


def test_segments_are_recomputed_at_half_past_two_on_the_first_of_the_month():
    schedule = app.conf.beat_schedule["customers-recompute-segments"]["schedule"]

    assert schedule == crontab(minute=30, hour=2, day_of_month=1)


def test_celery_runs_on_the_dealership_time_zone_with_safe_delivery_settings():
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_import_sweep_runs_every_five_minutes():
    schedule = app.conf.beat_schedule["customers-sweep-imports"]["schedule"]

    assert schedule == crontab(minute="*/5")


def test_a_running_import_is_never_redelivered_and_a_stale_one_is_past_its_hard_limit():
    from apps.customers import tasks

    limit = app.tasks["apps.customers.tasks.import_archive"].time_limit
    assert limit == tasks.IMPORT_HARD_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] > limit
    assert tasks.STALE_RUNNING.total_seconds() > limit
