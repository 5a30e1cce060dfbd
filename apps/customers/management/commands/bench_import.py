import json
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.customers import bench_import


class Command(BaseCommand):
    help = (
        "Build a workbook of N customers, vehicles, work orders and lines and measure the "
        "import: time and peak memory of checking and of writing (into DATABASE_URL's "
        "database: give it a scratch one, as scripts/bench.sh does)."
    )

    def add_arguments(self, parser):
        for name, default in bench_import.ONE_YEAR.items():
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
        parser.add_argument("--phase", choices=["check", "import"], help=("internal: one phase"))
        parser.add_argument("path", nargs="?", help="internal: the workbook of --phase")

    def handle(self, *args, customers, vehicles, work_orders, lines, phase, path, **options):
        if phase:
            figure = bench_import.run_phase(phase, Path(path))
            self.stdout.write(bench_import.as_json(figure))
            return
        out_dir = Path(settings.VAR_DIR) / "bench"
        sizes = f"{customers}c-{vehicles}v-{work_orders}wo-{lines}l"
        workbook = out_dir / f"import-{sizes}.xlsx"
        if not workbook.exists():
            self.stdout.write(f"building {workbook.name} …")
            bench_import.build_workbook(
                workbook,
                customers=customers,
                vehicles=vehicles,
                work_orders=work_orders,
                lines=lines,
            )
        size_mb = workbook.stat().st_size / 1048576
        self.stdout.write(
            f"import of {customers} customers · {vehicles} vehicles · {work_orders} work orders"
            f" · {lines} lines ({size_mb:.1f} MB)"
        )
        figures = bench_import.measure(workbook, manage_py=Path(settings.BASE_DIR) / "manage.py")
        self.stdout.write(f"{'phase':<10}{'seconds':>10}{'peak MB':>10}  result")
        for figure in figures:
            detail = figure.detail
            result = (
                f"{detail.get('rows')} rows, {detail.get('errors')} errors"
                if figure.phase == "check"
                else f"{detail.get('status')}: check {detail.get('check_seconds')} s"
                f" + write {detail.get('write_seconds')} s"
            )
            self.stdout.write(
                f"{figure.phase:<10}{figure.seconds:>10}{figure.peak_mb:>10}  {result}"
            )
        (out_dir / "import.json").write_text(
            json.dumps(
                {"sizes": sizes, "figures": [asdict(f) for f in figures]},
                ensure_ascii=False,
                indent=2,
            )
        )
