# Production image of the DMS: gunicorn serves the app, whitenoise the static files.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "dms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
