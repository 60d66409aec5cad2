"""ASGI entry point for daphne (`daphne summarizer_site.asgi:application`).

It sets Django up, then loads settings.ASGI_APPLICATION (summarizer_site.routing) through
Channels, so the routing's imports of models come after the app registry is ready.
"""

import os

import django
from channels.routing import get_default_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summarizer_site.settings")
django.setup(set_prefix=False)
application = get_default_application()
