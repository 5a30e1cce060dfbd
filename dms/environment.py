"""Strict readers of the environment for dms/settings.py: a bad value stops start-up.

django-environ is lenient where a typo should be loud: `env.bool("DEBUG")` reads
`DEBUG=ture` as False, and `env.db()` turns `DATABASE_URL=postgres//host/dms` into an empty
dict that fails much later, far from the cause. Like healthchecks' `envbool`, each reader
here accepts only well-formed values and raises ImproperlyConfigured naming the variable,
the value it got and what it expects. Secrets (a database password) never reach a message.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
DATABASE_SCHEMES = frozenset({"postgres", "postgresql", "sqlite"})
# Django reads a proxy's header from request.META, where "X-Forwarded-Proto" is
# HTTP_X_FORWARDED_PROTO.
META_HEADER = re.compile(r"HTTP_[A-Z0-9_]+")


def _raw(name: str) -> str | None:
    """The variable's value with surrounding blanks removed; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def _invalid(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not valid: {expected}.")


def text(name: str, *, default: str = "") -> str:
    """A string; unset or blank gives the default (a copied .env.example has blank lines)."""
    value = _raw(name)
    return default if value is None else value


def items(name: str, *, default: list[str]) -> list[str]:
    """A comma-separated list, blanks dropped; unset or blank gives the default."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def path(name: str, *, default: Path) -> Path:
    """An absolute path (a relative one is taken from the current folder)."""
    value = _raw(name)
    return (Path(value).expanduser() if value else default).resolve()


def boolean(name: str, *, default: bool) -> bool:
    """1/true/yes/on or 0/false/no/off (any case); unset or blank gives the default."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise _invalid(name, value, "use 1 or 0 (true/false, yes/no, on/off are also accepted)")


def integer(name: str, *, default: int, minimum: int = 0) -> int:
    """A whole number not below `minimum`; unset or blank gives the default."""
    value = _raw(name)
    if value is None:
        return default
    if not re.fullmatch(r"[+-]?\d+", value) or int(value) < minimum:
        raise _invalid(name, value, f"use a whole number of at least {minimum}")
    return int(value)


def choice(name: str, *, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (compared in upper case); unset or blank gives the default."""
    value = _raw(name)
    if value is None:
        return default
    if value.upper() not in choices:
        raise _invalid(name, value, f"use one of {', '.join(choices)}")
    return value.upper()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database(name: str, *, default: str) -> dict:
    """Django's DATABASES entry from a postgres:// or sqlite:/// URL.

    Refused: another scheme (a typo like postgress:// or a missing "://"), a port that is
    not a number, and a URL that names no database.
    """
    url = _raw(name) or default
    shown = _without_password(url)
    expected = (
        "use postgres://user:password@host:5432/name "
        "(or sqlite:////absolute/path/dms.sqlite3 for the embedded default)"
    )
    scheme, separator, _rest = url.partition("://")
    if not separator or scheme not in DATABASE_SCHEMES:
        raise _invalid(name, shown, expected)
    try:
        config = environ.Env.db_url_config(url)
    except ValueError:  # a port that is not a number
        raise _invalid(name, shown, expected) from None
    if config.get("NAME") in (None, "", ":memory:"):
        raise _invalid(name, shown, f"the URL names no database; {expected}")
    return config


def proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """("HTTP_X_FORWARDED_PROTO", "https") from "HTTP_X_FORWARDED_PROTO,https"; unset: None.

    Set it only behind a proxy that always sets (or strips) that header: otherwise a client
    could claim HTTPS by sending it.
    """
    value = _raw(name)
    if value is None:
        return None
    header, _comma, expected_value = (part.strip() for part in value.partition(","))
    if not META_HEADER.fullmatch(header) or not expected_value:
        raise _invalid(
            name,
            value,
            "use the header as Django names it and its HTTPS value, "
            "e.g. HTTP_X_FORWARDED_PROTO,https",
        )
    return header, expected_value


NO_SECRET_KEY = (
    "SECRET_KEY is not set. In production set it to a long random string, e.g. "  # noqa: S105
    "the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
    "For development set DEBUG=1 instead (make run does)."
)


def require_secret_key() -> None:
    """Stop a process that signs (the web server, the Celery worker) at start-up when it has
    no SECRET_KEY, saying what to do. The settings themselves load without one (Django
    refuses any use of an empty key), so commands that sign nothing run bare:
    `makemigrations --check`, `migrate`."""
    from django.conf import settings

    try:
        settings.SECRET_KEY  # noqa: B018 (Django raises on reading an empty key)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(NO_SECRET_KEY) from None
