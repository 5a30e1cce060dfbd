"""`make bench`'s OCR section (issue 12): field accuracy and time per image of reading the
generated 行驶证 and VIN-plate photos of apps.customers.licence_samples.

Accuracy is exact match of the value the reception form would be filled with against the
sample's true field. For the VIN three outcomes are told apart: filled right, not filled
(the candidates or nothing offered: the advisor types or picks it) and filled wrong, the
one that must not happen.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

from .licence import FIELDS
from .licence_samples import Sample, sample_set

CARDS, PLATES, SEED = 40, 20, 12


@dataclass
class Result:
    name: str
    kind: str
    seconds: float  # wall time of read_licence_image (decode, recognise, parse)
    cpu_seconds: float  # CPU time of the process meanwhile (all threads)
    right: dict[str, bool]
    vin: str  # "right", "candidates", "empty" or "wrong"
    vin_as_read_right: bool  # the VIN was read exactly, before any repair
    misses: dict[str, tuple[str, str]] = field(default_factory=dict)  # field: (truth, value)
    lines: tuple[str, ...] = ()


@dataclass
class Report:
    samples: int
    load_seconds: float
    results: list[Result]

    def accuracy(self, name: str, kinds=None) -> tuple[int, int]:
        """(right, measured) for field `name` over the samples of `kinds` that show it."""
        measured = [r for r in self.results if name in r.right and (not kinds or r.kind in kinds)]
        return sum(r.right[name] for r in measured), len(measured)

    def vin_outcomes(self) -> dict[str, int]:
        counts = {"right": 0, "candidates": 0, "empty": 0, "wrong": 0}
        for result in self.results:
            counts[result.vin] += 1
        return counts

    def times(self, attribute: str = "seconds") -> tuple[float, float, float]:
        """(median, p95, max) seconds per image."""
        values = sorted(getattr(r, attribute) for r in self.results)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        return statistics.median(values), p95, values[-1]

    def as_json(self) -> dict:
        return {
            "samples": self.samples,
            "load_seconds": self.load_seconds,
            "fields": {
                name: dict(zip(("right", "measured"), self.accuracy(name), strict=True))
                for name in FIELDS
            },
            "vin": self.vin_outcomes(),
            "seconds": dict(zip(("median", "p95", "max"), self.times(), strict=True)),
            "cpu_seconds": dict(
                zip(("median", "p95", "max"), self.times("cpu_seconds"), strict=True)
            ),
            "results": [asdict(r) for r in self.results],
        }


def measure_one(sample: Sample) -> Result:
    from . import ocr
    from .licence import vin_text

    wall, cpu = time.perf_counter(), time.process_time()
    reading = ocr.read_licence_image(sample.data)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    right = {name: reading.value(name) == truth for name, truth in sample.truth.items()}
    vin = reading.fields["vin"]
    if vin.value:
        vin_outcome = "right" if vin.value == sample.truth["vin"] else "wrong"
    else:
        vin_outcome = "candidates" if vin.candidates else "empty"
    return Result(
        name=sample.name,
        kind=sample.kind,
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu_seconds, 3),
        right=right,
        vin=vin_outcome,
        vin_as_read_right=vin_text(vin.read) == sample.truth["vin"],
        misses={
            name: (truth, reading.value(name))
            for name, truth in sample.truth.items()
            if not right[name]
        },
        lines=reading.lines if not all(right.values()) else (),
    )


def run(*, cards: int = CARDS, plates: int = PLATES, seed: int = SEED, log=print) -> Report:
    from . import ocr

    if not ocr.ocr_available():
        raise RuntimeError("OCR extra not installed: make ocr (requirements-ocr.lock)")
    samples = sample_set(cards=cards, plates=plates, seed=seed)
    started = time.perf_counter()
    ocr.warm_up()
    load_seconds = round(time.perf_counter() - started, 2)
    results = []
    for sample in samples:
        result = measure_one(sample)
        results.append(result)
        if result.misses:
            log(f"  {sample.name}: {result.misses}")
    return Report(samples=len(samples), load_seconds=load_seconds, results=results)


def table(report: Report) -> list[str]:
    """The figures as printed by bench_ocr."""

    def percent(right_measured) -> str:
        right, measured = right_measured
        return f"{right}/{measured} {100 * right / measured:5.1f}%" if measured else "—"

    lines = [f"{'field':<16}{'行驶证':>16}{'VIN plates':>18}{'all':>16}"]
    for name in FIELDS:
        lines.append(
            f"{name:<16}{percent(report.accuracy(name, {'card'})):>18}"
            f"{percent(report.accuracy(name, {'nameplate', 'door', 'windscreen'})):>18}"
            f"{percent(report.accuracy(name)):>16}"
        )
    outcomes = report.vin_outcomes()
    as_read = sum(r.vin_as_read_right for r in report.results)
    lines.append(
        f"VIN: {outcomes['right']} filled right, {outcomes['candidates']} candidates offered,"
        f" {outcomes['empty']} not filled, {outcomes['wrong']} filled wrong"
        f" ({as_read} of {report.samples} read exactly before repair)"
    )
    median, p95, worst = report.times()
    cpu_median, cpu_p95, _ = report.times("cpu_seconds")
    lines.append(
        f"time per image: median {median:.2f} s, p95 {p95:.2f} s, max {worst:.2f} s"
        f" (CPU {cpu_median:.2f} s / p95 {cpu_p95:.2f} s); engine load {report.load_seconds} s"
    )
    return lines
