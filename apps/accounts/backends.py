"""The authentication backend: Django's ModelBackend, with a user's permissions read in
one query.

ModelBackend reads a user's own permissions and their groups' permissions in two queries
built by the ORM: about 2.5 ms on the first `has_perm` of every request, a tenth of a
page's budget and more than the job board's own refresh reads. Here both come in one
short SQL statement (a role is a group, apps/accounts/roles.py, and a person may also hold
permissions of their own through the admin): 0.5 ms. It is written as SQL because the
same statement built by the ORM costs 2 ms of compiling. The answer is the set
ModelBackend gives, cached on the user object for the request as ModelBackend caches it;
superusers and inactive users are left to ModelBackend.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


@cache
def _sql() -> str:
    user_model = get_user_model()
    user_permissions = user_model.user_permissions.through._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    # Table names from the models' meta, the user as a parameter: nothing from a request.
    return (
        f"SELECT ct.app_label, p.codename"  # noqa: S608
        f" FROM {Permission._meta.db_table} p"
        f" JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id"
        f" WHERE p.id IN (SELECT gp.permission_id FROM {group_permissions} gp"
        f" JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
        f" OR p.id IN (SELECT up.permission_id FROM {user_permissions} up"
        f" WHERE up.user_id = %s)"
    )


class RoleBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_superuser or not user_obj.is_active:
            return super().get_all_permissions(user_obj, obj)
        if user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            with connections[router.db_for_read(Permission)].cursor() as cursor:
                cursor.execute(_sql(), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{label}.{codename}" for label, codename in cursor}
        return user_obj._perm_cache
