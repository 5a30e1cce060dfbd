import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.customers import bench_ocr, ocr


class Command(BaseCommand):
    help = (
        "Read a fixed set of generated 行驶证 and VIN-plate photos with the OCR extra and print"
        " per-field exact-match accuracy and time per image (no database needed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cards", type=int, default=bench_ocr.CARDS)
        parser.add_argument("--plates", type=int, default=bench_ocr.PLATES)
        parser.add_argument("--seed", type=int, default=bench_ocr.SEED)
        parser.add_argument("--max-side", type=int, default=ocr.MAX_SIDE)
        parser.add_argument("--threads", type=int, default=ocr.THREADS)
        parser.add_argument("--rec-width", type=int, default=ocr.REC_WIDTH)
        parser.add_argument("--out", default="ocr.json", help="file name under var/bench/")

    def handle(self, *args, cards, plates, seed, max_side, threads, rec_width, out, **options):
        if not ocr.ocr_available():
            self.stderr.write("OCR extra not installed: `make ocr` installs requirements-ocr.lock.")
            raise SystemExit(1)
        ocr.MAX_SIDE, ocr.THREADS, ocr.REC_WIDTH = max_side, threads, rec_width
        self.stdout.write(
            f"OCR: {cards} 行驶证 + {plates} VIN plates (seed {seed}), longest side {max_side} px,"
            f" {threads} thread(s), recognition width {rec_width}"
        )
        report = bench_ocr.run(cards=cards, plates=plates, seed=seed, log=self.stdout.write)
        for line in bench_ocr.table(report):
            self.stdout.write(line)
        out_dir = Path(settings.VAR_DIR) / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / out).write_text(
            json.dumps(report.as_json(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
