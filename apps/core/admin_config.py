from django.contrib.admin.apps import AdminConfig


class DmsAdminConfig(AdminConfig):
    """django.contrib.admin with DmsAdminSite (admin_site.py) as `admin.site`.

    INSTALLED_APPS names this class; it lives apart from the site because app configs are
    imported before the models are ready.
    """

    default_site = "apps.core.admin_site.DmsAdminSite"
