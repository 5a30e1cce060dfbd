"""Settings for the dealership DMS, read from the environment (see .env.example).

With nothing set but DEBUG=1, the app runs on the embedded default: SQLite under var/ and
a filesystem Celery broker, so `make run` works on a machine with only Python.
Bad values fail loudly at start-up with a message naming the variable (dms/environment.py):
`DEBUG=ture`, a malformed DATABASE_URL, a missing SECRET_KEY outside DEBUG.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

from dms import environment

BASE_DIR = Path(__file__).resolve().parent.parent

environ.Env.read_env(BASE_DIR / ".env")  # optional; the real environment wins

# SQLite, the filesystem broker, beat's schedule, media and logs of the embedded default
# live here; everything below derives its path from VAR_DIR. Created here, so
# `python manage.py …` works on a fresh checkout (SQLite cannot create the folder of its
# database file).
VAR_DIR = environment.path("DMS_VAR_DIR", default=BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = environment.boolean("DEBUG", default=False)
# Without one and with DEBUG off the key stays empty: Django refuses any use of it, and the
# server and the worker refuse to start (environment.require_secret_key, dms/wsgi.py and
# dms/celery.py), while commands that sign nothing (makemigrations --check) still run.
SECRET_KEY = environment.text("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    # Development only (DEBUG on): sessions signed with it are worthless elsewhere.
    SECRET_KEY = "insecure-dev-only-key-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = environment.items("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = environment.items("CSRF_TRUSTED_ORIGINS", default=[])

# Behind the dealership's HTTPS proxy (README "Production"). All off by default, so the
# embedded default and the tests work over plain HTTP.
# The proxy's header that says the original request was HTTPS, e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https; only behind a proxy that sets it.
SECURE_PROXY_SSL_HEADER = environment.proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = environment.boolean("SECURE_SSL_REDIRECT", default=False)
# Strict-Transport-Security: 0 sends none; start small (3600) and raise it to a year
# (31536000) once HTTPS is known to work, since browsers remember it.
SECURE_HSTS_SECONDS = environment.integer("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = environment.boolean(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = environment.boolean("SECURE_HSTS_PRELOAD", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = environment.boolean("SECURE_COOKIES", default=False)

INSTALLED_APPS = [
    "apps.core.admin_config.DmsAdminConfig",  # django.contrib.admin, refusing non-staff with 403
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "csp",
    "simple_history",
    "apps.core",
    "apps.accounts",
    "apps.customers",
    "apps.parts",
    "apps.workorders",
    "apps.appointments",
    "apps.stock",  # above workorders: issue slips name work orders (docs/ARCHITECTURE.md)
    "apps.warranty",  # before workshop: the floor's demo gives its settled orders jobs too
    "apps.workshop",
    "apps.callbacks",
    "apps.complaints",
    "apps.care",
    "apps.dashboard",  # the top layer: reads every other app, none imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "dms.urls"
WSGI_APPLICATION = "dms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.dealership",
                "apps.accounts.context_processors.navigation",
            ],
        },
    },
]

# Embedded default: SQLite under var/ when DATABASE_URL is not set.
DATABASES = {
    "default": environment.database("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dms.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", environment.integer("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serves one writer at a time; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite has no covering indexes: it ignores the columns a PostgreSQL index includes
    # (the stock ledger's stockmovement_part_at_idx), which is all this warning says.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ModelBackend with a user's permissions in one query (apps/accounts/backends.py).
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = environment.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Signatures, photos and printed documents: never served as static media; views check the
# permission and send the file (apps.core.storage.private_storage).
PRIVATE_ROOT = environment.path("PRIVATE_ROOT", default=VAR_DIR / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": environment.text(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Content-Security-Policy (django-csp): scripts, styles, fonts and requests only from our
# own origin, no inline script or style anywhere (templates keep JS in static/js and CSS
# in static/css; a test parses every page for inline code). Images may also be data: URLs,
# which Bootstrap's CSS uses for its form controls' icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Form fields other than files; an uploaded workbook is capped by IMPORT_MAX_FILE_MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Caps of the Excel import (apps.customers.importing), so that no file can exhaust the
# worker: the upload's size, the uncompressed XML of one part (a 1,048,576-row sheet as
# openpyxl writes it is about 770 MB), data rows per sheet (Excel's own limit), errors kept
# per batch (checking stops there) and characters read per cell (longer ones are an error).
IMPORT_MAX_FILE_MB = environment.integer("IMPORT_MAX_FILE_MB", default=100)
IMPORT_MAX_XML_MB = environment.integer("IMPORT_MAX_XML_MB", default=1024)
IMPORT_MAX_ROWS_PER_SHEET = environment.integer("IMPORT_MAX_ROWS_PER_SHEET", default=1_048_576)
IMPORT_MAX_ERRORS = environment.integer("IMPORT_MAX_ERRORS", default=1000, minimum=1)
IMPORT_MAX_CELL_CHARS = environment.integer("IMPORT_MAX_CELL_CHARS", default=5000)
# An upload is read from memory up to this size, spooled to disk beyond it.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_AGE = 12 * 60 * 60  # one working day in the service lane
SESSION_COOKIE_HTTPONLY = True

# Celery: Redis in production and tests; a filesystem broker for the embedded default.
REDIS_URL = environment.text("REDIS_URL")
CELERY_BROKER_URL = environment.text("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"

# The cache holds the business-rule rows (apps.core.settings) and the working-day calendar,
# shared by every process: gunicorn workers, the Celery worker and beat all see a saved
# rule at once. Redis when the deployment has one; otherwise files under var/ (the
# embedded default runs the web server and the Celery worker as separate processes, which a
# per-process locmem cache would leave reading stale rules). Keys carry the database name,
# so two databases on one Redis (dms and dms_bench) never share rows.
CACHE_REDIS_URL = next(
    (url for url in (REDIS_URL, CELERY_BROKER_URL) if url.startswith(("redis://", "rediss://"))),
    "",
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache"
        if CACHE_REDIS_URL
        else "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": CACHE_REDIS_URL or str(VAR_DIR / "cache"),
        "KEY_PREFIX": f"dms:{DATABASES['default']['NAME']}",
    }
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's filesystem transport does not create its folders.
    for folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest hard time limit, so a running task is never redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "permission_denied_one_line": {"()": "apps.core.log_filters.PermissionDeniedOneLine"}
    },
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {
        "handlers": ["console"],
        "level": environment.choice(
            "LOG_LEVEL", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
        ),
    },
    "loggers": {
        # Django's own logging config gives "django" a console handler of its own (with
        # DEBUG on) on top of the root's, so every record showed twice: only the root's.
        "django": {"handlers": [], "propagate": True},
        # A refused request: one line "403 user=… path=… perm=…", no traceback.
        "django.request": {"filters": ["permission_denied_one_line"]},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each step of every document at INFO (a dozen lines per PDF);
        # its warnings (a CSS rule it ignores, an image it cannot read) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
