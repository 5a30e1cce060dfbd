"""RoleBackend: the same permissions as Django's ModelBackend, in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Permission

from apps.accounts.backends import RoleBackend
from apps.accounts.models import User
from apps.accounts.roles import ROLES

pytestmark = pytest.mark.django_db


def _fresh(user) -> User:
    """The user as a new request loads it (no permission cache yet)."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("codes", [("advisor",), ("manager", "callback_clerk"), ()])
def test_same_permissions_as_model_backend(user_with_role, codes):
    user = user_with_role(*codes)
    own = Permission.objects.get(codename="view_team", content_type__app_label="workshop")
    user.user_permissions.add(own)
    expected = ModelBackend().get_all_permissions(_fresh(user))
    assert "workshop.view_team" in expected
    assert RoleBackend().get_all_permissions(_fresh(user)) == expected


def test_each_role_gets_its_permissions(user_with_role):
    for role in ROLES:
        user = _fresh(user_with_role(role.code))
        assert set(role.permissions) <= RoleBackend().get_all_permissions(user), role.code


def test_one_query_per_request(user_with_role, django_assert_num_queries):
    user = _fresh(user_with_role("advisor", "supervisor"))
    with django_assert_num_queries(1):
        assert user.has_perm("workorders.add_workorder")
        assert user.has_perm("workorders.dispatch_workorder")
        assert not user.has_perm("warranty.submit_warrantyclaim")


def test_superuser_inactive_anonymous_and_objects(user_with_role):
    superuser = _fresh(user_with_role(is_superuser=True))
    assert RoleBackend().get_all_permissions(superuser) == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    inactive = _fresh(user_with_role("manager", is_active=False))
    assert RoleBackend().get_all_permissions(inactive) == set()
    assert not inactive.has_perm("workorders.view_workorder")
    assert RoleBackend().get_all_permissions(AnonymousUser()) == set()
    manager = _fresh(user_with_role("manager"))
    assert RoleBackend().get_all_permissions(manager, obj=manager) == set()


def test_a_role_given_later_counts_from_the_next_request(user_with_role):
    user = _fresh(user_with_role())
    assert not user.has_perm("workorders.view_workorder")
    user.groups.set(user.groups.model.objects.filter(name="advisor"))
    assert _fresh(user).has_perm("workorders.view_workorder")
