"""Which database rule a write broke, so a service can say it in a sentence of its own.

Uniqueness is enforced by named constraints (never a racy lookup before the write); a
service catches the IntegrityError, asks `violated_constraint()` which one it was, and
raises a ValidationError naming the other record.
"""

from django.db import IntegrityError


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reports for `error`, or None."""
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None)
