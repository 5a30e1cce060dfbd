"""`manage.py check_stock`: the stored stock is a cache of the movements; this proves it.

Lists every part whose on-hand, reserved quantity or stock value differs from the sums of
its movements, and every work-order line whose issued quantity differs from its issues
less its returns. Exits with an error when any is found (usable in a scheduled check).
"""

from django.core.management.base import BaseCommand, CommandError

from apps.stock import selectors


class Command(BaseCommand):
    help = "Check that stock quantities and values equal the sums of their movements."

    def handle(self, *args, **options):
        stock = selectors.stock_off_movements()
        lines = selectors.issued_off_movements()
        for row in stock:
            self.stdout.write(
                f"配件 {row['part']}:库存(在库, 预留, 金额) {row['cached']},流水合计 {row['moved']}"
            )
        for row in lines:
            self.stdout.write(
                f"工单 {row['work_order']} 明细 {row['line']}:已出库 {row['cached']},"
                f"流水合计 {row['moved']}"
            )
        if stock or lines:
            raise CommandError(f"{len(stock)} 个配件、{len(lines)} 行工单明细与库存流水不符。")
        self.stdout.write("库存与流水一致。")
