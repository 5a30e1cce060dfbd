"""Reading photos with the OCR extra (issue 12): generated 行驶证 and VIN-plate photos are
read into their true fields; the app works without the extra.

The tests marked `ocr` need requirements-ocr.lock, which `make test` installs; without it
they are skipped (and say why) while the ones proving the app works without it still run.
"""

import ast
import io
import math
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from apps.customers import bench_ocr, ocr
from apps.customers.licence import FIELDS, parse_licence_lines
from apps.customers.licence_samples import (
    fonts_available,
    licence_photo,
    photograph,
    random_fields,
    render_card,
    render_nameplate,
    render_windscreen,
)

with_the_extra = pytest.mark.skipif(
    not (ocr.ocr_available() and fonts_available()),
    reason="OCR extra (make ocr: requirements-ocr.lock) or Debian fonts-noto-cjk not installed",
)
VIN = "LFV2A21K6KB936710"


def jpeg(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, **params)
    return buffer.getvalue()


@pytest.fixture
def without_the_extra(monkeypatch):
    """The OCR extra not installed: importing it fails, as on an install without it."""
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    ocr.ocr_available.cache_clear()
    yield
    ocr.ocr_available.cache_clear()


@pytest.mark.ocr
@with_the_extra
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_generated_licence_photo_is_read_into_its_fields(seed):
    data, truth = licence_photo(seed)

    reading = ocr.read_licence_image(data)

    assert {name: reading.fields[name].value for name in FIELDS} == truth
    assert reading.seconds > 0
    assert any("行驶证" in line for line in reading.lines)


@pytest.mark.ocr
@with_the_extra
class TestWithTheExtra:
    def test_a_vin_plate_photo(self):
        rng = random.Random(7)
        fields = {
            "brand": "大众",
            "model": "FV7152BBCGG",
            "engine_model": "DST",
            "displacement": "1498",
            "power": "110",
            "vin": VIN,
            "made": "2019年05月",
            "maker": "一汽-大众汽车有限公司",
        }
        data = photograph(render_nameplate(fields), rng, strength=1.0)

        reading = ocr.read_licence_image(data)

        assert reading.fields["vin"].value == VIN
        assert reading.fields["brand_model"].value == "大众牌FV7152BBCGG"

    def test_a_vin_read_with_a_letter_for_zero_is_repaired_and_noted(self):
        # A worn plate whose 0 looks like a Q: the engine reads the Q (an O it reads as 0
        # by itself in a VIN), the repair makes it the 0 that the check digit confirms.
        printed = VIN.replace("0", "Q")
        data = photograph(render_windscreen(printed), random.Random(3), strength=0.5)

        vin = ocr.read_licence_image(data).fields["vin"]

        assert vin.read == printed
        assert vin.value == VIN
        assert vin.note == "VIN 中不会出现 I、O、Q,已按常见误识修正(Q→0),请核对"

    def test_a_vin_that_fails_its_check_digit_is_not_filled(self):
        wrong = VIN[:4] + "H" + VIN[5:]  # A printed as H: no look-alike repairs it
        data = photograph(render_windscreen(wrong), random.Random(3), strength=0.5)

        vin = ocr.read_licence_image(data).fields["vin"]

        assert vin.read == wrong
        assert vin.value == ""
        assert vin.note

    def test_the_exif_orientation_of_a_tablet_photo_is_applied(self):
        rng = random.Random(11)
        fields = random_fields(rng)
        upright = Image.open(io.BytesIO(photograph(render_card(fields), rng, strength=0.6)))
        # the camera stored the pixels turned a quarter and the turn in the EXIF tag
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
        data = jpeg(upright.rotate(90, expand=True), exif=exif.tobytes())

        reading = ocr.read_licence_image(data)

        assert reading.fields["vin"].value == fields["vin"]
        assert reading.fields["plate"].value == fields["plate"]

    def test_two_threads_reading_at_once_read_what_one_reads(self):
        data, truth = licence_photo(4)
        results, errors = [], []

        def read():
            try:
                results.append(ocr.read_licence_image(data).fields)
            except Exception as error:  # pragma: no cover (reported below)
                errors.append(error)

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert results[0] == results[1]
        assert results[0]["vin"].value == truth["vin"]

    def test_the_bench_section_measures_cards_and_plates(self):
        report = bench_ocr.run(cards=1, plates=1, seed=3, log=lambda line: None)

        assert report.samples == 2
        assert report.accuracy("vin") == (2, 2)
        assert report.vin_outcomes()["wrong"] == 0
        lines = bench_ocr.table(report)
        assert lines[0].startswith("field")
        assert any(line.startswith("time per image: median") for line in lines)
        assert set(report.as_json()["fields"]) == set(FIELDS)


