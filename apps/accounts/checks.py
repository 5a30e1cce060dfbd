"""System checks of the roles: `manage.py check` (and runserver) fail when ROLES differs
from what the migrations grant, the way a model change without its migration would."""

from django.core.checks import Error, register

from .role_migrations import latest_role_migration, roles_drift


@register()
def roles_match_migrations(app_configs, **kwargs):
    drift = roles_drift()
    if not drift:
        return []
    latest = latest_role_migration()
    granted_by = ".".join(latest.node) if latest else "no migration"
    return [
        Error(
            f"ROLES (apps/accounts/roles.py) differs from what the migrations grant "
            f"({granted_by}): {'; '.join(drift)}.",
            hint="Run `python manage.py check_roles --write` and commit the migration it "
            "writes, so deployed databases get the change too.",
            id="accounts.E001",
        )
    ]
