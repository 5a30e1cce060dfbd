from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core import demo
from apps.customers.models import Customer


class Command(BaseCommand):
    help = "Build a realistic demo dealership (deterministic for a given --seed and day)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=1, help="years of history (default 1)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the archive has customers"
        )

    def handle(self, *args, years, seed, if_empty, **options):
        if if_empty and Customer.objects.exists():
            demo.ensure_demo_users()
            self.stdout.write("演示数据已存在,跳过生成。")
        else:
            self.stdout.write(f"生成 {years} 年的演示数据(seed={seed})……")
            counts = demo.seed(
                years=years, seed_value=seed, today=timezone.localdate(), log=self.stdout.write
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"完成:{counts['customers']} 位客户,{counts['vehicles']} 辆车,"
                    f"{counts['work_orders']} 张工单,{counts['lines']} 行明细。"
                )
            )
        self.stdout.write(f"演示账号:角色代码即用户名,密码 {demo.DEMO_PASSWORD}")
