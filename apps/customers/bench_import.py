"""The import's benchmark (issue 7, point 13), run by `make bench` through
`manage.py bench_import`: time and peak memory of checking and of writing one workbook.

1. `build_workbook` writes a deterministic workbook of the template's shape (write-only,
   through apps.core.excel): one year of a big dealership by default.
2. Checking and importing each run in a fresh Python process (`bench_import --phase`),
   so that each peak resident memory (getrusage maxrss) is that phase's own.
3. The import writes into the database of DATABASE_URL: scripts/bench.sh gives it a
   scratch database of its own, created and dropped around the run.
"""

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from apps.core import excel

from . import importing
from .validators import vin_check_digit

ONE_YEAR = {"customers": 5000, "vehicles": 6000, "work_orders": 45000, "lines": 165000}
DESCRIPTIONS = ("更换机油机滤", "四轮定位", "更换刹车片", "空调清洗", "更换轮胎", "常规保养工时")
START = dt.date(2025, 1, 1)


def vin(n: int) -> str:
    draft = f"LSVAU2180N{n:07d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def mobile(n: int) -> str:
    return f"139{n:08d}"


def build_workbook(path: Path, *, customers, vehicles, work_orders, lines, seed=2026) -> Path:
    """A clean workbook of the template's three sheets; the same arguments, the same file."""
    rng = random.Random(seed)
    workbook = excel.new_workbook(write_only=True)
    sheet = workbook.create_sheet(importing.CUSTOMER_SHEET)
    excel.append_row(sheet, [c.header for c in importing.SHEETS[importing.CUSTOMER_SHEET]])
    for n in range(customers):
        excel.append_row(
            sheet,
            [f"客户{n}", "个人", mobile(n), None, None, None, f"深圳市南山区科技园{n}号"]
            + [None] * 4
            + ["是", "否", "本店购车", None],
        )
    sheet = workbook.create_sheet(importing.VEHICLE_SHEET)
    excel.append_row(sheet, [c.header for c in importing.SHEETS[importing.VEHICLE_SHEET]])
    for n in range(vehicles):
        owner = n % customers
        sold = START - dt.timedelta(days=rng.randrange(3650))
        excel.append_row(
            sheet,
            [vin(n), f"粤B{n % 100000:05d}", "大众", "速腾 2023款 300TSI", "白色", None]
            + [f"客户{owner}", mobile(owner), sold, None, None, None, "中国人保"]
            + [None, None, rng.randrange(1000, 200000)],
        )
    sheet = workbook.create_sheet(importing.HISTORY_SHEET)
    excel.append_row(sheet, [c.header for c in importing.SHEETS[importing.HISTORY_SHEET]])
    per_order, extra = divmod(lines, work_orders)
    for n in range(work_orders):
        opened = START + dt.timedelta(days=n * 365 // work_orders)
        count = per_order + (1 if n < extra else 0)
        for k in range(count):
            amount = rng.randrange(20, 2000)
            excel.append_row(
                sheet,
                [f"WO{n:09d}", vin(n % vehicles), opened, opened, 10000 + n % 90000, "保养"]
                + ["工时" if k == 0 else "配件", f"P{k:04d}", DESCRIPTIONS[k % 6]]
                + [1, amount, amount, "客户", "到期保养" if k == 0 else None],
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


@dataclass
class PhaseFigure:
    phase: str
    seconds: float
    peak_mb: float
    detail: dict


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_phase(phase: str, path: Path) -> PhaseFigure:
    """Run in this (fresh) process: "check" parses only; "import" checks and writes."""
    from django.core.files import File

    from apps.accounts.models import User

    from .models import ImportBatch

    started = time.perf_counter()
    if phase == "check":
        with path.open("rb") as file:
            parsed = importing.parse_workbook(file, accept_invalid_vin=False)
        detail = {
            "rows": parsed.rows + parsed.lines,
            "errors": parsed.error_count,
            "first_error": parsed.errors[0]["message"] if parsed.errors else "",
        }
    else:
        user, _ = User.objects.get_or_create(username="bench-import")
        with path.open("rb") as file:
            batch = ImportBatch.objects.create(
                file=File(file, name=path.name), original_name=path.name, created_by=user
            )
        importing.import_archive(batch=batch)
        batch.refresh_from_db()
        batch.file.delete(save=False)
        detail = {"status": batch.status, **batch.summary}
    return PhaseFigure(phase, round(time.perf_counter() - started, 1), round(peak_mb()), detail)


def measure(path: Path, *, manage_py: Path) -> list[PhaseFigure]:
    """Each phase in its own process, so each peak memory is its own."""
    figures = []
    for phase in ("check", "import"):
        output = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
            [sys.executable, str(manage_py), "bench_import", "--phase", phase, str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures.append(PhaseFigure(**json.loads(output.strip().splitlines()[-1])))
    return figures


def as_json(figure: PhaseFigure) -> str:
    return json.dumps(asdict(figure), ensure_ascii=False, default=str)
