from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core import seeding


class Command(BaseCommand):
    help = "Build a realistic demo dealership (deterministic for a given --seed and moment)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=1, help="years of history (default 1)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the archive has customers"
        )

    def handle(self, *args, years, seed, if_empty, **options):
        run = seeding.DemoRun(seed=seed, years=years, now=timezone.now(), log=self.stdout.write)
        if if_empty and any(status.have for status in seeding.seeded(years=years)):
            seeding.seed_all(run, load=False)
            self.stdout.write("演示数据已存在,跳过生成。")
        else:
            self.stdout.write(f"生成 {years} 年的演示数据(seed={seed})……")
            seeding.seed_all(run)
            self.stdout.write(self.style.SUCCESS(f"完成:{run.summary_line()}。"))
        for note in run.notes:
            self.stdout.write(note)
