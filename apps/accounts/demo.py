"""The demo logins: one user per role, the user name is the role code. Run by `seed_demo`
through apps.core.seeding, also when the demo data exist already."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ROLES

DEMO_PASSWORD = "demo1234"  # noqa: S105 (printed for the demo logins; never used in production)
DISPLAY_NAMES = {
    "advisor": "周服务",
    "supervisor": "郑主任",
    "technician": "王师傅",
    "qc": "冯质检",
    "parts": "陈配件",
    "warranty": "林索赔",
    "callback": "何客服",
    "complaint": "吕主管",
    "manager": "郭经理",
    "admin": "管理员",
}


def ensure(run) -> None:
    """One user per role, login = role code, password DEMO_PASSWORD. Idempotent: an
    existing user keeps its password."""
    user_model = get_user_model()
    for role in ROLES:
        user, created = user_model.objects.get_or_create(
            username=role.code, defaults={"display_name": DISPLAY_NAMES.get(role.code, role.label)}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role.code == "admin"
            user.is_superuser = role.code == "admin"
            user.save()
        user.groups.add(Group.objects.get(name=role.code))
    run.notes.append(f"演示账号:角色代码即用户名,密码 {DEMO_PASSWORD}")
