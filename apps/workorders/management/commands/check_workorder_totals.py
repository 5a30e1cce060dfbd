"""`manage.py check_workorder_totals [--fix]`: the stored amounts of work orders are a
cache of work_order_totals(lines); list every order where they differ (exit code 1), and
with --fix rewrite them through work_order_recompute_totals."""

from django.core.management.base import BaseCommand

from apps.workorders.selectors import work_orders_with_stored_totals_off
from apps.workorders.services import work_order_recompute_totals


class Command(BaseCommand):
    help = "List work orders whose stored totals differ from their lines (exit 1 if any)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="recompute the stored totals of those orders"
        )

    def handle(self, *args, fix, **options):
        found = 0
        for order, differences in work_orders_with_stored_totals_off():
            found += 1
            detail = ", ".join(
                f"{name} {stored} ≠ {computed}" for name, (stored, computed) in differences.items()
            )
            self.stdout.write(f"{order.number}: {detail}")
            if fix:
                work_order_recompute_totals(order)
        if not found:
            self.stdout.write("all stored work-order totals match their lines")
            return
        if fix:
            self.stdout.write(f"{found} work orders recomputed")
            return
        self.stderr.write(f"{found} work orders with stored totals that differ from their lines")
        raise SystemExit(1)
