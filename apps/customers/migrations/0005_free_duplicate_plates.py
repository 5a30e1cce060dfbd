"""Free plates held by more than one vehicle before the unique constraint (0006) needs it.

The plate stays on the vehicle registered last (a plate issued again goes to the newer
car); the older ones lose it, with a history row saying why, as vehicle_free_plate does.
Reversing does nothing: the history rows say which vehicle held which plate.
"""

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

REASON = "迁移:该车牌同时登记在多辆车上,保留在最后登记的车辆,本车释放车牌"


def free_duplicate_plates(apps, schema_editor):
    vehicle_model = apps.get_model("customers", "Vehicle")
    history_model = apps.get_model("customers", "HistoricalVehicle")
    plates = (
        vehicle_model.objects.exclude(plate="")
        .values("plate")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
    )
    now = timezone.now()
    for row in list(plates):
        holders = vehicle_model.objects.filter(plate=row["plate"]).order_by("-created_at", "-id")
        for vehicle in list(holders)[1:]:
            vehicle.plate = ""
            vehicle.save(update_fields=["plate", "updated_at"])
            history_model.objects.create(
                **{f.attname: getattr(vehicle, f.attname) for f in vehicle_model._meta.concrete_fields},
                history_date=now,
                history_type="~",
                history_change_reason=REASON,
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_merge_exact_duplicate_customers")]

    operations = [
        migrations.RunPython(free_duplicate_plates, migrations.RunPython.noop),
    ]
