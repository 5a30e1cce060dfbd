import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
application = get_wsgi_application()

# After Django has loaded: start-up objects frozen, fewer collections (apps/core/server.py).
from apps.core.server import tune_gc  # noqa: E402  (needs the settings configured above)

tune_gc()
