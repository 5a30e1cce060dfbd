"""How ROLES (roles.py) reaches every database: migrations that carry a frozen copy.

A test database is built by running the migrations, so a migration that read the live
ROLES would give every fresh database the current roles and hide a missing migration,
while a deployed database would keep the roles of its last migration. So each migration
that syncs the role groups carries the permissions as they were when it was written
(`SyncRoles(roles={...})`), and the newest of those copies must equal ROLES:

- `latest_role_migration()` finds that copy in the migration files (no database needed);
- `roles_drift()` says how ROLES differs from it;
- the system check `accounts.E001` (checks.py) and `manage.py check_roles` fail on a drift,
  and `manage.py check_roles --write` writes the migration that removes it.
"""

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

APP_LABEL = "accounts"


def current_roles() -> dict[str, list[str]]:
    """ROLES as a migration freezes it: {role code: sorted permission names}."""
    from apps.accounts.roles import ROLES

    return {role.code: sorted(role.permissions) for role in ROLES}


def apply_role_permissions(apps, roles: dict[str, list[str]]) -> None:
    """Make each role's group hold exactly `roles[code]` (with historical models).

    Permissions are created first (Django creates them only after the whole `migrate`);
    a permission whose model does not exist yet is skipped, so a later role migration that
    depends on the model's migration grants it. Groups of roles not listed are left as
    they are: withdrawing a role from its holders is an administrator's decision.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for code, names in roles.items():
        group, _created = group_model.objects.get_or_create(name=code)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


class SyncRoles(migrations.RunPython):
    """A migration step: the role groups get the permissions frozen in `roles`.

    Reversing leaves the groups as they are: they hold no data of their own, and the next
    forward run sets them again.
    """

    def __init__(self, roles: dict[str, list[str]]):
        self.roles = roles
        super().__init__(self._forwards, migrations.RunPython.noop, elidable=False)

    def _forwards(self, apps, schema_editor):
        apply_role_permissions(apps, self.roles)

    def deconstruct(self):
        # The class name alone: Django's writer imports it from this module.
        return (type(self).__name__, [], {"roles": self.roles})

    def describe(self):
        return f"Give the {len(self.roles)} role groups their permissions"


@dataclass(frozen=True)
class RoleMigration:
    node: tuple[str, str]  # (app label, migration name)
    roles: dict[str, list[str]]


def role_migrations(loader: MigrationLoader | None = None) -> list[RoleMigration]:
    """The accounts migrations carrying a SyncRoles step, oldest first."""
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    leaves = graph.leaf_nodes(APP_LABEL)
    found = []
    for node in graph.forwards_plan(leaves[-1]) if leaves else []:
        if node[0] != APP_LABEL:
            continue
        for operation in loader.disk_migrations[node].operations:
            if isinstance(operation, SyncRoles):
                found.append(RoleMigration(node, operation.roles))
    return found


def latest_role_migration(loader: MigrationLoader | None = None) -> RoleMigration | None:
    found = role_migrations(loader)
    return found[-1] if found else None


def roles_drift(loader: MigrationLoader | None = None) -> list[str]:
    """One line per difference between ROLES and the newest frozen copy; [] when equal."""
    latest = latest_role_migration(loader)
    frozen = latest.roles if latest else {}
    current = current_roles()
    lines = []
    for code in sorted(set(frozen) | set(current)):
        if code not in frozen:
            lines.append(f"role {code} is new")
            continue
        if code not in current:
            lines.append(f"role {code} was removed from ROLES")
            continue
        added = sorted(set(current[code]) - set(frozen[code]))
        removed = sorted(set(frozen[code]) - set(current[code]))
        lines.extend(f"{code} gains {name}" for name in added)
        lines.extend(f"{code} loses {name}" for name in removed)
    return lines


def role_migration_for_current_roles(name: str) -> tuple[str, str]:
    """A new accounts migration that freezes the current ROLES: (file path, source).

    It depends on the newest migration of accounts and of every app whose permissions it
    names, so the models (and their custom permissions) exist when it runs.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    roles = current_roles()
    apps_named = {APP_LABEL, "auth", "contenttypes"}
    apps_named |= {permission.split(".")[0] for names in roles.values() for permission in names}
    dependencies = sorted(leaf for label in apps_named for leaf in graph.leaf_nodes(label))
    accounts_leaf = graph.leaf_nodes(APP_LABEL)[-1]
    number = int(accounts_leaf[1].split("_")[0]) + 1
    folder = Path(import_module(loader.migrations_module(APP_LABEL)[0]).__file__).parent
    return str(folder / f"{number:04d}_{name}.py"), render_role_migration(dependencies, roles)


def render_role_migration(dependencies: list[tuple[str, str]], roles: dict[str, list[str]]) -> str:
    """The source of a role migration, one permission a line so reviews show each change."""
    lines = [
        '"""The role groups get the permissions of ROLES as of this migration',
        '(written by `manage.py check_roles --write`)."""',
        "",
        "from django.db import migrations",
        "",
        "from apps.accounts.role_migrations import SyncRoles",
        "",
        "",
        "class Migration(migrations.Migration):",
        "    dependencies = [",
        *(f'        ("{app}", "{migration}"),' for app, migration in dependencies),
        "    ]",
        "",
        "    operations = [",
        "        SyncRoles(",
        "            roles={",
    ]
    for code, names in roles.items():
        lines.append(f'                "{code}": [')
        lines.extend(f'                    "{permission}",' for permission in names)
        lines.append("                ],")
    lines += ["            }", "        ),", "    ]", ""]
    return "\n".join(lines)
