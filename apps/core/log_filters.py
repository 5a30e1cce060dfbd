"""Logging filters named in settings.LOGGING."""

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOneLine(logging.Filter):
    """A refused request is routine (a clerk clicked a link outside their role): log it as
    one line, `403 user=… path=… perm=…`, instead of Django's warning with a traceback.

    Django's `django.request` logger records PermissionDenied as "Forbidden (Permission
    denied)" with the exception attached; the record carries the request, and the
    exception's message names what was missing (core/http.py `require_perm` puts the
    permission there).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if not exc_info or not isinstance(exc_info[1], PermissionDenied):
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        username = user.get_username() if user is not None and user.is_authenticated else "-"
        record.msg = "403 user=%s path=%s perm=%s"
        record.args = (username, getattr(request, "path", "-"), str(exc_info[1]) or "-")
        record.exc_info = None
        record.exc_text = None
        return True
