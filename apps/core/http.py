"""View helpers every app uses: permission checks, list cursors, service errors on forms.

Views stay thin (HTTP, permissions, forms); these are the few lines each would otherwise
copy.
"""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError


def require_perm(codename: str):
    """The view needs `codename`; without it the user gets our Chinese 403 page."""
    return permission_required(codename, raise_exception=True)


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
