"""ASGI entry point: HTTP through Django, websockets through Channels.

daphne serves both (`daphne summarizer_site.asgi:application`). HTTP requests
are admitted HTTP_CONCURRENCY at a time per process (summarizer_site.admission).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summarizer_site.settings")
# Build the HTTP app first: it sets Django up before the routing imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from django.conf import settings  # noqa: E402

from summarizer_site.admission import HttpAdmission  # noqa: E402
from videos.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": HttpAdmission(django_asgi_app, limit=settings.HTTP_CONCURRENCY),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
