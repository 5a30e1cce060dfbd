"""Migration operations for PostgreSQL-only schema (trigram and pattern-ops indexes).

The embedded default runs on SQLite, which has neither. These indexes are not declared in
the models' Meta: SQLite rebuilds a whole table on most ALTERs, recreating every index the
model state lists, so a PostgreSQL-only index in the state would break SQLite migrations.
They live here instead, as SQL that runs on PostgreSQL only.
"""

from django.db import migrations


class PostgresOnlyRunSQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "PostgreSQL-only SQL"
