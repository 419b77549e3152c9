"""WSGI entry point (gunicorn ``config.wsgi``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

from config.startup import require_secret_key  # noqa: E402  (needs the settings loaded above)
from discovery.checks import require_pseudonym_key  # noqa: E402

require_secret_key()
require_pseudonym_key()
