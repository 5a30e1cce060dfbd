import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from apps.core import bench, demo
from apps.customers.models import Customer


class Command(BaseCommand):
    help = "Seed (or reuse) an N-year dealership and time the main pages."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, years, seed, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("make bench measures PostgreSQL: set DATABASE_URL.")
            raise SystemExit(1)
        wanted = demo.CUSTOMERS_PER_YEAR * years
        have = Customer.objects.count()
        if have < wanted:
            if have:
                self.stderr.write(f"{have} customers found, {wanted} wanted: reseed an empty DB.")
                raise SystemExit(1)
            self.stdout.write(f"seeding {years} years (seed {seed}) …")
            start = time.perf_counter()
            demo.seed(
                years=years, seed_value=seed, today=timezone.localdate(), log=self.stdout.write
            )
            self.stdout.write(f"seeded in {time.perf_counter() - start:.0f} s")
        else:
            self.stdout.write(f"reusing the seeded data ({have} customers)")
        bench.run(out_dir=settings.VAR_DIR / "bench", log=self.stdout.write)
