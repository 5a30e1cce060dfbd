from django.urls import reverse

from .roles import NAVIGATION, role_labels


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for item in NAVIGATION:
        if item.permission and not user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return {
        "nav_items": items,
        "user_roles": role_labels(user),
        "can_search": user.has_perm("customers.view_customer"),
    }
