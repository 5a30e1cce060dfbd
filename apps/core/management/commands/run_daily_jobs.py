import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.core import daily_jobs as jobs
from apps.core.models import JobRun

OUTCOMES = {
    jobs.Outcome.DONE: "完成",
    jobs.Outcome.ALREADY_DONE: "已完成过,未重复运行",
    jobs.Outcome.BUSY: "另一进程正在运行,跳过",
    jobs.Outcome.GAVE_UP: "多次失败,等待人工处理",
    jobs.Outcome.FAILED: "失败",
}


class Command(BaseCommand):
    help = (
        "Run the daily jobs of one business date (--date YYYY-MM-DD), once: a date already "
        "done is not run again. Without --date: catch up the missed days as beat does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the business date, YYYY-MM-DD")
        parser.add_argument("--job", action="append", help="only this job (repeatable)")

    def handle(self, *args, date, job, **options):
        registered = jobs.registered_jobs()
        names = {item.name for item in registered}
        unknown = sorted(set(job or []) - names)
        if unknown:
            choices = ", ".join(sorted(names))
            raise CommandError(f"没有这个任务:{', '.join(unknown)}(可选:{choices})")
        selected = [item for item in registered if not job or item.name in job]
        if date is None:
            for name, day, outcome in jobs.jobs_catch_up(today=timezone.localdate()):
                self.stdout.write(f"{name} {day:%Y-%m-%d}:{OUTCOMES[outcome]}")
            return
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD:{date}") from None
        if day > timezone.localdate():
            raise CommandError(f"{day:%Y-%m-%d} 还没有到,不能提前运行。")
        failed = False
        for item in selected:
            outcome = jobs.job_run(job=item, on=day, trigger=JobRun.Trigger.MANUAL, automatic=False)
            row = JobRun.objects.get(job=item.name, business_date=item.period_of(day))
            line = f"{item.name} {row.business_date:%Y-%m-%d}:{OUTCOMES[outcome]}"
            if outcome == jobs.Outcome.FAILED:
                failed = True
                self.stderr.write(f"{line}:{row.error}")
            else:
                self.stdout.write(f"{line}({item.describe(row.result)})")
        if failed:
            raise CommandError("有任务失败,见上。")
