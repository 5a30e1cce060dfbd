"""View helpers every app uses: permission checks, list cursors, service errors on forms.

Views stay thin (HTTP, permissions, forms); these are the few lines each would otherwise
copy.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404

from .uploads import image_kind


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


def image_response(field_file, *, name: str, cache_control: str = "") -> FileResponse:
    """A stored image (the logo, inspection photos, signatures) served as what it is: the
    content type from its content (PNG, JPEG or WebP, apps.core.uploads), never from its
    name; a missing file or anything else answers 404. Opened on its own, the image may do
    nothing: no script, no styles, no requests."""
    if not field_file:
        raise Http404("文件不存在")
    try:
        file = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    kind = image_kind(file)
    if kind is None:
        file.close()
        raise Http404("文件不是可用的图片")
    response = FileResponse(file, content_type=kind.content_type)
    response["Content-Disposition"] = f'inline; filename="{name}.{kind.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if cache_control:
        response["Cache-Control"] = cache_control
    return response
