"""The search page size went from 50 rows to 25 (customers 0007/0008): a dealership still on
the old default gets the new one; a size the dealership chose stays."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.customers.models import ArchiveSettings

BEFORE = [("customers", "0012_search_page_size")]


def _migrate(executor: MigrationExecutor, targets) -> None:
    executor.loader.build_graph()  # the graph as the previous migrate left it
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("stored", "after"), [(50, 25), (80, 80), (10, 10)])
def test_the_old_default_page_size_becomes_the_new_one_and_a_chosen_one_stays(stored, after):
    executor = MigrationExecutor(connection)
    try:
        _migrate(executor, BEFORE)
        # The row as the migrations left it then (later ones add columns to it).
        old_settings = executor.loader.project_state(BEFORE).apps.get_model(
            "customers", "ArchiveSettings"
        )
        old_settings.objects.update_or_create(pk=1, defaults={"search_result_limit": stored})

        _migrate(executor, executor.loader.graph.leaf_nodes())

        assert ArchiveSettings.objects.get().search_result_limit == after
        _migrate(executor, BEFORE)  # and back: the new default becomes the old one
        assert old_settings.objects.get().search_result_limit == stored
    finally:
        _migrate(executor, executor.loader.graph.leaf_nodes())
