"""Shared fixtures. The suite runs on real PostgreSQL and Redis (dms/settings_test.py)."""

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection

from apps.accounts.roles import ROLES
from apps.core.settings import forget_cached
from dms.celery import app as celery_app
from tests.factories.accounts import UserFactory
from tests.factories.core import rules_in_cache


@pytest.fixture(autouse=True, scope="session")
def _postgres_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", "tests must run on PostgreSQL"


@pytest.fixture(autouse=True)
def _no_cached_rules():
    """Each test starts with no cached business rules: the database rolls back after every
    test, the cache on Redis does not."""
    forget_cached()


@pytest.fixture(autouse=True, scope="session")
def _celery_queue_of_this_run():
    """At the end of the run, delete the keys of this run's own Celery queue
    (dms/settings_test.py), so runs leave nothing behind in the shared Redis."""
    yield
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # The queue's list and kombu's binding keys, all named after the (unique) queue.
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def celery_worker():
    """A real Celery worker (a thread of this process) consuming this run's own queue on
    the test Redis. Messages an earlier test of this run enqueued without a worker would
    name rows of a flushed database: they are purged first, and what is left at the end."""
    celery_app.control.purge()
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.control.purge()


@pytest.fixture
def user_with_role(db):
    """Make a user holding the given role codes: user_with_role("advisor", "manager")."""

    def make(*codes, **fields):
        user = UserFactory(**fields)
        user.groups.set(Group.objects.filter(name__in=codes))
        return user

    return make


@pytest.fixture
def role_client(client, user_with_role):
    """A test client logged in as a fresh user of one role: role_client("advisor")."""

    def make(*codes):
        client.force_login(user_with_role(*codes))
        return client

    return make


@pytest.fixture(params=[role.code for role in ROLES])
def any_role(request):
    return request.param


@pytest.fixture
def settings_row(db):
    """The settings row exists before the test, so page query counts do not include
    its creation."""
    rules_in_cache()


def pytest_collection_modifyitems(config, items):
    """A test on a real transaction (transaction=True) must also ask for serialized_rollback:
    its teardown flush then leaves the tables empty for the next one, which reloads the
    migrations' data (content types, role groups). A plain transaction=True test's flush
    re-creates that data, and the next serialized test fails inserting it twice."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
