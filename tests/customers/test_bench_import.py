"""The import benchmark's workbook (make bench) is a clean file of the template's shape."""

import pytest
from django.core.files import File

from apps.customers import bench_import, importing
from apps.customers.models import ImportBatch

pytestmark = pytest.mark.django_db


def test_bench_workbook_imports_cleanly_with_the_counts_asked_for(
    tmp_path, settings, user_with_role
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = bench_import.build_workbook(
        tmp_path / "bench.xlsx", customers=3, vehicles=4, work_orders=5, lines=12
    )
    with path.open("rb") as file:
        batch = ImportBatch.objects.create(
            file=File(file, name="bench.xlsx"),
            original_name="bench.xlsx",
            created_by=user_with_role("manager"),
        )

    importing.import_archive(batch=batch)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert (
        batch.summary["rows"],
        batch.summary["customers_created"],
        batch.summary["vehicles_created"],
        batch.summary["work_orders_created"],
    ) == (3 + 4 + 12, 3, 4, 5)
