"""What every page test shares.

Query counts: every page of a logged-in user runs the same 4 queries besides its own work:
the session, the user, the user's permissions (the permission check, one query:
apps/accounts/backends.py), and,
while rendering, the user's groups (role labels of the navigation); the dealership settings
(the page header) come from the cache. Each test names the page's own queries on top.
"""

PAGE_QUERIES = 4  # session, user, permissions, groups (navigation); settings are cached


def html(response) -> str:
    return response.content.decode()
