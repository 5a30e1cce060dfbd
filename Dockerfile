# Production image of the DMS: gunicorn serves the app, whitenoise the static files.
# It installs requirements-runtime.lock (the exact versions, with hashes, of what the app
# needs to run) and the OCR extra's requirements-ocr.lock; test and development tools
# (pytest, ruff, playwright, hypothesis) stay out. `make lock` regenerates the locks from
# requirements.txt and requirements-ocr.txt.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The printed A4 documents (WeasyPrint): Debian's Pango draws the text, Noto CJK is the
# font they name ("Noto Sans CJK SC"), embedded in every PDF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
COPY requirements-runtime.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
# The OCR extra (issue 12: reading the 行驶证 or VIN plate photo): RapidOCR and its models,
# onnxruntime, the headless OpenCV (no libGL needed). --no-deps: the lock lists everything
# it needs except the desktop opencv-python that RapidOCR names (requirements-ocr.txt).
COPY requirements-ocr.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-ocr.lock
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "dms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
