"""`manage.py check_roles`: fail when ROLES differs from what the migrations grant (CI runs
it); `--write` writes the accounts migration that grants the current ROLES."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.role_migrations import (
    latest_role_migration,
    role_migration_for_current_roles,
    roles_drift,
)


class Command(BaseCommand):
    help = "Check that ROLES matches the latest role migration; --write writes a new one."
    requires_system_checks = []  # this command is the check; others must not stop it

    def add_arguments(self, parser):
        parser.add_argument(
            "--write", action="store_true", help="write the migration that grants ROLES"
        )
        parser.add_argument(
            "--name", default="sync_roles", help="the migration's name after its number"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="with --write: print it, write nothing"
        )

    def handle(self, *args, write, name, dry_run, **options):
        drift = roles_drift()
        latest = latest_role_migration()
        granted_by = ".".join(latest.node) if latest else "no migration"
        if not drift:
            self.stdout.write(f"ROLES matches what the migrations grant ({granted_by}).")
            return
        summary = "\n".join(f"  {line}" for line in drift)
        if not write:
            raise CommandError(
                f"ROLES differs from what the migrations grant ({granted_by}):\n{summary}\n"
                "Run `python manage.py check_roles --write` and commit the migration."
            )
        path, source = role_migration_for_current_roles(name)
        if dry_run:
            self.stdout.write(f"# {path}\n{source}")
            return
        Path(path).write_text(source)
        self.stdout.write(f"Wrote {path}:\n{summary}")
