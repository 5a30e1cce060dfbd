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


def test_the_daily_jobs_run_through_the_ledger_every_ten_minutes():
    from apps.core import tasks

    schedule = app.conf.beat_schedule["core-run-daily-jobs"]["schedule"]
    limit = app.tasks["apps.core.tasks.run_daily_jobs"].time_limit

    assert schedule == crontab(minute="*/10")
    assert limit == tasks.DAILY_JOBS_HARD_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] > limit


def test_the_business_jobs_are_ledger_jobs_not_beat_entries_of_their_own():
    # Beat would run them once after a downtime, never once per missed day.
    from apps.core.daily_jobs import registered_jobs

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert [job.name for job in registered_jobs()] == [
        "customers-recompute-segments",
        "stock-prepick",
        "callbacks-generate",
        "callbacks-build-queue",  # after the day's callbacks
    ]
    assert [job.monthly for job in registered_jobs()] == [True, False, False, False]
    # What beat still runs by itself recomputes the present state (a missed night is made
    # good by the next run) or sweeps stuck work; nothing of it writes a per-day output.
    assert tasks == {
        "apps.core.tasks.run_daily_jobs",
        "apps.customers.tasks.sweep_imports",
        "apps.customers.tasks.sweep_licence_scans",
        "apps.appointments.tasks.refresh_targets",
        "apps.stock.tasks.release_stale_reservations",
        "apps.warranty.tasks.refresh_warranty_watch",
    }


def test_celery_runs_on_the_dealership_time_zone_with_safe_delivery_settings():
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_import_sweep_runs_every_five_minutes():
    schedule = app.conf.beat_schedule["customers-sweep-imports"]["schedule"]

    assert schedule == crontab(minute="*/5")


def test_stale_stock_reservations_are_released_nightly_after_the_days_settlements():
    schedule = app.conf.beat_schedule["stock-release-stale-reservations"]["schedule"]

    assert schedule == crontab(minute=10, hour=3)


def test_a_running_import_is_never_redelivered_and_a_stale_one_is_past_its_hard_limit():
    from apps.customers import tasks

    limit = app.tasks["apps.customers.tasks.import_archive"].time_limit
    assert limit == tasks.IMPORT_HARD_LIMIT
    assert app.conf.broker_transport_options["visibility_timeout"] > limit
    assert tasks.STALE_RUNNING.total_seconds() > limit
