"""What every page test shares.

Query counts: every page of a logged-in user runs the same 6 queries besides its own work:
the session, the user, the user's own and group permissions (the permission check), and,
while rendering, the user's groups (role labels of the navigation) and the dealership
settings (the page header). Each test names the page's own queries on top of those.
"""

PAGE_QUERIES = 6  # session, user, 2 × permissions, groups (navigation), settings (header)


def html(response) -> str:
    return response.content.decode()
