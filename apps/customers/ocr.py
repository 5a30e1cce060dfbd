"""Offline OCR of a 行驶证, VIN plate or door-pillar label photo (issue 12).

The engine is RapidOCR (`rapidocr-onnxruntime`, requirements-ocr.txt): Chinese PP-OCR
models shipped inside the wheel, run on the CPU by onnxruntime; nothing is downloaded at
run time. It is an optional extra: without it `ocr_available()` is False, the camera
button is not offered and everything else works. Fields are parsed from the recognised
lines by apps.customers.licence, which never imports the engine.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import statistics
import threading
import time

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

from .licence import LicenceReading, parse_licence_lines

logger = logging.getLogger(__name__)

# The photo is scaled down to this longest side before recognition: a tablet photo (4000 px)
# holds far more pixels than the card's text needs, and detection time grows with them
# (measured on the bench set: 1600 px 2.2 s of CPU per image, 1280 px 1.6 s, 1024 px 1.4 s,
# all fields read alike; 1280 keeps a card that fills half the frame legible).
MAX_SIDE = 1280
# onnxruntime's threads per inference: the machine serves requests and Celery too.
THREADS = max(1, min(2, os.cpu_count() or 1))
# The recognition model's input: a text box is scaled to 48 px high and a batch padded to
# the widest box, at least this wide (RapidOCR's default, 320, pads a short label 4-fold;
# 160 saved a fifth of the time and read the bench set alike).
REC_WIDTH = 160
# The detector keeps a text box whose mean score reaches this (RapidOCR's default 0.5 let a
# clear, evenly lit line of a generated card go unseen).
BOX_THRESH = 0.4
# Pillow refuses to decode more than this (a decompression bomb is a small file).
MAX_PIXELS = 50_000_000

_lock = threading.Lock()
_engine = None


@functools.cache
def ocr_available() -> bool:
    """True when the OCR extra is installed and imports (checked once per process)."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except Exception:  # ImportError, or OSError from a missing shared library
        logger.info("OCR extra not available (requirements-ocr.txt)", exc_info=True)
        return False
    return True


def _get_engine():
    """The process-wide engine, created on first use (loading the models takes ~1 s)."""
    global _engine
    if _engine is None:
        _engine = make_engine(THREADS)
    return _engine


def make_engine(threads: int):
    """A RapidOCR engine running each model on `threads` threads that sleep when idle.

    onnxruntime's threads spin between operators by default, burning a core while they
    wait: on a 2-core server shared with the web and Celery processes that costs more than
    it gains, so the session option that stops it is added to RapidOCR's own."""
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.utils import infer_engine

    session = getattr(infer_engine, "OrtInferSession", None)
    original = getattr(session, "_init_sess_opts", None)

    def options(config):
        opts = original(config)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return opts

    if original is not None:
        session._init_sess_opts = staticmethod(options)
    try:
        # No angle classifier: the photo is upright once its EXIF orientation is applied,
        # and a card's lines are never upside down relative to each other.
        return RapidOCR(
            use_cls=False,
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            rec_img_shape=[3, 48, REC_WIDTH],
            det_box_thresh=BOX_THRESH,
        )
    finally:
        if original is not None:
            session._init_sess_opts = staticmethod(original)


def warm_up() -> None:
    """Load the models now (about a second) rather than on the first photo."""
    if ocr_available():
        with _lock:
            _get_engine()(Image.new("RGB", (64, 32), "white"))


def decode_image(data: bytes) -> Image.Image:
    """The photo as an upright RGB image (EXIF orientation applied), scaled down to
    MAX_SIDE; ValidationError when it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise ValidationError("无法识别图片:图片过大,请重新拍摄。", code="ocr_image")
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "无法识别图片:文件不是有效的图片,请重新拍摄。", code="ocr_image"
        ) from None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def recognise_lines(image: Image.Image) -> list[str]:
    """The text lines the engine reads on `image`, in reading order (boxes on one row joined
    by a space, rows top to bottom)."""
    if not ocr_available():
        raise ValidationError("无法识别图片:本系统未安装识别组件。", code="ocr_unavailable")
    with _lock:
        result, _elapse = _get_engine()(image)
    return rows_of_boxes(result or [])


def rows_of_boxes(result) -> list[str]:
    """[(box, text, score)] → lines. A photo is seldom square to the card: the boxes are
    first turned by the median slope of their top edges, so that a row of the card is
    level; then boxes whose vertical centres lie within half a box height of a row's are on
    that row, and a row reads left to right."""
    slopes = []
    for box, _text, _score in result:
        (x0, y0), (x1, y1) = box[0], box[1]
        if abs(x1 - x0) > 2 * abs(box[3][1] - y0):  # wide enough for its slope to count
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    angle = statistics.median(slopes) if slopes else 0.0
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for box, text, _score in result:
        xs = [x * cos - y * sin for x, y in box]
        ys = [x * sin + y * cos for x, y in box]
        boxes.append((min(ys), max(ys), min(xs), str(text)))
    boxes.sort(key=lambda b: (b[0] + b[1]) / 2)
    rows: list[list[tuple]] = []
    for top, bottom, left, text in boxes:
        centre, height = (top + bottom) / 2, bottom - top
        if rows:
            row = rows[-1]
            row_centre = sum((b[0] + b[1]) / 2 for b in row) / len(row)
            row_height = max(b[1] - b[0] for b in row)
            if abs(centre - row_centre) <= min(height, row_height) / 2:
                row.append((top, bottom, left, text))
                continue
        rows.append([(top, bottom, left, text)])
    return [" ".join(b[3] for b in sorted(row, key=lambda b: b[2])) for row in rows]


def read_licence_image(data: bytes) -> LicenceReading:
    """Decode, recognise and parse a photo of a 行驶证, VIN plate or door-pillar label."""
    image = decode_image(data)
    started = time.perf_counter()
    lines = recognise_lines(image)
    reading = parse_licence_lines(lines)
    return LicenceReading(
        fields=reading.fields, lines=reading.lines, seconds=time.perf_counter() - started
    )
