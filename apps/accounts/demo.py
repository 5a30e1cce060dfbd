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
# More logins of a role (login, name, role): three advisors share the history, the
# appointment slots (six places at two cars each: the settings' defaults) and the board.
MORE_USERS = (("advisor2", "吴顾问", "advisor"), ("advisor3", "孙顾问", "advisor"))


def ensure(run) -> None:
    """One user per role, login = role code, password DEMO_PASSWORD. Idempotent: an
    existing user keeps its password."""
    logins = [(role.code, DISPLAY_NAMES.get(role.code, role.label), role.code) for role in ROLES]
    for username, name, role in logins + list(MORE_USERS):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"display_name": name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == "admin"
            user.save()
        user.groups.add(Group.objects.get(name=role))
    run.notes.append(f"演示账号:角色代码即用户名,密码 {DEMO_PASSWORD}")
