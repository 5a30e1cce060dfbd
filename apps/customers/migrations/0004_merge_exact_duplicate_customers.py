"""Merge customers that share mobile and name before the unique constraint (0006) needs it.

The oldest row of each (mobile, name) is kept; every row pointing at a duplicate (vehicles,
ownerships, work orders, and whatever else references a customer at this point of the
migration history) moves to it, empty fields of the kept row are filled from the duplicate,
the merge is recorded in CustomerMerge and the duplicate is deleted. Reversing does
nothing: merged rows cannot be told apart again (the merge records say what happened).
"""

from django.db import migrations
from django.db.models import Count, Min

REASON = "迁移:手机号和姓名完全相同的重复档案,自动合并到最早的档案"
# Fields the kept customer takes from a duplicate when its own are empty.
FILLED = (
    "phone_other",
    "id_number",
    "credit_code",
    "sex",
    "birthday",
    "address",
    "preferred_contact_time",
    "club_member_number",
    "club_joined_on",
)


def merge_exact_duplicates(apps, schema_editor):
    customer_model = apps.get_model("customers", "Customer")
    merge_model = apps.get_model("customers", "CustomerMerge")
    relations = [
        rel
        for rel in customer_model._meta.related_objects
        if rel.one_to_many and rel.related_model is not merge_model
    ]
    groups = (
        customer_model.objects.values("mobile", "name")
        .annotate(rows=Count("id"), first=Min("id"))
        .filter(rows__gt=1)
    )
    for group in list(groups):
        kept = customer_model.objects.get(pk=group["first"])
        duplicates = customer_model.objects.filter(
            mobile=group["mobile"], name=group["name"]
        ).exclude(pk=kept.pk)
        for duplicate in duplicates.order_by("id"):
            moved = {}
            for rel in relations:
                count = (
                    rel.related_model._base_manager.filter(**{rel.field.name: duplicate.pk})
                    .update(**{rel.field.name: kept.pk})
                )
                if count:
                    moved[rel.related_model._meta.label_lower] = count
            merge_model.objects.filter(kept=duplicate).update(kept=kept)
            if duplicate.id_number and not kept.id_number:
                # The ID number is unique: free it on the duplicate before the kept row takes it.
                customer_model.objects.filter(pk=duplicate.pk).update(id_number="")
            for name in FILLED:
                if getattr(kept, name) in ("", None) and getattr(duplicate, name) not in ("", None):
                    setattr(kept, name, getattr(duplicate, name))
            kept.do_not_call = kept.do_not_call or duplicate.do_not_call
            # Consent must hold on both records to stand for the person.
            kept.marketing_consent = kept.marketing_consent and duplicate.marketing_consent
            if duplicate.source == "bought_here":
                kept.source = "bought_here"
            if duplicate.note and duplicate.note not in kept.note:
                kept.note = "\n".join(filter(None, [kept.note, duplicate.note]))
            kept.save()
            merge_model.objects.create(
                kept=kept,
                duplicate_id=duplicate.pk,
                duplicate_name=duplicate.name,
                reason=REASON,
                moved=moved,
            )
            duplicate.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_customer_merge_and_named_vin_constraint"),
        ("workorders", "0002_created_at_default"),
    ]

    operations = [
        migrations.RunPython(merge_exact_duplicates, migrations.RunPython.noop),
    ]
