import os

from django.core.wsgi import get_wsgi_application

from dms.environment import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
require_secret_key()  # the server signs sessions and CSRF tokens
application = get_wsgi_application()

# After Django has loaded: start-up objects frozen, fewer collections (apps/core/server.py).
from apps.core.server import tune_gc  # noqa: E402  (needs the settings configured above)

tune_gc()
