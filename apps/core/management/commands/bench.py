import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from apps.core import benchmark, seeding


class Command(BaseCommand):
    help = "Seed (or reuse) an N-year dealership and time the main pages."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, years, seed, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("make bench measures PostgreSQL: set DATABASE_URL.")
            raise SystemExit(1)
        statuses = seeding.seeded(years=years)
        short = [status for status in statuses if status.have < status.wanted]
        if short:
            partial = next((status for status in short if status.have), None)
            if partial is not None:
                self.stderr.write(
                    f"{partial.have} {partial.noun} found, {partial.wanted} wanted:"
                    " reseed an empty DB."
                )
                raise SystemExit(1)
            self.stdout.write(f"seeding {years} years (seed {seed}) …")
            start = time.perf_counter()
            seeding.seed_all(
                seeding.DemoRun(seed=seed, years=years, now=timezone.now(), log=self.stdout.write)
            )
            self.stdout.write(f"seeded in {time.perf_counter() - start:.0f} s")
        else:
            found = " · ".join(f"{status.have} {status.noun}" for status in statuses)
            self.stdout.write(f"reusing the seeded data ({found})")
        benchmark.run(out_dir=settings.VAR_DIR / "bench", log=self.stdout.write)
