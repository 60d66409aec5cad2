"""The ASGI application (settings.ASGI_APPLICATION): HTTP through Django, admitted
HTTP_CONCURRENCY requests at a time per process (summarizer_site.admission), websockets
through Channels.

Import it only once Django is set up, since the websocket routes import models:
`summarizer_site.asgi` does that, and so does `manage.py runserver`.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from summarizer_site.admission import HttpAdmission
from videos.routing import websocket_urlpatterns

application = ProtocolTypeRouter(
    {
        "http": HttpAdmission(ASGIHandler(), limit=settings.HTTP_CONCURRENCY),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
