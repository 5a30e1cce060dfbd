from django.urls import reverse

from .roles import NAVIGATION, role_labels


def _active(request, url: str) -> bool:
    return request.path == url if url == "/" else request.path.startswith(url)


def navigation(request):
    """The top bar: the items the user may open, in NAVIGATION order; the items of one
    group go into a dropdown at the group's first place (a group the user sees one item of
    shows that item alone)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries, groups = [], {}
    for item in NAVIGATION:
        if item.permission and not user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        link = {"label": item.label, "url": url, "active": _active(request, url), "items": []}
        if not item.group:
            entries.append(link)
        elif item.group in groups:
            groups[item.group]["items"].append(link)
        else:
            groups[item.group] = {"label": item.group, "url": "", "active": False, "items": [link]}
            entries.append(groups[item.group])
    for entry in entries:
        if len(entry["items"]) == 1:
            entry.update(entry["items"][0])
        entry["active"] = entry["active"] or any(link["active"] for link in entry["items"])
    return {
        "nav_items": entries,
        "user_roles": role_labels(user),
        "can_search": user.has_perm("customers.view_customer"),
    }
