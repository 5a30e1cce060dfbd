"""Test settings: the whole suite runs on real PostgreSQL and real Redis, never SQLite.

`make test` exports DATABASE_URL and REDIS_URL (after making sure both servers run);
running pytest without them fails here, loudly, instead of falling back silently.
"""

import os
import secrets

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Tests need DATABASE_URL=postgres://… (use `make test`)")
if not os.environ.get("REDIS_URL", "").startswith("redis://"):
    raise ImproperlyConfigured("Tests need REDIS_URL=redis://… (use `make test`)")

# Tests run with DEBUG off (as production does), so the settings require a SECRET_KEY.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-never-used-in-production")

from .settings import *  # noqa: F403

CELERY_BROKER_URL = os.environ["REDIS_URL"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# Each test run (one pytest process) sends its tasks to a queue of its own on the shared
# Redis and its workers consume only that queue, so parallel runs (two sessions on one
# Redis database, CI beside a developer) never take each other's messages. No remote
# control either: another run's broadcast (ping, shutdown) cannot reach this run's worker.
# tests/conftest.py deletes the queue's keys when the run ends.
CELERY_TASK_DEFAULT_QUEUE = f"dms-test-{os.getpid()}-{secrets.token_hex(4)}"
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# Several suites may share one server (parallel sessions, CI); each may name its own.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_dms")}  # noqa: F405
# Tests serve static files from the finders; there is no collectstatic output to scan.
WHITENOISE_AUTOREFRESH = True
# The cache lives on the test Redis; keys carry the test database's name so parallel suites
# on one Redis database never read each other's cached rules.
CACHES["default"]["KEY_PREFIX"] = f"test:{DATABASES['default']['TEST']['NAME']}"  # noqa: F405
