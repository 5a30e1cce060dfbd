"""ROLES reaches deployed databases (issue 6 point 13).

A fresh test database runs every migration, so a migration that read the live ROLES
would hide a missing one. Each role migration carries a frozen copy of the permissions
(apps/accounts/role_migrations.py); these tests prove that a change to ROLES without its
migration fails the checks, and that a database deployed before the latest role
migration reaches the current ROLES by migrating.
"""

import dataclasses

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from apps.accounts import roles as roles_module
from apps.accounts.role_migrations import (
    SyncRoles,
    current_roles,
    latest_role_migration,
    role_migration_for_current_roles,
    role_migrations,
    roles_drift,
)


def _granted() -> dict[str, list[str]]:
    """{group name: sorted permission names} as the database holds them."""
    return {
        group.name: sorted(
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        for group in Group.objects.all()
    }


@pytest.fixture
def advisor_may_export(monkeypatch):
    """ROLES as a developer changed it, without writing the migration: the advisor gains
    customers.export_customer."""
    changed = tuple(
        dataclasses.replace(role, permissions=(*role.permissions, "customers.export_customer"))
        if role.code == "advisor"
        else role
        for role in roles_module.ROLES
    )
    monkeypatch.setattr(roles_module, "ROLES", changed)


def test_roles_match_the_permissions_the_latest_role_migration_grants():
    assert latest_role_migration().roles == current_roles()
    assert roles_drift() == []
    assert [e.id for e in run_checks() if e.id == "accounts.E001"] == []


def test_a_role_change_without_its_migration_fails_the_system_check(advisor_may_export):
    errors = [e for e in run_checks() if e.id == "accounts.E001"]

    assert roles_drift() == ["advisor gains customers.export_customer"]
    assert len(errors) == 1
    assert "advisor gains customers.export_customer" in errors[0].msg
    assert "check_roles --write" in errors[0].hint


def test_check_roles_fails_on_a_role_change_without_its_migration(advisor_may_export):
    with pytest.raises(CommandError, match="advisor gains customers.export_customer"):
        call_command("check_roles")


def test_check_roles_passes_when_roles_match(capsys):
    call_command("check_roles")

    assert "ROLES matches what the migrations grant" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_migration_check_roles_writes_brings_a_deployed_database_to_the_new_roles(
    advisor_may_export,
):
    # A deployed database: migrated to the latest role migration, before the change.
    assert "customers.export_customer" not in _granted()["advisor"]
    path, source = role_migration_for_current_roles("advisor_exports")
    latest = latest_role_migration()
    namespace = {}
    exec(compile(source, path, "exec"), namespace)  # noqa: S102 (the source we just wrote)
    migration = namespace["Migration"]

    number = int(latest.node[1][:4]) + 1
    assert path.endswith(f"apps/accounts/migrations/{number:04d}_advisor_exports.py")
    assert latest.node in migration.dependencies
    [operation] = migration.operations
    assert isinstance(operation, SyncRoles)
    assert operation.roles == current_roles()

    state_apps = MigrationExecutor(connection).loader.project_state().apps
    operation.code(state_apps, None)

    assert _granted() == current_roles()
    assert "customers.export_customer" in _granted()["advisor"]


@pytest.mark.django_db
def test_a_database_deployed_before_the_latest_role_migration_reaches_the_current_roles():
    """1. Migrate accounts back to just before its latest role migration.
    2. Make the groups what that database held: the previous role migration's permissions
       (none before the first), plus a permission since withdrawn.
    3. Migrate forward as a deployment does; the groups hold exactly ROLES."""
    found = role_migrations()
    latest = found[-1]
    previous = found[-2].roles if len(found) > 1 else {}
    executor = MigrationExecutor(connection)
    [parent] = [
        node
        for node in executor.loader.graph.node_map[latest.node].parents
        if node.key[0] == latest.node[0]
    ]

    executor.migrate([parent.key])
    Group.objects.all().delete()
    withdrawn = Permission.objects.get(codename="delete_customer")
    for code in current_roles():
        group = Group.objects.create(name=code)
        group.permissions.set(
            [
                Permission.objects.get(
                    content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
                )
                for name in previous.get(code, [])
            ]
            + [withdrawn]
        )
    assert _granted() != current_roles()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert _granted() == current_roles()
    assert latest.node in MigrationRecorder(connection).applied_migrations()
