"""View helpers every app uses: permission checks, list cursors, service errors on forms.

Views stay thin (HTTP, permissions, forms); these are the few lines each would otherwise
copy.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError


def require_perm(codename: str):
    """The view needs `codename`; without it the user gets our Chinese 403 page.

    The refusal names the permission, so the log says what was missing (one line, see
    core/log_filters.py); anonymous users never get here (LoginRequiredMiddleware).
    """

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(codename):
                raise PermissionDenied(codename)
            return view(request, *args, **kwargs)

        return checked

    return decorator


def cursor_param(request, name: str) -> str | None:
    """A keyset cursor from the query string (opaque text), or None when absent."""
    value = request.GET.get(name, "").strip()
    return value or None


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
