# Production image of the DMS: gunicorn serves the app, whitenoise the static files.
# It installs requirements-runtime.lock only: the exact versions (with hashes) of what the
# app needs to run; test and development tools (pytest, ruff, playwright, hypothesis)
# stay out. `make lock` regenerates the lock from requirements.txt.
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
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "dms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