def test_a_file_that_is_not_an_image_is_refused_in_chinese():
    with pytest.raises(ValidationError) as raised:
        ocr.read_licence_image(b"%PDF-1.7 not a photo")

    assert raised.value.messages[0].startswith("无法识别图片")


def test_a_decompression_bomb_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")  # 64 M pixels in a small file

    with pytest.raises(ValidationError) as raised:
        ocr.decode_image(buffer.getvalue())

    assert "图片过大" in raised.value.messages[0]


def test_a_large_photo_is_scaled_down_and_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6
    data = jpeg(Image.new("RGB", (4000, 3000), "white"), exif=exif.tobytes())

    image = ocr.decode_image(data)

    assert image.size == (ocr.MAX_SIDE * 3 // 4, ocr.MAX_SIDE)
    assert image.mode == "RGB"


def test_rows_are_rebuilt_from_the_boxes_of_a_tilted_photo():
    """Boxes of two card rows, each with two cells, on a photo turned by 6°: the right cell
    of the first row sits lower than the left cell of the second row."""
    angle = math.radians(6)

    def box(x, y, w, h, text):
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        turned = [
            (
                cx * math.cos(angle) - cy * math.sin(angle),
                cx * math.sin(angle) + cy * math.cos(angle),
            )
            for cx, cy in corners
        ]
        return [turned, text, 0.99]

    result = [
        box(30, 100, 110, 28, "号牌号码"),
        box(190, 100, 130, 30, "粤B12345"),
        box(520, 100, 110, 28, "车辆类型"),
        box(690, 100, 120, 30, "小型轿车"),
        box(30, 160, 80, 28, "所有人"),
        box(190, 160, 60, 30, "王芳"),
    ]
    assert result[3][0][0][1] > result[4][0][0][1]  # tilted: the row's end is lower

    assert ocr.rows_of_boxes(result) == ["号牌号码 粤B12345 车辆类型 小型轿车", "所有人 王芳"]
    assert ocr.rows_of_boxes([]) == []


def test_without_the_extra_ocr_is_not_available_and_says_so(without_the_extra):
    assert ocr.ocr_available() is False
    with pytest.raises(ValidationError) as raised:
        ocr.recognise_lines(Image.new("RGB", (64, 32), "white"))
    assert raised.value.messages[0] == "无法识别图片:本系统未安装识别组件。"
    # the parser needs no engine
    assert parse_licence_lines([f"车辆识别代号 {VIN}"]).fields["vin"].value == VIN


def test_ocr_available_is_checked_once(without_the_extra, monkeypatch):
    assert ocr.ocr_available() is False
    monkeypatch.delitem(sys.modules, "rapidocr_onnxruntime")  # installed afterwards …

    assert ocr.ocr_available() is False  # … the answer of this process stays


def test_the_app_starts_and_checks_clean_where_the_extra_cannot_be_imported():
    """A fresh interpreter where importing RapidOCR, onnxruntime or OpenCV fails, as on an
    install without requirements-ocr.lock: Django starts, the system checks pass, every URL
    resolves and the OCR reports itself unavailable."""
    code = """
import sys
for name in ("rapidocr_onnxruntime", "onnxruntime", "cv2"):
    sys.modules[name] = None
import django
django.setup()
from django.core.management import call_command
call_command("check", fail_level="ERROR")
from django.urls import get_resolver
get_resolver().url_patterns
from apps.customers import ocr, licence
assert ocr.ocr_available() is False
print("ok")
"""
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dms.settings_test",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_only_the_ocr_module_imports_the_engine():
    """licence.py, licence_samples.py and the rest of the app never import RapidOCR,
    onnxruntime, OpenCV or numpy: only apps/customers/ocr.py does, inside a function."""
    engine = {"rapidocr_onnxruntime", "onnxruntime", "cv2", "numpy"}
    offenders = []
    for path in sorted((Path(settings.BASE_DIR) / "apps").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in engine and path.name != "ocr.py":
                    offenders.append(f"{path.name}: {name}")
    top_level = [
        node
        for node in ast.parse((Path(settings.BASE_DIR) / "apps/customers/ocr.py").read_text()).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (getattr(node, "module", None) or alias.name).split(".")[0] in engine
            for alias in node.names
        )
    ]

    assert offenders == []
    assert top_level == []
