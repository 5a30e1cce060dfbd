"""Settings that fail loudly (issue 6 point 11): each case starts dms.settings in a fresh
Python process with a controlled environment and reads what start-up says.

Every variable the settings read is set (blank means "unset" to them), so a developer's
.env file, which only fills variables missing from the environment, cannot change a case.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
READER_CALL = re.compile(r'environment\.\w+\(\s*"([A-Z][A-Z0-9_]*)"')
SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
connection.ensure_connection()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "NAME": str(settings.DATABASES["default"]["NAME"]),
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
}))
"""


def _variables_read_by_settings() -> set[str]:
    return set(READER_CALL.findall((ROOT / "dms" / "settings.py").read_text()))


def _start(tmp_path, **variables) -> subprocess.CompletedProcess:
    """Start the settings with every variable blank but these; DMS_VAR_DIR is a fresh
    folder that does not exist yet, the way a fresh checkout has no var/."""
    return _run(tmp_path, ["-c", SHOW_SETTINGS], **variables)


def _run(tmp_path, arguments: list[str], **variables) -> subprocess.CompletedProcess:
    """This interpreter with `arguments`, in the environment _start describes."""
    env = dict.fromkeys(_variables_read_by_settings(), "")
    env.update(
        PATH="/usr/bin:/bin",
        DJANGO_SETTINGS_MODULE="dms.settings",
        DMS_VAR_DIR=str(tmp_path / "fresh" / "var"),
        SECRET_KEY="a-long-random-production-key-for-this-test",
    )
    env.update(variables)
    return subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _refusal(result: subprocess.CompletedProcess) -> str:
    """The last line of what a refused start-up printed."""
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


def _started(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_variable_the_settings_read_is_documented_in_env_example():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))

    assert "DEBUG" in _variables_read_by_settings()
    assert _variables_read_by_settings() - documented == set()
    assert documented - _variables_read_by_settings() == set()


def test_the_settings_read_the_environment_only_through_the_strict_readers():
    source = (ROOT / "dms" / "settings.py").read_text()

    assert re.findall(r"os\.environ|os\.getenv|\benv\.\w+\(", source) == []


@pytest.mark.parametrize("value", ["ture", "yes please", "2", "Treu"])
def test_a_boolean_that_is_not_a_boolean_stops_start_up(tmp_path, value):
    result = _start(tmp_path, DEBUG=value)

    assert _refusal(result) == (
        "django.core.exceptions.ImproperlyConfigured: "
        f"DEBUG={value!r} is not valid: use 1 or 0 (true/false, yes/no, on/off are also accepted)."
    )


@pytest.mark.parametrize(
    ("value", "debug"),
    [("1", True), ("true", True), ("ON", True), ("0", False), ("False", False), ("", False)],
)
def test_booleans_written_the_usual_ways_are_read(tmp_path, value, debug):
    assert _started(_start(tmp_path, DEBUG=value))["DEBUG"] is debug


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres//127.0.0.1/dms", "postgres//127.0.0.1/dms"),
        ("postgress://127.0.0.1/dms", "postgress://127.0.0.1/dms"),
        ("dms", "dms"),
        ("postgres://dms:s3cret@127.0.0.1:port/dms", "postgres://dms:***@127.0.0.1:port/dms"),
        ("postgres://dms:s3cret@127.0.0.1:5432", "postgres://dms:***@127.0.0.1:5432"),
    ],
)
def test_a_malformed_database_url_stops_start_up_without_showing_the_password(tmp_path, url, shown):
    line = _refusal(_start(tmp_path, DATABASE_URL=url))

    assert line.startswith(f"django.core.exceptions.ImproperlyConfigured: DATABASE_URL={shown!r}")
    assert "use postgres://user:password@host:5432/name" in line
    assert "s3cret" not in line


SERVE = ["-c", "import dms.wsgi"]  # what gunicorn and runserver load
WORK = ["-m", "celery", "-A", "dms", "worker", "--pool=solo"]


@pytest.mark.parametrize("process", [SERVE, WORK], ids=["web server", "worker"])
def test_production_without_a_secret_key_stops_start_up(tmp_path, process):
    result = _run(tmp_path, process, SECRET_KEY="", DEBUG="0")

    assert _refusal(result).startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set."
    )
    assert "For development set DEBUG=1 instead" in result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key(tmp_path):
    result = _run(
        tmp_path, ["manage.py", "makemigrations", "--check", "--dry-run"], SECRET_KEY="", DEBUG="0"
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_development_starts_without_a_secret_key(tmp_path):
    assert _started(_start(tmp_path, SECRET_KEY="", DEBUG="1"))["DEBUG"] is True


def test_a_fresh_checkout_gets_its_var_folder_and_sqlite_database(tmp_path):
    shown = _started(_start(tmp_path, DEBUG="1", SECRET_KEY=""))

    var = tmp_path / "fresh" / "var"
    assert shown["ENGINE"] == "django.db.backends.sqlite3"
    assert shown["NAME"] == str(var / "dms.sqlite3")
    assert shown["CELERY_BROKER_URL"] == "filesystem://"
    assert (var / "dms.sqlite3").is_file()
    assert sorted(p.name for p in (var / "broker").iterdir()) == ["control", "processed", "queue"]


def test_https_behind_the_proxy_is_off_unless_configured(tmp_path):
    shown = _started(_start(tmp_path))

    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0


def test_the_https_proxy_header_redirect_and_hsts_are_configurable(tmp_path):
    shown = _started(
        _start(
            tmp_path,
            SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            SECURE_SSL_REDIRECT="1",
            SECURE_HSTS_SECONDS="31536000",
            SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
            SECURE_HSTS_PRELOAD="0",
            ALLOWED_HOSTS="dms.example.local, 127.0.0.1,",
        )
    )

    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 31536000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_HSTS_PRELOAD"] is False
    assert shown["ALLOWED_HOSTS"] == ["dms.example.local", "127.0.0.1"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https", "HTTP_X_FORWARDED_PROTO,https"),
        ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PROTO,https"),
        ("SECURE_HSTS_SECONDS", "one year", "use a whole number of at least 0"),
        ("SECURE_HSTS_SECONDS", "-1", "use a whole number of at least 0"),
        ("CONN_MAX_AGE", "60s", "use a whole number of at least 0"),
        ("LOG_LEVEL", "LOUD", "use one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_other_malformed_values_stop_start_up_naming_the_variable(
    tmp_path, variable, value, expected
):
    line = _refusal(_start(tmp_path, **{variable: value}))

    assert f"{variable}={value!r} is not valid" in line
    assert expected in line
