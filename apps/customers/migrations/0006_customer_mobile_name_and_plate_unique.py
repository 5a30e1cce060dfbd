from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_free_duplicate_plates")]

    operations = [
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                fields=("mobile", "name"),
                name="customer_mobile_name_unique",
                violation_error_message="已有同名、同手机号的客户档案。",
            ),
        ),
        migrations.AddConstraint(
            model_name="vehicle",
            constraint=models.UniqueConstraint(
                condition=models.Q(("plate", ""), _negated=True),
                fields=("plate",),
                name="vehicle_plate_unique",
                violation_error_message="该车牌已登记在另一辆车上。",
            ),
        ),
        # customer_mobile_name_unique (mobile first) serves a whole-mobile lookup.
        migrations.RemoveIndex(model_name="customer", name="customer_mobile_idx"),
    ]
